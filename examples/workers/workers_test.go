package workers

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func run(t *testing.T, r interface {
	Run(context.Context) (mgrt.Result, error)
}) mgrt.Result {
	t.Helper()
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// notParent checks that a set of pids holds only worker processes.
func notParent(t *testing.T, what string, pids map[int]bool, want int) {
	t.Helper()
	if pids[os.Getpid()] {
		t.Errorf("%s: the parent's pid %d is among the workers' %v", what, os.Getpid(), pids)
	}
	if want > 0 && len(pids) != want {
		t.Errorf("%s: %d distinct worker pids, want %d", what, len(pids), want)
	}
}

func TestStrategyPerStage(t *testing.T) {
	p := NewStrategyPerStage()
	run(t, p)
	slices.Sort(p.results)
	if len(p.results) != 200 || p.results[0] != 10 || p.results[199] != 2000 {
		t.Errorf("results: %d values from %v", len(p.results), p.results[:min(3, len(p.results))])
	}
	if p.batches != 8 {
		t.Errorf("batches = %d, want 8", p.batches)
	}
	notParent(t, "save", p.pids, 8)
}

func TestConnectionHooks(t *testing.T) {
	p := NewConnectionHooks()
	run(t, p)
	if p.parentClose != 3 {
		t.Errorf("before_fork ran %d times, want 3", p.parentClose)
	}
	if len(p.events) != 3 || p.events[0] != "connect" {
		t.Errorf("after_fork events = %v, want 3 connects", p.events)
	}
	if len(p.rows) != 60 {
		t.Fatalf("%d rows, want 60", len(p.rows))
	}
	for _, r := range p.rows {
		if !strings.HasPrefix(r, "worker-connection-") {
			t.Fatalf("row %q was not written through a worker's own connection", r)
		}
	}
	if conn != "parent-connection" {
		t.Errorf("the parent's connection became %q", conn)
	}
}

func TestCleanupHooks(t *testing.T) {
	p := NewCleanupHooks()
	run(t, p)
	if p.acquired != 10 || p.released != 10 || p.handled != 100 {
		t.Errorf("acquired=%d released=%d handled=%d, want 10 10 100", p.acquired, p.released, p.handled)
	}
}

func TestStatistics(t *testing.T) {
	p := NewStatistics()
	res := run(t, p)
	total := 0
	pids := map[int]bool{}
	for pid, n := range p.perPID {
		total += n
		pids[pid] = true
	}
	if total != 1000 {
		t.Errorf("per-worker counts add up to %d, want 1000", total)
	}
	if len(pids) == 0 || len(pids) > 3 {
		t.Errorf("%d workers counted, want 1 to 3", len(pids))
	}
	notParent(t, "double", pids, 0)
	if p.largest != 2000 || p.least != 2 {
		t.Errorf("largest=%d least=%d, want 2000 and 2", p.largest, p.least)
	}
	if p.total != 1000*1001 {
		t.Errorf("total = %d, want %d", p.total, 1000*1001)
	}
	if st, _ := res.Stage("double"); st.In != 1000 || st.Out != 1000 {
		t.Errorf("double stats: in=%d out=%d", st.In, st.Out)
	}
}

func TestErrorHooks(t *testing.T) {
	p := NewErrorHooks()
	res := run(t, p)
	if len(p.saved) != 60 || slices.Contains(p.saved, -1) {
		t.Errorf("saved %d items (a failed attempt's write must be dropped): %v", len(p.saved), p.saved)
	}
	if len(p.errors) != 4 {
		t.Errorf("on_error ran %d times, want 4: %v", len(p.errors), p.errors)
	}
	if len(res.Failures) != 4 {
		t.Fatalf("%d failures, want 4", len(res.Failures))
	}
	for _, f := range res.Failures {
		var re *mgrt.RemoteError
		if !errors.As(f.Err, &re) || !strings.Contains(re.Msg, "cannot save batch") {
			t.Errorf("failure %v: want a RemoteError saying cannot save batch", f.Err)
		}
		if f.Stage != "save" || f.Pos.Line == 0 {
			t.Errorf("failure at %s %q", f.Pos, f.Stage)
		}
	}
}

func TestInlineHooks(t *testing.T) {
	p := NewInlineHooks()
	run(t, p)
	count := func(s string, xs []string) int {
		n := 0
		for _, x := range xs {
			if x == s {
				n++
			}
		}
		return n
	}
	if n := count("before_fork", p.parentEvents); n != 4 {
		t.Errorf("before_fork in the parent: %d, want 4", n)
	}
	if a, w := count("after_fork", p.childEvents), count("work", p.childEvents); a != 4 || w != 4 {
		t.Errorf("child events: %d after_fork, %d work, want 4 and 4: %v", a, w, p.childEvents)
	}
	if len(p.results) != 40 {
		t.Errorf("%d results, want 40", len(p.results))
	}
}

func TestNestedContexts(t *testing.T) {
	p := NewNestedContexts()
	res := run(t, p)
	sum := 0
	for _, v := range p.results {
		sum += v
	}
	if len(p.results) != 4 || sum != 568820 {
		t.Errorf("results %v (sum %d), want 4 batch sums adding to 568820", p.results, sum)
	}
	notParent(t, "sum", p.pids, 4)
	notParent(t, "tag", p.poolPIDs, 0)
	for pid := range p.poolPIDs {
		if p.pids[pid] {
			t.Errorf("pid %d served both the per-batch stage and the pool", pid)
		}
	}
	info := map[string]mgrt.Strategy{}
	for _, s := range res.Stages {
		info[s.Name] = s.Strategy
	}
	if info["square"].Kind != mgrt.Threads || info["sum"].Kind != mgrt.ProcessPerBatch || info["tag"].Kind != mgrt.Processes {
		t.Errorf("strategies: square %v, sum %v, tag %v", info["square"], info["sum"], info["tag"])
	}
}

func TestBatchAndProcess(t *testing.T) {
	p := NewBatchAndProcess()
	run(t, p)
	if p.batches != 5 || p.items != 250 || p.total != 31125 {
		t.Errorf("batches=%d items=%d total=%d, want 5 250 31125", p.batches, p.items, p.total)
	}
	if len(p.sizes) != 5 || slices.ContainsFunc(p.sizes, func(n int) bool { return n != 50 }) {
		t.Errorf("batch sizes %v", p.sizes)
	}
}
