package mgrt

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// endless emits 0, 1, 2, ... until it is stopped.
func endless(g *Graph, s StageSpec, emitted *atomic.Int64) *Node[Nothing, int] {
	return Producer(g, s, func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := 0; ; i++ {
				w.Emit(i)
				emitted.Add(1)
			}
		}
	})
}

// TestCancelMidRun: canceling the context stops an endless producer, lets the items being
// processed finish, flushes accumulators, counts the queued items as dropped, and reports
// the run as canceled.
func TestCancelMidRun(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		g := newGraph(GraphConfig{QueueSize: 100})
		var emitted, processed, inFlight atomic.Int64
		src := endless(g, spec("src"), &emitted)
		slow := Processor(g, threads("slow", 2), func(w *Emitter[int]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				inFlight.Add(1)
				if processed.Add(1) == 50 {
					cancel()
				}
				time.Sleep(200 * time.Microsecond)
				inFlight.Add(-1)
				w.Emit(v)
				return nil
			}
		})
		b := Batch[int](g, spec("batch"), 1000, 0)
		var batches collector[[]int]
		Connect(src, slow)
		Connect(slow, b)
		Connect(b, collect(g, spec("save"), &batches))
		res, err := Run(ctx, g)
		if !errors.Is(err, context.Canceled) || res.Status != StatusCanceled || res.Err != nil {
			t.Fatalf("err=%v status=%s res.Err=%v", err, res.Status, res.Err)
		}
		if inFlight.Load() != 0 {
			t.Errorf("items still in flight after Run returned")
		}
		src1, slow1, b1, save1 := stats(t, res, "src"), stats(t, res, "slow"), stats(t, res, "batch"), stats(t, res, "save")
		if src1.Dropped != 1 {
			t.Errorf("producer dropped %d, want 1 (the refused emit)", src1.Dropped)
		}
		// Nothing is lost silently: every item emitted is processed or counted as dropped.
		if got := slow1.In + slow1.Dropped; got != src1.Out {
			t.Errorf("slow in %d + dropped %d != src out %d", slow1.In, slow1.Dropped, src1.Out)
		}
		if slow1.Dropped == 0 {
			t.Errorf("no queued item was dropped: %+v", slow1)
		}
		if b1.In+b1.Dropped != slow1.Out {
			t.Errorf("batch in %d + dropped %d != slow out %d", b1.In, b1.Dropped, slow1.Out)
		}
		// The accumulator flushed its partial batch; the consumer got it after cancellation
		// and dropped it, counting it.
		if b1.Out != 1 || save1.In+save1.Dropped != 1 {
			t.Errorf("accumulator flush: batch out %d, save in %d dropped %d", b1.Out, save1.In, save1.Dropped)
		}
	})
}

// TestCancelBlockedProducer: a producer blocked on a full queue when the run is canceled
// does not hang.
func TestCancelBlockedProducer(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		g := newGraph(GraphConfig{QueueSize: 2})
		var emitted atomic.Int64
		src := endless(g, spec("src"), &emitted)
		stuck := Consumer(g, spec("stuck"), func(*Emitter[Nothing]) func(context.Context, int) error {
			return func(ctx context.Context, v int) error {
				<-ctx.Done() // the first item blocks until cancellation
				return nil
			}
		})
		Connect(src, stuck)
		done := make(chan struct{})
		var res Result
		var err error
		go func() {
			res, err = Run(ctx, g)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after cancellation")
		}
		if !errors.Is(err, context.DeadlineExceeded) || res.Status != StatusCanceled {
			t.Fatalf("err=%v status=%s", err, res.Status)
		}
		if st := stats(t, res, "stuck"); st.In > 2 || st.Dropped == 0 || st.In+st.Dropped != stats(t, res, "src").Out {
			t.Errorf("stuck stats %+v", st)
		}
	})
}

func TestCanceledBeforeStart(t *testing.T) {
	noLeak(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := NewGraph(GraphConfig{})
	var emitted atomic.Int64
	src := endless(g, spec("src"), &emitted)
	Connect(src, collect(g, spec("sink"), &collector[int]{}))
	res, err := Run(ctx, g)
	if !errors.Is(err, context.Canceled) || res.Status != StatusCanceled || emitted.Load() != 0 {
		t.Fatalf("err=%v status=%s emitted=%d", err, res.Status, emitted.Load())
	}
}

func TestHandleStop(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{QueueSize: 10})
		var emitted atomic.Int64
		src := endless(g, spec("src"), &emitted)
		var sum atomic.Int64
		mid := mapInts(g, spec("mid"), func(x int) int { return x })
		sink := Consumer(g, threads("sink", 3), func(*Emitter[Nothing]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				sum.Add(int64(v))
				time.Sleep(10 * time.Microsecond)
				return nil
			}
		})
		Connect(src, mid)
		Connect(mid, sink)
		h := Start(context.Background(), g)
		deadline := time.Now().Add(5 * time.Second)
		for {
			st := h.Stats()
			if len(st) == 3 && st[2].In > 100 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no progress: %+v", st)
			}
			time.Sleep(time.Millisecond)
		}
		if !h.Running() {
			t.Fatal("not running")
		}
		h.Stop()
		if h.Running() {
			t.Fatal("still running after Stop")
		}
		res, err := h.Wait()
		if !errors.Is(err, context.Canceled) || res.Status != StatusCanceled {
			t.Fatalf("err=%v status=%s", err, res.Status)
		}
		h.Stop() // a second Stop is harmless
	})
}

// TestCancelWithRetryBackoff: an item waiting for its retry does not hold the run.
func TestCancelWithRetryBackoff(t *testing.T) {
	noLeak(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := NewGraph(GraphConfig{})
	src := countTo(g, spec("src"), 1)
	s := spec("flaky")
	s.Retry = 5
	s.Backoff = time.Hour
	flaky := Consumer(g, s, func(*Emitter[Nothing]) func(context.Context, int) error {
		return func(context.Context, int) error {
			cancel()
			return errBoom
		}
	})
	Connect(src, flaky)
	res, err := Run(ctx, g)
	if !errors.Is(err, context.Canceled) || len(res.Failures) != 1 || res.Failures[0].Attempts != 1 {
		t.Fatalf("err=%v failures=%v", err, res.Failures)
	}
}

// TestCancelOrderedCapped: cancellation with an ordered stage under max_threads does not hang
// and keeps the emitted items in order.
func TestCancelOrderedCapped(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		g := newGraph(GraphConfig{MaxThreads: 3, QueueSize: 20})
		var emitted, n atomic.Int64
		src := endless(g, spec("src"), &emitted)
		s := threads("ord", 4)
		s.Ordered = true
		ord := Processor(g, s, func(w *Emitter[int]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				if n.Add(1) == 300 {
					cancel()
				}
				if v%7 == 0 {
					time.Sleep(50 * time.Microsecond)
				}
				w.Emit(v)
				return nil
			}
		})
		var c collector[int]
		sink := Consumer(g, threads("sink", 2), func(*Emitter[Nothing]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				c.add(v)
				return nil
			}
		})
		Connect(src, ord)
		Connect(ord, sink)
		res, err := Run(ctx, g)
		if !errors.Is(err, context.Canceled) || res.Status != StatusCanceled {
			t.Fatalf("err=%v status=%s", err, res.Status)
		}
		o, sk := stats(t, res, "ord"), stats(t, res, "sink")
		if o.Out != sk.In+sk.Dropped {
			t.Errorf("ord out %d != sink in %d + dropped %d", o.Out, sk.In, sk.Dropped)
		}
	})
}
