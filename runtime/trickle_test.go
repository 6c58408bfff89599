package mgrt

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestProducerTrickle: a producer that emits a burst and then waits in user code must not
// hold the burst back: every stage downstream gets it while the producer still waits.
func TestProducerTrickle(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		for i := range 20 {
			strat := Strategy{}
			if i%2 == 1 {
				strat = Strategy{Kind: Threads, N: 3}
			}
			g := newGraph(GraphConfig{})
			var seen atomic.Int64
			progress := make(chan struct{}, 1)
			stuck := atomic.Bool{}
			src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
				return func(context.Context) error {
					n := 0
					for burst := 1; burst <= 20; burst++ {
						for range burst {
							w.Emit(n)
							n++
						}
						deadline := time.After(5 * time.Second)
						for seen.Load() < int64(n) {
							select {
							case <-progress:
							case <-deadline:
								stuck.Store(true)
								return nil
							}
						}
					}
					return nil
				}
			})
			s := spec("mid")
			s.Strategy = strat
			mid := mapInts(g, s, func(x int) int { return x })
			last := mapInts(g, spec("last"), func(x int) int { return x })
			sink := Consumer(g, spec("sink"), func(*Emitter[Nothing]) func(context.Context, int) error {
				return func(context.Context, int) error {
					seen.Add(1)
					select {
					case progress <- struct{}{}:
					default:
					}
					return nil
				}
			})
			Connect(src, mid)
			Connect(mid, last)
			Connect(last, sink)
			mustRun(t, g)
			if stuck.Load() {
				t.Fatalf("%s: items held back while the producer waited (%d seen)", strat, seen.Load())
			}
		}
	})
}

// TestProducerOrder: items of one producer reach an inline stage in emit order, however the
// receiver takes them (full chunks, flushed chunks, chunks taken while the producer pauses).
func TestProducerOrder(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		for _, size := range []int{1, 7, 100, -1} {
			g := newGraph(GraphConfig{QueueSize: size})
			const n = 4000
			src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
				return func(context.Context) error {
					for i := range n {
						w.Emit(i)
						switch rand.IntN(200) {
						case 0:
							time.Sleep(50 * time.Microsecond)
						case 1, 2, 3:
							runtime.Gosched()
						}
					}
					return nil
				}
			})
			next := 0
			bad := -1
			check := Consumer(g, spec("check"), func(*Emitter[Nothing]) func(context.Context, int) error {
				return func(_ context.Context, v int) error {
					if v != next && bad < 0 {
						bad = next
					}
					next = v + 1
					if v%97 == 0 {
						time.Sleep(20 * time.Microsecond)
					}
					return nil
				}
			})
			Connect(src, check)
			mustRun(t, g)
			if bad >= 0 || next != n {
				t.Fatalf("queue %d: out of order at %d (last %d)", size, bad, next)
			}
		}
	})
}
