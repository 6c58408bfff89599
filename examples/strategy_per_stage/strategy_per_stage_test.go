package strategyperstage

import (
	"context"
	"os"
	"slices"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestStrategyPerStage(t *testing.T) {
	p := NewStrategyPerStage()
	p.Latency = 0
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s with %d failures", res.Status, len(res.Failures))
	}

	// Every order is saved exactly once, whatever process saved it.
	saved := slices.Sorted(slices.Values(p.saved))
	want := make([]int, 200)
	wantCents := 0
	for i := range want {
		id := i + 1
		want[i] = id
		net := id*7919%10000 + 100
		wantCents += net + net/5
	}
	if !slices.Equal(saved, want) {
		t.Errorf("saved %d order ids %v..., want 1..200 once each", len(saved), saved[:min(5, len(saved))])
	}
	if p.cents != wantCents {
		t.Errorf("saved %d cents, want %d (every order priced once, with tax)", p.cents, wantCents)
	}
	if p.lookups != 200 || p.batches != 8 {
		t.Errorf("lookups=%d batches=%d, want 200 and 8", p.lookups, p.batches)
	}

	// One fresh process per batch; the pool is one or two other processes.
	parent := os.Getpid()
	if len(p.savers) != 8 || p.savers[parent] {
		t.Errorf("batches saved by processes %v, want 8 distinct worker pids (parent %d)", p.savers, parent)
	}
	if len(p.pricers) < 1 || len(p.pricers) > 2 || p.pricers[parent] {
		t.Errorf("orders priced by processes %v, want 1 or 2 pool workers (parent %d)", p.pricers, parent)
	}
	for pid := range p.pricers {
		if p.savers[pid] {
			t.Errorf("pid %d both priced orders and saved a batch", pid)
		}
	}

	// Each stage ran under its own strategy and saw every item.
	type row struct {
		strategy string
		in, out  int64
	}
	wantStages := map[string]row{
		"ids":    {"inline", 0, 200},
		"lookup": {"threads(8)", 200, 200},
		"price":  {"processes(2)", 200, 200},
		"batch":  {"inline", 200, 8},
		"save":   {"process_per_batch(max: 3, ipc: pipe)", 8, 0},
	}
	if len(res.Stages) != len(wantStages) {
		t.Errorf("%d stages in the result, want %d", len(res.Stages), len(wantStages))
	}
	for _, st := range res.Stages {
		w, ok := wantStages[st.Name]
		got := row{st.Strategy.String(), st.In, st.Out}
		if !ok || got != w {
			t.Errorf("stage %s: %+v, want %+v", st.Name, got, w)
		}
	}
}
