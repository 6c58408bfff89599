package mgrt

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// barrier lets n goroutines through once n of them wait at once; wait fails after a timeout.
type barrier struct {
	mu      sync.Mutex
	n       int
	waiting int
	open    chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, open: make(chan struct{})} }

func (b *barrier) wait() bool {
	b.mu.Lock()
	open := b.open
	b.waiting++
	if b.waiting == b.n {
		b.waiting = 0
		close(b.open)
		b.open = make(chan struct{})
	}
	b.mu.Unlock()
	select {
	case <-open:
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}

// TestThreadsReallyConcurrent: threads(4) runs 4 bodies at once, or the barrier would time out.
func TestThreadsReallyConcurrent(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		const n = 4
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 3*n)
		bar := newBarrier(n)
		var binds atomic.Int32
		var timedOut atomic.Bool
		work := Processor(g, threads("work", n), func(w *Emitter[int]) func(context.Context, int) error {
			binds.Add(1)
			return func(_ context.Context, v int) error {
				if !bar.wait() {
					timedOut.Store(true)
				}
				w.Emit(v)
				return nil
			}
		})
		var c collector[int]
		Connect(src, work)
		Connect(work, collect(g, spec("sink"), &c))
		mustRun(t, g)
		if timedOut.Load() {
			t.Fatal("the 4 bodies never ran at the same time")
		}
		if binds.Load() != n {
			t.Errorf("bind called %d times, want %d", binds.Load(), n)
		}
		if got := sorted(c.get()); !slices.Equal(got, seq(0, 3*n, func(i int) int { return i })) {
			t.Errorf("got %v", got)
		}
	})
}

// TestBackpressure: with a small queue and a consumer that does not consume, the producer
// gets only a bounded number of items ahead.
func TestBackpressure(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		const queue = 4
		g := newGraph(GraphConfig{QueueSize: queue})
		var emitted atomic.Int64
		src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
			return func(context.Context) error {
				for i := range 1000 {
					emitted.Add(1)
					w.Emit(i)
				}
				return nil
			}
		})
		mid := mapInts(g, spec("mid"), func(x int) int { return x })
		gate := make(chan struct{})
		var c collector[int]
		sink := Consumer(g, spec("sink"), func(*Emitter[Nothing]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				<-gate
				c.add(v)
				return nil
			}
		})
		Connect(src, mid)
		Connect(mid, sink)
		h := Start(context.Background(), g)
		time.Sleep(100 * time.Millisecond)
		// Each queue holds `queue` items, each goroutine one more item in hand and one being
		// sent: src → mid → sink (with mid fused or not).
		if n := emitted.Load(); n > 3*queue+4 {
			t.Errorf("producer got %d items ahead of a blocked consumer with queues of %d", n, queue)
		}
		close(gate)
		res, err := h.Wait()
		if err != nil || len(c.get()) != 1000 {
			t.Fatalf("err=%v items=%d", err, len(c.get()))
		}
		if s := stats(t, res, "src"); s.BlockedOut == 0 {
			t.Errorf("producer never blocked on output: %+v", s)
		}
	})
}

// TestMaxThreads: two threads(4) stages under max_threads 3 never run more than 3 bodies at
// once, but do reach 3.
func TestMaxThreads(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{MaxThreads: 3, QueueSize: 2})
	var running, peak atomic.Int32
	body := func() {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		running.Add(-1)
	}
	src := countTo(g, spec("src"), 60)
	a := Processor(g, threads("a", 4), func(w *Emitter[int]) func(context.Context, int) error {
		return func(_ context.Context, v int) error {
			body()
			w.Emit(v)
			return nil
		}
	})
	var c collector[int]
	b := Consumer(g, threads("b", 4), func(*Emitter[Nothing]) func(context.Context, int) error {
		return func(_ context.Context, v int) error {
			body()
			c.add(v)
			return nil
		}
	})
	Connect(src, a)
	Connect(a, b)
	mustRun(t, g)
	if len(c.get()) != 60 {
		t.Fatalf("got %d items", len(c.get()))
	}
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrent bodies = %d, want 3", p)
	}
}

