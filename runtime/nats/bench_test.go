package mgnats_test

import (
	"context"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// BenchmarkRemote is W5's shape: remote(3), x*2, the embedded server.
func BenchmarkRemote(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		p := &tp{P: tpParams{N: n, Procs: 3, NoState: true}}
		g := p.graph()
		if _, err := mgrt.Run(context.Background(), g); err != nil {
			b.Fatal(err)
		}
		if p.got.Load() != wantSum(n) {
			b.Fatal("wrong sum")
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
}
