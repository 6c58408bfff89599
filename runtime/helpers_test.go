package mgrt

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// noLeak fails the test if goroutines started during it are still running at its end.
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

func spec(name string) StageSpec {
	return StageSpec{Name: name, Pos: Pos{File: "test.mg", Line: 1 + len(name), Col: 3}}
}

func threads(name string, n int) StageSpec {
	s := spec(name)
	s.Strategy = Strategy{Kind: Threads, N: n}
	return s
}

// count emits 0..n-1.
func countTo(g *Graph, s StageSpec, n int) *Node[Nothing, int] {
	return Producer(g, s, func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := range n {
				w.Emit(i)
			}
			return nil
		}
	})
}

func mapInts(g *Graph, s StageSpec, f func(int) int) *Node[int, int] {
	return Processor(g, s, func(w *Emitter[int]) func(context.Context, int) error {
		return func(_ context.Context, v int) error {
			w.Emit(f(v))
			return nil
		}
	})
}

// collector gathers what a consumer receives.
type collector[T any] struct {
	mu    sync.Mutex
	items []T
}

func (c *collector[T]) add(v T) {
	c.mu.Lock()
	c.items = append(c.items, v)
	c.mu.Unlock()
}

func (c *collector[T]) get() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.items)
}

func collect[T any](g *Graph, s StageSpec, c *collector[T]) *Node[T, Nothing] {
	return Consumer(g, s, func(*Emitter[Nothing]) func(context.Context, T) error {
		return func(_ context.Context, v T) error {
			c.add(v)
			return nil
		}
	})
}

func sorted(xs []int) []int {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs
}

func seq(from, to int, f func(int) int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, f(i))
	}
	return out
}

func mustRun(t *testing.T, g *Graph) Result {
	t.Helper()
	res, err := Run(context.Background(), g)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// A run without a failure budget whose items failed completed with failures.
	want := StatusSucceeded
	if res.FailedItems > 0 {
		want = StatusCompletedWithFailures
	}
	if res.Status != want {
		t.Fatalf("status %s, want %s (%d failed items)", res.Status, want, res.FailedItems)
	}
	if int64(len(res.Failures)) != res.FailedItems {
		t.Fatalf("%d failures kept, %d counted", len(res.Failures), res.FailedItems)
	}
	return res
}

func stats(t *testing.T, res Result, name string) StageStats {
	t.Helper()
	s, ok := res.Stage(name)
	if !ok {
		t.Fatalf("no stats for %q", name)
	}
	return s
}

// graphTest runs f, checking that it leaks no goroutine.
func graphTest(t *testing.T, f func(t *testing.T, newGraph func(GraphConfig) *Graph)) {
	t.Helper()
	noLeak(t)
	f(t, NewGraph)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// setConfig changes a graph's settings.
func setConfig(g *Graph, f func(*GraphConfig)) {
	cfg := g.Config()
	f(&cfg)
	g.SetConfig(cfg)
}

// sleepCtx sleeps for d or until ctx is done; false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
