package mgrt

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestLinearChain(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		for _, strat := range []Strategy{{}, {Kind: Threads, N: 1}, {Kind: Threads, N: 3}} {
			g := newGraph(GraphConfig{Pipeline: "linear"})
			src := countTo(g, spec("src"), 5000)
			s1 := spec("double")
			s1.Strategy = strat
			dbl := mapInts(g, s1, func(x int) int { return 2 * x })
			s2 := spec("inc")
			s2.Strategy = strat
			inc := mapInts(g, s2, func(x int) int { return x + 1 })
			var c collector[int]
			Connect(src, dbl)
			Connect(dbl, inc)
			Connect(inc, collect(g, spec("sink"), &c))
			res := mustRun(t, g)
			got := c.get()
			if strat.N > 1 {
				got = sorted(got)
			}
			if want := seq(0, 5000, func(i int) int { return 2*i + 1 }); !slices.Equal(got, want) {
				t.Fatalf("%s: got %d items, want %d (first %v)", strat, len(got), len(want), got[:min(5, len(got))])
			}
			for _, name := range []string{"double", "inc", "sink"} {
				if s := stats(t, res, name); s.In != 5000 {
					t.Errorf("%s: %s in = %d", strat, name, s.In)
				}
			}
			if s := stats(t, res, "src"); s.Out != 5000 {
				t.Errorf("src out = %d", s.Out)
			}
		}
	})
}

func TestFanOutBroadcast(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 1000)
		mid := mapInts(g, spec("mid"), func(x int) int { return x })
		var a, b collector[int]
		Connect(src, mid)
		Connect(mid, collect(g, spec("a"), &a))
		Connect(mid, collect(g, spec("b"), &b))
		mustRun(t, g)
		want := seq(0, 1000, func(i int) int { return i })
		if !slices.Equal(a.get(), want) || !slices.Equal(b.get(), want) {
			t.Fatalf("broadcast: a=%d b=%d items", len(a.get()), len(b.get()))
		}
	})
}

func TestFanOutRoundRobin(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 10)
		src.SetRouting(RoutingRoundRobin)
		var cs [3]collector[int]
		for i := range cs {
			Connect(src, collect(g, spec("w"+string(rune('1'+i))), &cs[i]))
		}
		mustRun(t, g)
		wants := [][]int{{0, 3, 6, 9}, {1, 4, 7}, {2, 5, 8}}
		for i := range cs {
			if got := cs[i].get(); !slices.Equal(got, wants[i]) {
				t.Errorf("w%d got %v, want %v", i+1, got, wants[i])
			}
		}
		// A processor routing round robin to two fused or queued stages.
		g = newGraph(GraphConfig{})
		src = countTo(g, spec("src"), 100)
		mid := mapInts(g, spec("mid"), func(x int) int { return x })
		mid.SetRouting(RoutingRoundRobin)
		var x, y collector[int]
		Connect(src, mid)
		Connect(mid, collect(g, spec("x"), &x))
		Connect(mid, collect(g, spec("y"), &y))
		mustRun(t, g)
		if len(x.get()) != 50 || len(y.get()) != 50 || x.get()[0] != 0 || y.get()[0] != 1 {
			t.Errorf("round robin from a processor: x=%v y=%v", x.get()[:3], y.get()[:3])
		}
	})
}

func TestFanIn(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{QueueSize: 8})
		fast := countTo(g, spec("fast"), 500)
		slow := Producer(g, spec("slow"), func(w *Emitter[int]) func(context.Context) error {
			return func(context.Context) error {
				for i := 500; i < 520; i++ {
					time.Sleep(time.Millisecond)
					w.Emit(i)
				}
				return nil
			}
		})
		var c collector[int]
		sink := collect(g, spec("sink"), &c)
		Connect(fast, sink)
		Connect(slow, sink)
		mustRun(t, g)
		if got := sorted(c.get()); !slices.Equal(got, seq(0, 520, func(i int) int { return i })) {
			t.Fatalf("fan-in lost items: got %d", len(got))
		}
	})
}

