package mgrt

import (
	"context"
	"strings"
	"testing"
)

// TestProcessStrategyNeedsWorker: a graph with a worker-process stage must name a registered
// pipeline for its workers to build; without one it is refused before anything runs.
func TestProcessStrategyNeedsWorker(t *testing.T) {
	noLeak(t)
	for _, strat := range []Strategy{{Kind: Processes, N: 4}, {Kind: ProcessPerBatch, N: 2, IPC: "pipe"}} {
		g := NewGraph(GraphConfig{Pipeline: "pool"})
		var ran bool
		src := Producer(g, spec("generate"), func(w *Emitter[int]) func(context.Context) error {
			ran = true
			return func(context.Context) error { return nil }
		})
		s := StageSpec{Name: "double", Pos: Pos{File: "pool.mg", Line: 27, Col: 2}, Strategy: strat}
		dbl := mapInts(g, s, func(x int) int { return x })
		Connect(src, dbl)
		res, err := Run(context.Background(), g)
		want := `pool.mg:27:2: stage "double": ` + strat.String() + `: the graph names no registered pipeline`
		if err == nil || !strings.HasPrefix(err.Error(), want) || res.Status != StatusFailed || ran {
			t.Errorf("err = %v, want prefix %q (ran=%v)", err, want, ran)
		}
		h := Start(context.Background(), g)
		if _, err := h.Wait(); err == nil || h.Running() {
			t.Errorf("Start: %v", err)
		}
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name  string
		build func(g *Graph)
		want  string
	}{
		{"cycle", func(g *Graph) {
			src := countTo(g, spec("src"), 1)
			a := mapInts(g, spec("a"), func(x int) int { return x })
			b := mapInts(g, spec("b"), func(x int) int { return x })
			Connect(src, a)
			Connect(a, b)
			Connect(b, a)
		}, `cycle: "a" -> "b" -> "a"`},
		{"duplicate", func(g *Graph) {
			countTo(g, spec("src"), 1)
			countTo(g, spec("src"), 1)
		}, `stage "src": duplicate stage name`},
		{"into producer", func(g *Graph) {
			src := countTo(g, spec("src"), 1)
			c := Consumer(g, spec("c"), func(*Emitter[Nothing]) func(context.Context, int) error { return nil })
			p := Producer(g, spec("p"), func(*Emitter[int]) func(context.Context) error { return nil })
			Connect(src, c)
			Connect(c, p)
		}, `stage "p": a producer cannot receive items`},
		{"threads(0)", func(g *Graph) {
			mapInts(g, threads("t", 0), func(x int) int { return x })
		}, `threads(0) needs at least one goroutine`},
		{"batch size", func(g *Graph) {
			Batch[int](g, spec("b"), 0, 0)
		}, `accumulator size 0 must be at least 1`},
		{"two dead letters", func(g *Graph) {
			a := mapInts(g, spec("a"), func(x int) int { return x })
			DeadLetter(a, collect(g, spec("d1"), &collector[Failed[int]]{}))
			DeadLetter(a, collect(g, spec("d2"), &collector[Failed[int]]{}))
		}, `two dead-letter stages`},
	}
	for _, c := range cases {
		g := NewGraph(GraphConfig{})
		c.build(g)
		_, err := Run(context.Background(), g)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}
