// Package natsbench holds W5 of DESIGN 5, remote stages on an embedded NATS server, with W4
// as its reference: package bench stays free of NATS, whose packages every process of a
// program that links them initialises at its start.
package natsbench

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate

import (
	"context"
	"testing"

	"github.com/minigun-go/minigun/internal/bench"
)

var sink uint64

// Workloads lists W5 with its reference.
func Workloads() []bench.Workload {
	ctx := context.Background()
	return []bench.Workload{{
		Name:    "W5 remote(3), x*2, embedded NATS",
		MinRate: 1e6,
		Pipeline: func(n int) error {
			p := NewW5()
			p.N = n
			_, err := p.Run(ctx)
			sink += uint64(p.sum)
			return err
		},
		Refs: []bench.Ref{{Name: "W4 processes(4), x*2", Run: func(b *testing.B) {
			b.ReportAllocs()
			p := NewW4()
			p.N = b.N
			if _, err := p.Run(ctx); err != nil {
				b.Fatal(err)
			}
			sink += uint64(p.sum)
		}, Min: 0.25}},
	}}
}
