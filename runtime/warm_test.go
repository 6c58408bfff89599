//go:build unix

package mgrt

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/procexec"
)

// The workers of process_per_batch are started ahead of need (warm workers, see
// procexec/perbatch.go); these tests check what must stay true.

// procWatch samples the test's worker processes while a run goes on and reports the most seen
// alive at once.
type procWatch struct {
	stop chan struct{}
	done chan struct{}
	most atomic.Int64
}

func watchProcs() *procWatch {
	w := &procWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			if n := int64(len(childPIDs())); n > w.most.Load() {
				w.most.Store(n)
			}
			select {
			case <-w.stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return w
}

func (w *procWatch) end() int {
	close(w.stop)
	<-w.done
	return int(w.most.Load())
}

// noChildNow fails if a worker process is alive: a run ends only once its workers have, warm
// ones included.
func noChildNow(t *testing.T) {
	t.Helper()
	if kids := childPIDs(); len(kids) > 0 {
		t.Errorf("worker processes alive after the run returned: %v", kids)
	}
}

// Each batch runs in a process of its own that runs no other batch, and exactly one process
// starts per batch (before_fork), warm workers included.
func TestPerBatchFreshProcessEach(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	for _, procs := range []int{1, 3, 8} {
		p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", Procs: procs, N: 600, Batch: 20})
		w := watchProcs()
		mustRun(t, g)
		most := w.end()
		noChildNow(t)
		outs := p.got.get()
		checkExactlyOnce(t, outs, seq(1, 601, func(i int) int { return i }))
		batchOf := map[int]int{} // pid -> batch
		pidOf := map[int]int{}   // batch -> pid
		for _, o := range outs {
			b := (o.V - 1) / 20
			if pb, ok := batchOf[o.PID]; ok && pb != b {
				t.Fatalf("procs %d: process %d ran batches %d and %d", procs, o.PID, pb, b)
			}
			if pp, ok := pidOf[b]; ok && pp != o.PID {
				t.Fatalf("procs %d: batch %d ran in processes %d and %d", procs, b, pp, o.PID)
			}
			batchOf[o.PID], pidOf[b] = b, o.PID
		}
		if len(pidOf) != 30 || len(batchOf) != 30 {
			t.Errorf("procs %d: %d batches in %d processes, want 30 in 30", procs, len(pidOf), len(batchOf))
		}
		if n := p.beforeFork.Load(); n != 30 {
			t.Errorf("procs %d: %d processes started (before_fork), want 30: one per batch", procs, n)
		}
		if limit := procs + min(procs, 4); most > limit {
			t.Errorf("procs %d: %d worker processes at once, want at most %d", procs, most, limit)
		}
	}
}

// max: N bounds the batches that run at once, warm workers or not; the warm ones are the
// only processes beyond N, and there are never more than the items waiting.
func TestPerBatchMaxBoundsConcurrency(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", Procs: 2, N: 40, Batch: 2, Sleep: 10 * time.Millisecond})
	w := watchProcs()
	mustRun(t, g)
	most := w.end()
	noChildNow(t)
	outs := p.got.get()
	checkExactlyOnce(t, outs, seq(1, 41, func(i int) int { return i }))
	type span struct{ t0, t1 int64 }
	var spans []span
	seen := map[int]bool{}
	for _, o := range outs {
		if !seen[o.PID] {
			seen[o.PID] = true
			spans = append(spans, span{o.T0, o.T1})
		}
	}
	// The most batch bodies running at one instant: sweep over starts and ends.
	type ev struct {
		at int64
		d  int
	}
	var evs []ev
	for _, s := range spans {
		evs = append(evs, ev{s.t0, 1}, ev{s.t1, -1})
	}
	slices.SortFunc(evs, func(a, b ev) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.d - b.d // an end before a start at the same instant
	})
	running, peak := 0, 0
	for _, e := range evs {
		running += e.d
		peak = max(peak, running)
	}
	if peak > 2 {
		t.Errorf("%d batches ran at once with max: 2", peak)
	}
	if most > 4 {
		t.Errorf("%d worker processes at once, want at most 4 (2 running, 2 warm)", most)
	}
	if most < 3 {
		t.Errorf("at most %d worker processes at once: no process was started ahead of need", most)
	}
}