func TestOrdered(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{QueueSize: 50})
		src := countTo(g, spec("src"), 2000)
		s := threads("shuffle", 6)
		s.Ordered = true
		shuffle := Processor(g, s, func(w *Emitter[int]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				if rand.IntN(20) == 0 {
					time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
				}
				if v%10 == 3 {
					return nil // emits nothing
				}
				w.Emit(v)
				if v%10 == 5 {
					w.To(0)(-v) // two emits for one item
				}
				return nil
			}
		})
		var c collector[int]
		Connect(src, shuffle)
		Connect(shuffle, collect(g, spec("sink"), &c))
		res := mustRun(t, g)
		var want []int
		for v := range 2000 {
			switch v % 10 {
			case 3:
			case 5:
				want = append(want, v, -v)
			default:
				want = append(want, v)
			}
		}
		if got := c.get(); !slices.Equal(got, want) {
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("out of order at %d: got %v, want %v", i, got[i:min(i+5, len(got))], want[i:i+5])
				}
			}
			t.Fatalf("got %d items, want %d", len(got), len(want))
		}
		if s := stats(t, res, "shuffle"); s.Out != int64(len(want)) {
			t.Errorf("out = %d, want %d", s.Out, len(want))
		}
	})
}

func TestBatchSizeAndEndFlush(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 95)
		b := Batch[int](g, spec("batch"), 10, 0)
		var c collector[[]int]
		Connect(src, b)
		Connect(b, collect(g, spec("save"), &c))
		res := mustRun(t, g)
		got := c.get()
		if len(got) != 10 {
			t.Fatalf("got %d batches, want 10", len(got))
		}
		for i, batch := range got {
			want := 10
			if i == 9 {
				want = 5
			}
			if len(batch) != want || batch[0] != 10*i {
				t.Errorf("batch %d = %v", i, batch)
			}
		}
		if s := stats(t, res, "batch"); s.In != 95 || s.Out != 10 || s.Kind != KindAccumulator {
			t.Errorf("batch stats: %+v", s)
		}
	})
}

// TestBatchMaxWait: a partial batch leaves when its oldest item has waited max_wait, while the
// producer is still running.
func TestBatchMaxWait(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		seen := make(chan []int, 10)
		var waited time.Duration
		src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
			return func(context.Context) error {
				w.Emit(1)
				w.Emit(2)
				w.Emit(3)
				t0 := time.Now()
				select {
				case <-seen:
					waited = time.Since(t0)
				case <-time.After(5 * time.Second):
					waited = -1
				}
				w.Emit(4)
				return nil
			}
		})
		b := Batch[int](g, spec("batch"), 100, 20*time.Millisecond)
		var c collector[[]int]
		save := Consumer(g, spec("save"), func(*Emitter[Nothing]) func(context.Context, []int) error {
			return func(_ context.Context, v []int) error {
				c.add(v)
				seen <- v
				return nil
			}
		})
		Connect(src, b)
		Connect(b, save)
		mustRun(t, g)
		if waited < 0 {
			t.Fatal("the partial batch never left before the end of stream")
		}
		got := c.get()
		if len(got) != 2 || !slices.Equal(got[0], []int{1, 2, 3}) || !slices.Equal(got[1], []int{4}) {
			t.Fatalf("batches %v", got)
		}
	})
}

func TestAccumulatorWithBody(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 100)
		s := spec("sum")
		s.Strategy = Strategy{Kind: Processes, N: 4} // ignored: accumulators run in process
		acc := Accumulator(g, s, 10, 0, func(w *Emitter[int]) func(context.Context, []int) error {
			return func(_ context.Context, b []int) error {
				t := 0
				for _, v := range b {
					t += v
				}
				w.Emit(t)
				return nil
			}
		})
		var c collector[int]
		Connect(src, acc)
		Connect(acc, collect(g, spec("sink"), &c))
		mustRun(t, g)
		total := 0
		for _, v := range c.get() {
			total += v
		}
		if len(c.get()) != 10 || total != 4950 {
			t.Fatalf("sums %v", c.get())
		}
	})
}
