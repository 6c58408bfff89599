package mgrt

import (
	"context"
	"testing"
	"time"
)

// The live stats the views read (progress, HUD, metrics): a producer's counts grow while it
// runs; a queue's length and capacity; the
// goroutines of a stage; busy time; the producer's declared total.
func TestLiveStatsOfTheViews(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{Pipeline: "live", QueueSize: 64})
		release := make(chan struct{})
		s := spec("src")
		s.Total = 100000
		src := Producer(g, s, func(w *Emitter[int]) func(context.Context) error {
			return func(context.Context) error {
				for i := range 100000 {
					if i == 50000 {
						<-release
					}
					w.Emit(i)
				}
				return nil
			}
		})
		mid := mapInts(g, spec("mid"), func(x int) int { return x })
		work := Processor(g, threads("work", 3), func(w *Emitter[int]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				if v%1000 == 0 {
					time.Sleep(100 * time.Microsecond)
				}
				w.Emit(v)
				return nil
			}
		})
		var c collector[int]
		Connect(src, mid)
		Connect(mid, work)
		Connect(work, collect(g, spec("sink"), &c))
		h := Start(context.Background(), g)
		if h.JobID() == "" || len(h.Info().Stages) != 4 || len(h.Info().Edges) != 3 {
			t.Errorf("job %q, info %+v", h.JobID(), h.Info())
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			st := h.Stats()
			if st[0].Out >= 40000 && st[1].In >= 40000 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the producer blocked half way, yet the live counts are %+v", st)
			}
			time.Sleep(time.Millisecond)
		}
		st := h.Stats()
		if st[0].Total != 100000 || st[0].Workers != 1 || st[0].QueueCap != 0 {
			t.Errorf("src %+v", st[0])
		}
		if w := st[2]; w.Workers != 3 || w.QueueCap != 64 || w.QueueLen < 0 || w.QueueLen > 64 {
			t.Errorf("work %+v", w)
		}
		close(release)
		res, err := h.Wait()
		if err != nil {
			t.Fatal(err)
		}
		w := stats(t, res, "work")
		if w.Busy <= 0 || w.Busy > 3*res.Duration {
			t.Errorf("work busy %v in a run of %v: %+v", w.Busy, res.Duration, w)
		}
		if p := stats(t, res, "src"); p.Busy <= 0 || p.Busy > res.Duration || p.Out != 100000 {
			t.Errorf("src %+v in a run of %v", p, res.Duration)
		}
	})
}