// A stage that gets no item starts no process.
func TestPerBatchNoInputNoProcess(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", Procs: 4, N: 0, Batch: 10})
	mustRun(t, g)
	if n := p.beforeFork.Load(); n != 0 {
		t.Errorf("%d processes started for no item", n)
	}
}

// A warm worker that waits for a slot longer than StartTimeout is not taken for one that
// does not answer: it answered when it started.
func TestPerBatchWarmWorkerWaitsPastStartTimeout(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	old := procexec.StartTimeout
	procexec.StartTimeout = time.Second
	defer func() { procexec.StartTimeout = old }()
	p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", Procs: 1, N: 2, Batch: 1, Sleep: 1500 * time.Millisecond})
	res := mustRun(t, g)
	checkExactlyOnce(t, p.got.get(), []int{1, 2})
	if st := stats(t, res, "work"); st.Failed != 0 || st.Retried != 0 {
		t.Errorf("stats %+v", st)
	}
}

// Under max_processes, process stages that feed each other share the budget: warm workers
// holding slots give them up to a stage that waits for one, so the run ends, and the cap
// holds at every moment.
func TestPerBatchWarmWorkersUnderMaxProcesses(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	for _, limit := range []int{1, 2, 3} {
		p, g := newWP(t, wpParams{Scenario: "chain", Kind: "ppb", Procs: 2, N: 30, Mult: 3})
		setConfig(g, func(c *GraphConfig) { c.MaxProcesses = limit })
		w := watchProcs()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		res, err := Run(ctx, g)
		cancel()
		most := w.end()
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("max_processes %d: %v, status %s", limit, err, res.Status)
		}
		noChildNow(t)
		want := slices.Repeat(seq(1, 31, func(i int) int { return i }), 3)
		checkExactlyOnce(t, p.got.get(), want)
		if most > max(limit, 1) {
			t.Errorf("max_processes %d: %d worker processes at once", limit, most)
		}
	}
}

// Canceling a run whose stage has warm workers ends them before Run returns, and the items
// they waited for are counted as not processed.
func TestPerBatchCancelWithWarmWorkers(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", Procs: 2, N: 400, Batch: 4, Sleep: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	p.onItem = func(int) { once.Do(func() { time.AfterFunc(30*time.Millisecond, cancel) }) }
	res, err := Run(ctx, g)
	noChildNow(t)
	if !errors.Is(err, context.Canceled) || res.Status != StatusCanceled {
		t.Fatalf("err %v status %s", err, res.Status)
	}
	st := stats(t, res, "work")
	if st.In+st.Dropped != 100 || st.Dropped == 0 {
		t.Errorf("stats %+v: every batch processed or dropped, some dropped", st)
	}
	if n := p.beforeFork.Load(); n > st.In+4 {
		t.Errorf("%d processes started for %d batches processed", n, st.In)
	}
}

// A warm worker killed while it waits for its item (by someone else: it does nothing then)
// costs no attempt and does not fail the run: the item runs in another process.
func TestPerBatchWarmWorkerKilledWhileIdle(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	dir := t.TempDir()
	p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", Procs: 1, N: 4, Batch: 1, Sleep: 300 * time.Millisecond, PIDDir: dir})
	killed := make(chan int, 1)
	stop := make(chan struct{})
	go func() {
		defer close(killed)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			running := map[int]bool{}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if pid, err := strconv.Atoi(e.Name()); err == nil {
					running[pid] = true
				}
			}
			if len(running) == 0 {
				continue
			}
			for _, kid := range childPIDs() {
				if !running[kid] {
					_ = syscall.Kill(kid, syscall.SIGKILL)
					killed <- kid
					return
				}
			}
		}
	}()
	res := mustRun(t, g)
	close(stop)
	victim, ok := <-killed
	if !ok {
		t.Fatal("no warm worker to kill")
	}
	outs := p.got.get()
	checkExactlyOnce(t, outs, []int{1, 2, 3, 4})
	for _, o := range outs {
		if o.PID == victim {
			t.Errorf("the killed worker %d ran item %d", victim, o.V)
		}
	}
	if st := stats(t, res, "work"); st.Failed != 0 || st.Retried != 0 {
		t.Errorf("stats %+v", st)
	}
}