// TestDiamond is shared/spec/routing.mg's Diamond: merged=10 sum=75.
func TestDiamond(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		src := Producer(g, spec("source"), func(w *Emitter[int]) func(context.Context) error {
			return func(context.Context) error {
				for i := 1; i <= 5; i++ {
					w.Emit(i)
				}
				return nil
			}
		})
		a := mapInts(g, spec("path_a"), func(x int) int { return 2 * x })
		b := mapInts(g, threads("path_b", 2), func(x int) int { return 3 * x })
		var c collector[int]
		merge := collect(g, spec("merge"), &c)
		Connect(src, a)
		Connect(src, b)
		Connect(a, merge)
		Connect(b, merge)
		mustRun(t, g)
		sum := 0
		for _, v := range c.get() {
			sum += v
		}
		if len(c.get()) != 10 || sum != 75 {
			t.Fatalf("merged=%d sum=%d, want 10 and 75", len(c.get()), sum)
		}
	})
}

// TestDynamicRouting sends with To(i) from a stage whose two downstreams run at very
// different speeds into one stage: the merge must neither end early nor lose anything.
func TestDynamicRouting(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{QueueSize: 4})
		src := countTo(g, spec("numbers"), 400)
		split := Processor(g, spec("split"), func(w *Emitter[int]) func(context.Context, int) error {
			evens, odds := w.To(0), w.To(1)
			return func(_ context.Context, n int) error {
				if n%2 == 0 {
					evens(n)
				} else {
					odds(n)
				}
				return nil
			}
		})
		fast := mapInts(g, spec("fast"), func(x int) int { return x })
		slow := Processor(g, threads("slow", 2), func(w *Emitter[int]) func(context.Context, int) error {
			return func(_ context.Context, n int) error {
				if n%50 == 1 {
					time.Sleep(5 * time.Millisecond)
				}
				w.Emit(n)
				return nil
			}
		})
		var c collector[int]
		merge := collect(g, spec("merge"), &c)
		Connect(src, split)
		Connect(split, fast)
		Connect(split, slow)
		Connect(fast, merge)
		Connect(slow, merge)
		res := mustRun(t, g)
		if got := sorted(c.get()); !slices.Equal(got, seq(0, 400, func(i int) int { return i })) {
			t.Fatalf("merge got %d items, want 400", len(got))
		}
		if s := stats(t, res, "fast"); s.In != 200 {
			t.Errorf("fast in = %d", s.In)
		}
		if s := stats(t, res, "split"); s.Out != 400 {
			t.Errorf("split out = %d", s.Out)
		}
	})
}

func TestToOutOfRangePanicsInBind(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{})
	src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			w.To(3)(1)
			return nil
		}
	})
	Connect(src, collect(g, spec("sink"), &collector[int]{}))
	_, err := Run(context.Background(), g)
	if err == nil || !contains(err.Error(), "To(3)") {
		t.Fatalf("err = %v", err)
	}
}

// TestZeroSenders: a stage nothing sends to ends at once, with its hooks.
func TestZeroSenders(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{})
	var before, after atomic.Int32
	idle := collect(g, spec("idle"), &collector[int]{})
	idle.Before(func(context.Context) error { before.Add(1); return nil })
	idle.After(func(context.Context) error { after.Add(1); return nil })
	down := collect(g, spec("down"), &collector[int]{})
	mid := mapInts(g, spec("mid"), func(x int) int { return x })
	Connect(mid, down)
	res := mustRun(t, g)
	if before.Load() != 1 || after.Load() != 1 {
		t.Fatalf("before=%d after=%d", before.Load(), after.Load())
	}
	if len(res.Stages) != 3 {
		t.Fatalf("stages: %v", res.Stages)
	}
}

