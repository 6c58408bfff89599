package nestedcontexts

import (
	"context"
	"maps"
	"os"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// The strategy each stage gets from the blocks around it or its own option.
var wantStrategies = map[string]string{
	"urls":      "inline",                               // a producer: blocks do not apply
	"fetch":     "threads(4)",                           // the outer block
	"lowercase": "inline",                               // its own option
	"batch":     "inline",                               // a batch runs in the parent
	"count":     "process_per_batch(max: 2, ipc: pipe)", // the inner block, context(heavy)
	"prune":     "processes(2)",                         // its own option
	"publish":   "threads(4)",                           // the outer block again
}

func TestNestedContextsStrategies(t *testing.T) {
	info := NewNestedContexts().Graph()
	if len(info.Stages) != len(wantStrategies) {
		t.Errorf("%d stages, want %d", len(info.Stages), len(wantStrategies))
	}
	for _, s := range info.Stages {
		if w := wantStrategies[s.Name]; s.Strategy.String() != w {
			t.Errorf("stage %s: strategy %s, want %s", s.Name, s.Strategy, w)
		}
	}
}

func TestNestedContexts(t *testing.T) {
	p := NewNestedContexts()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}

	// The index, counted here: five words per page, stop words left out.
	vocab := strings.Fields("go pipeline worker process batch queue stage hook merge state")
	want := map[string]int{}
	for i := 0; i < 120; i++ {
		for k := 0; k < 5; k++ {
			if w := vocab[(i*(k+1)+k)%len(vocab)]; w != "go" && w != "state" {
				want[w]++
			}
		}
	}
	if !maps.Equal(p.index, want) {
		t.Errorf("index %v, want %v", p.index, want)
	}
	if p.fetched != 120 || p.shards != 4 {
		t.Errorf("fetched %d pages, published %d shards; want 120 and 4", p.fetched, p.shards)
	}

	// A fresh process per batch; a pool of at most two other processes.
	parent := os.Getpid()
	if len(p.countPIDs) != 4 || p.countPIDs[parent] {
		t.Errorf("batches counted by %v, want 4 worker processes (parent %d)", p.countPIDs, parent)
	}
	if len(p.prunePIDs) < 1 || len(p.prunePIDs) > 2 || p.prunePIDs[parent] {
		t.Errorf("shards pruned by %v, want 1 or 2 pool workers (parent %d)", p.prunePIDs, parent)
	}
	for pid := range p.prunePIDs {
		if p.countPIDs[pid] {
			t.Errorf("pid %d served both count and prune", pid)
		}
	}

	// The run reports the same strategies, and every item went through.
	wantCounts := map[string][2]int64{
		"urls": {0, 120}, "fetch": {120, 120}, "lowercase": {120, 120}, "batch": {120, 4},
		"count": {4, 4}, "prune": {4, 4}, "publish": {4, 0},
	}
	for _, st := range res.Stages {
		if st.Strategy.String() != wantStrategies[st.Name] || [2]int64{st.In, st.Out} != wantCounts[st.Name] {
			t.Errorf("stage %s: %s in=%d out=%d, want %s %v", st.Name, st.Strategy, st.In, st.Out, wantStrategies[st.Name], wantCounts[st.Name])
		}
	}
}
