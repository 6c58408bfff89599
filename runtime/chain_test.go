package mgrt

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The chain tests write chains as the generator writes them (codegen/emit_chain.go): the
// first stage's bind function makes one function per later stage, which enters the stage,
// runs its body with the next function as emit, and records an error or a panic.

// chainCall is the generated function of one chained stage.
func chainCall[In, Out any](f *FusedStage, ctx *context.Context, body func(ctx context.Context, v In, emit func(Out)) error, emit func(Out)) func(In) {
	return func(v In) {
		s := 1
		if !f.Fast() {
			s = f.Enter()
		}
		ok := false
		defer func() {
			if !ok {
				f.Panic(v, recover())
			}
		}()
		if err := body(*ctx, v, emit); err != nil {
			f.Fail(v, err)
		}
		ok = true
		if s == 2 {
			f.Leave()
		}
	}
}

// firstCall is chainCall for the stage after a producer.
func firstCall[In, Out any](f *FusedStage, ctx *context.Context, body func(ctx context.Context, v In, emit func(Out)) error, emit func(Out)) func(In) {
	return func(v In) {
		s := 1
		if !f.FastFirst() {
			s = f.Enter()
		}
		ok := false
		defer func() {
			if !ok {
				f.Panic(v, recover())
			}
		}()
		if err := body(*ctx, v, emit); err != nil {
			f.Fail(v, err)
		}
		ok = true
		if s == 2 {
			f.Leave()
		}
	}
}

// chainGraph is gen(n) -> a -> b -> sink, chained, with the bodies given.
type chainGraph struct {
	g          *Graph
	gen, a, b  *Node[Nothing, int]
	sink       *Node[int, Nothing]
	got        []int
	mu         sync.Mutex
	bodyA      func(ctx context.Context, v int, emit func(int)) error
	bodyB      func(ctx context.Context, v int, emit func(int)) error
	produce    func(ctx context.Context, emit func(int)) error
	an, bn     *Node[int, int]
	beforeHits []string
}

func newChainGraph(n int) *chainGraph {
	c := &chainGraph{g: NewGraph(GraphConfig{Pipeline: "chain"})}
	c.bodyA = func(_ context.Context, v int, emit func(int)) error { emit(v * 2); return nil }
	c.bodyB = func(_ context.Context, v int, emit func(int)) error { emit(v + 1); return nil }
	c.produce = func(ctx context.Context, emit func(int)) error {
		for i := range n {
			emit(i)
		}
		return nil
	}
	return c
}

func (c *chainGraph) build() *Graph {
	g := c.g
	sinkBody := func(_ context.Context, v int, _ func(Nothing)) error {
		c.mu.Lock()
		c.got = append(c.got, v)
		c.mu.Unlock()
		return nil
	}
	gen := Producer(g, spec("gen"), func(w *Emitter[int]) func(ctx context.Context) error {
		var ctx context.Context
		fa, fb, fs := w.Chained(1), w.Chained(2), w.Chained(3)
		callS := chainCall(fs, &ctx, sinkBody, nil)
		callB := chainCall(fb, &ctx, func(ctx context.Context, v int, emit func(int)) error { return c.bodyB(ctx, v, emit) }, callS)
		callA := firstCall(fa, &ctx, func(ctx context.Context, v int, emit func(int)) error { return c.bodyA(ctx, v, emit) }, callB)
		return func(cx context.Context) error {
			ctx = cx
			return c.produce(cx, callA)
		}
	})
	c.an = Processor[int, int](g, spec("a"), nil)
	c.bn = Processor[int, int](g, spec("b"), nil)
	c.sink = Consumer[int](g, spec("sink"), nil)
	Connect(gen, c.an)
	Connect(c.an, c.bn)
	Connect(c.bn, c.sink)
	Chain(gen, c.an, c.bn, c.sink)
	return g
}

func TestChainRunsAndCounts(t *testing.T) {
	noLeak(t)
	c := newChainGraph(1000)
	res := mustRun(t, c.build())
	if len(c.got) != 1000 || c.got[0] != 1 || c.got[999] != 1999 {
		t.Fatalf("got %d items, first %v", len(c.got), c.got[:min(3, len(c.got))])
	}
	for _, name := range []string{"a", "b", "sink"} {
		st := stats(t, res, name)
		if st.In != 1000 || st.Failed != 0 {
			t.Errorf("%s: in %d failed %d, want 1000 and 0", name, st.In, st.Failed)
		}
		if st.P50 <= 0 {
			t.Errorf("%s: no latency sampled", name)
		}
	}
	for _, name := range []string{"gen", "a", "b"} {
		if st := stats(t, res, name); st.Out != 1000 {
			t.Errorf("%s: out %d, want 1000", name, st.Out)
		}
	}
}

