package mgrt

import (
	"slices"
	"testing"
)

func TestSmokeLinear(t *testing.T) {
	bothModes(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{Pipeline: "p"})
		src := countTo(g, spec("src"), 10000)
		dbl := mapInts(g, spec("double"), func(x int) int { return 2 * x })
		inc := mapInts(g, threads("inc", 1), func(x int) int { return x + 1 })
		var c collector[int]
		sink := collect(g, spec("sink"), &c)
		Connect(src, dbl)
		Connect(dbl, inc)
		Connect(inc, sink)
		res := mustRun(t, g)
		want := seq(0, 10000, func(i int) int { return 2*i + 1 })
		if got := c.get(); !slices.Equal(got, want) {
			t.Fatalf("got %d items, want %d", len(got), len(want))
		}
		t.Log("\n" + res.StatsTable())
	})
}