func TestUnboundedQueue(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{QueueSize: -1})
		src := countTo(g, spec("src"), 3000)
		s := spec("mid")
		s.QueueSize = -1
		mid := mapInts(g, s, func(x int) int { return x + 1 })
		var c collector[int]
		Connect(src, mid)
		Connect(mid, collect(g, spec("sink"), &c))
		mustRun(t, g)
		if got := c.get(); !slices.Equal(got, seq(0, 3000, func(i int) int { return i + 1 })) {
			t.Fatalf("got %d items", len(got))
		}
	})
}

type addStage struct{ n int }

func (s addStage) Process(_ context.Context, in int, emit func(int)) error {
	emit(in + s.n)
	emit(in + s.n)
	return nil
}

func TestCustomStage(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 100)
		cs := Custom[int, int](g, spec("custom"), addStage{n: 10})
		var c collector[int]
		Connect(src, cs)
		Connect(cs, collect(g, spec("sink"), &c))
		res := mustRun(t, g)
		if got := c.get(); len(got) != 200 || got[0] != 10 || got[199] != 109 {
			t.Fatalf("got %d items", len(got))
		}
		if s := stats(t, res, "custom"); s.Kind != KindCustom || s.Out != 200 {
			t.Errorf("custom stats: %+v", s)
		}
	})
}

// TestLongFusedChain runs a chain of inline stages after an accumulator and a Threads(1)
// stage, which fuse into their goroutines.
func TestLongFusedChain(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 1000)
		b := Batch[int](g, spec("batch"), 7, 0)
		flat := Processor(g, spec("flatten"), func(w *Emitter[int]) func(context.Context, []int) error {
			return func(_ context.Context, xs []int) error {
				for _, x := range xs {
					w.Emit(x)
				}
				return nil
			}
		})
		prev := mapInts(g, spec("s0"), func(x int) int { return x + 1 })
		Connect(flat, prev)
		for i := range 5 {
			n := mapInts(g, spec("s"+string(rune('a'+i))), func(x int) int { return x + 1 })
			Connect(prev, n)
			prev = n
		}
		var c collector[int]
		Connect(src, b)
		Connect(b, flat)
		Connect(prev, collect(g, spec("sink"), &c))
		mustRun(t, g)
		if got := c.get(); !slices.Equal(got, seq(0, 1000, func(i int) int { return i + 6 })) {
			t.Fatalf("got %d items", len(got))
		}
	})
}

func TestGraphRunsTwice(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{})
	src := countTo(g, spec("src"), 100)
	var c collector[int]
	Connect(src, collect(g, spec("sink"), &c))
	r1 := mustRun(t, g)
	r2 := mustRun(t, g)
	if len(c.get()) != 200 || r1.JobID == r2.JobID {
		t.Fatalf("items=%d jobs %s %s", len(c.get()), r1.JobID, r2.JobID)
	}
	if s := stats(t, r2, "sink"); s.In != 100 {
		t.Errorf("second run's stats are not fresh: in=%d", s.In)
	}
}

func TestGraphAlreadyRunning(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{Pipeline: "busy"})
	release := make(chan struct{})
	src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			<-release
			return nil
		}
	})
	Connect(src, collect(g, spec("sink"), &collector[int]{}))
	h := Start(context.Background(), g)
	_, err := Run(context.Background(), g)
	close(release)
	if _, werr := h.Wait(); werr != nil {
		t.Fatal(werr)
	}
	if err == nil || !contains(err.Error(), "already running") {
		t.Fatalf("second Run: %v", err)
	}
}

// TestBindPanic: a bind function that panics (a generator bug) fails the run with the stage's
// position, and nothing is left running.
func TestBindPanic(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{QueueSize: -1})
	src := countTo(g, spec("src"), 10)
	bad := Processor(g, spec("bad"), func(w *Emitter[int]) func(context.Context, int) error {
		w.To(5)
		return nil
	})
	Connect(src, bad)
	Connect(bad, collect(g, spec("sink"), &collector[int]{}))
	res, err := Run(context.Background(), g)
	var se *StageError
	if !errors.As(err, &se) || se.Stage != "bad" || res.Status != StatusFailed || !contains(err.Error(), "To(5)") {
		t.Fatalf("err = %v", err)
	}
}
