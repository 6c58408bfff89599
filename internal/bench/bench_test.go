package bench

import (
	"context"
	"os"
	"testing"
)

// The pipelines compute what their references compute.
func TestWorkloadsAgree(t *testing.T) {
	const n = 10000
	ctx := context.Background()
	a := NewW1a()
	a.N = n
	if _, err := a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	b := NewW1b()
	b.N = n
	if _, err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	want := RefLoop(n)
	if RefLoopCalls(n) != want || RefLoopRecover(n) != want {
		t.Errorf("RefLoopCalls = %d, RefLoopRecover = %d, want %d", RefLoopCalls(n), RefLoopRecover(n), want)
	}
	if a.sum != want || b.sum != want || RefChannels(n) != want || RefBatchedChannels(n) != want || RefBatchedPublished(n) != want {
		t.Errorf("sums: W1a %d, W1b %d, channels %d, batched %d, want %d", a.sum, b.sum, RefChannels(n), RefBatchedChannels(n), want)
	}
	w := NewW2()
	w.N = n
	if _, err := w.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if w.sum[0] != RefPool(n) {
		t.Errorf("W2 sum %d, pool %d", w.sum[0], RefPool(n))
	}
}

func BenchmarkWorkloads(b *testing.B) {
	for _, w := range Workloads() {
		b.Run(w.Name, w.Run)
		for _, r := range w.Refs {
			b.Run(w.Name+"/ref "+r.Name, r.Run)
		}
	}
}

// TestMain lets the test binary stand for the bench programs in RefExecSelf.
func TestMain(m *testing.M) {
	ExitIfAsked()
	os.Exit(m.Run())
}