// A failure or a panic in a chained stage fails that item in that stage; the stage before
// it goes on with its body (here: its next emit), and the run goes on.
func TestChainFailuresAreTheStages(t *testing.T) {
	noLeak(t)
	c := newChainGraph(10)
	c.bodyA = func(_ context.Context, v int, emit func(int)) error {
		emit(v)
		emit(v + 100) // after a failure of the first emit in b, this one still goes
		return nil
	}
	c.bodyB = func(_ context.Context, v int, emit func(int)) error {
		switch v {
		case 3:
			return errBoom
		case 4:
			panic("four")
		}
		emit(v)
		return nil
	}
	var onError []string
	g := c.build()
	c.bn.OnError(func(_ context.Context, err error, item any) error {
		onError = append(onError, err.Error())
		return nil
	})
	res := mustRun(t, g)
	slices.Sort(c.got)
	want := []int{0, 1, 2, 5, 6, 7, 8, 9, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109}
	if !slices.Equal(c.got, want) {
		t.Fatalf("got %v, want %v", c.got, want)
	}
	if len(res.Failures) != 2 {
		t.Fatalf("failures %v", res.Failures)
	}
	for _, f := range res.Failures {
		if f.Stage != "b" || f.Pos != spec("b").Pos {
			t.Errorf("failure in %q at %v, want b at %v", f.Stage, f.Pos, spec("b").Pos)
		}
	}
	var pe *PanicError
	if !errors.As(res.Failures[1].Err, &pe) || pe.Value != "four" || res.Failures[1].Item != 4 {
		t.Errorf("second failure %v", res.Failures[1])
	}
	if st := stats(t, res, "b"); st.In != 20 || st.Failed != 2 || st.Out != 18 {
		t.Errorf("b: in %d failed %d out %d, want 20, 2, 18", st.In, st.Failed, st.Out)
	}
	if len(onError) != 2 || !strings.Contains(onError[1], "four") {
		t.Errorf("on_error saw %v", onError)
	}
}

// Hooks of chained stages run once each: before before the first item, after after the last,
// in chain order after the first stage's.
func TestChainHooks(t *testing.T) {
	noLeak(t)
	c := newChainGraph(5)
	g := c.build()
	var order []string
	add := func(s string) func(context.Context) error {
		return func(context.Context) error { order = append(order, s); return nil }
	}
	c.an.Before(add("before a"))
	c.an.After(add("after a"))
	c.sink.Before(add("before sink"))
	c.sink.After(add("after sink"))
	g.AfterProducers(add("after producer"))
	mustRun(t, g)
	want := []string{"before a", "before sink", "after producer", "after a", "after sink"}
	if !slices.Equal(order, want) {
		t.Errorf("hooks ran %v, want %v", order, want)
	}
}

// Cancellation stops the producer at an emit into the chain once the run knows it is
// canceled (the flag is set a moment after cancel returns); what is in flight finishes.
func TestChainCancel(t *testing.T) {
	noLeak(t)
	c := newChainGraph(0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.produce = func(_ context.Context, emit func(int)) error {
		for i := 0; ; i++ {
			if i == 50 {
				cancel()
			}
			emit(i)
		}
	}
	res, err := Run(ctx, c.build())
	if !errors.Is(err, context.Canceled) || res.Status != StatusCanceled {
		t.Fatalf("err %v status %s", err, res.Status)
	}
	gen := stats(t, res, "gen")
	if gen.Out < 50 || gen.Dropped != 1 || int(gen.Out) != len(c.got) {
		t.Errorf("gen out %d dropped %d, sink got %d; want at least 50, 1, as many as out", gen.Out, gen.Dropped, len(c.got))
	}
}

// A chain whose shape the graph does not have is refused before anything runs.
func TestChainRefused(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{Pipeline: "bad"})
	gen := countTo(g, spec("gen"), 3)
	a := Processor[int, int](g, spec("a"), nil)
	other := countTo(g, spec("other"), 3)
	Connect(gen, a)
	Connect(other, a)
	Chain(gen, a)
	_, err := Run(context.Background(), g)
	if err == nil || !strings.Contains(err.Error(), `another input than "gen"`) {
		t.Fatalf("err %v", err)
	}
}
