//go:build unix

package mgrt

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// values returns the V of every output, sorted.
func values(outs []wpOut) []int {
	var vs []int
	for _, o := range outs {
		vs = append(vs, o.V)
	}
	slices.Sort(vs)
	return vs
}

func pids(outs []wpOut) map[int]int {
	m := map[int]int{}
	for _, o := range outs {
		m[o.PID]++
	}
	return m
}

// checkExactlyOnce fails unless the outputs are want, each once.
func checkExactlyOnce(t *testing.T, outs []wpOut, want []int) {
	t.Helper()
	got := values(outs)
	want = sorted(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %d outputs, want %d; first differences: %v", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(got, want []int) string {
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			return "at " + strconv.Itoa(i) + ": got " + strconv.Itoa(got[i]) + ", want " + strconv.Itoa(want[i])
		}
	}
	return "lengths differ"
}

func TestProcessPerBatchPipe(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", Procs: 4, N: 2000, Batch: 100, Mult: 3, MultLater: 7})
	res := mustRun(t, g)
	checkExactlyOnce(t, p.got.get(), seq(1, 2001, func(i int) int { return i * 7 }))
	st := stats(t, res, "work")
	if st.In != 20 || st.Out != 2000 || st.Failed != 0 {
		t.Errorf("stats in %d out %d failed %d, want 20, 2000, 0", st.In, st.Out, st.Failed)
	}
	if st.P50 <= 0 {
		t.Errorf("no latency: %+v", st)
	}
	if n := p.beforeFork.Load(); n != 20 {
		t.Errorf("before_fork ran %d times, want 20 (one per batch)", n)
	}
	if n := len(pids(p.got.get())); n != 20 {
		t.Errorf("%d worker processes, want 20", n)
	}
	for _, o := range p.got.get() {
		if o.Graph != 1 || o.Stage != 1 || o.Order != "gs" {
			t.Fatalf("after_fork in the worker: graph %d stage %d order %q, want 1 1 \"gs\"", o.Graph, o.Stage, o.Order)
		}
	}
}

func TestPoolBasic(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 3, N: 20000, Mult: 2})
	res := mustRun(t, g)
	checkExactlyOnce(t, p.got.get(), seq(1, 20001, func(i int) int { return i * 2 }))
	st := stats(t, res, "work")
	if st.In != 20000 || st.Out != 20000 {
		t.Errorf("stats in %d out %d", st.In, st.Out)
	}
	if n := p.beforeFork.Load(); n != 3 {
		t.Errorf("before_fork ran %d times, want 3", n)
	}
	if n := len(pids(p.got.get())); n > 3 {
		t.Errorf("%d worker processes, want at most 3", n)
	}
}

func TestProcessPerBatchTempfile(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	t.Run("success", func(t *testing.T) {
		p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", IPC: "tempfile", Procs: 3, N: 600, Batch: 50, Mult: 2})
		mustRun(t, g)
		checkExactlyOnce(t, p.got.get(), seq(1, 601, func(i int) int { return i * 2 }))
		if ents, _ := os.ReadDir(g.Config().WorkDir); len(ents) != 0 {
			t.Errorf("work directories left after success: %v", ents)
		}
	})
	t.Run("failure", func(t *testing.T) {
		p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", IPC: "tempfile", Procs: 2, N: 200, Batch: 50, FailAt: 120})
		res := mustRun(t, g)
		checkExactlyOnce(t, p.got.get(), append(seq(1, 101, func(i int) int { return i }), seq(151, 201, func(i int) int { return i })...))
		if len(res.Failures) != 1 {
			t.Fatalf("failures %v, want 1", res.Failures)
		}
		var re *RemoteError
		if !errors.As(res.Failures[0].Err, &re) {
			t.Fatalf("failure %T %v, want a *RemoteError", res.Failures[0].Err, res.Failures[0].Err)
		}
		if re.WorkDir == "" || !strings.Contains(re.Error(), re.WorkDir) || !strings.HasPrefix(re.Error(), "item 120 failed") {
			t.Fatalf("error %q (work dir %q) should name the kept work directory", re.Error(), re.WorkDir)
		}
		if _, err := os.Stat(filepath.Join(re.WorkDir, "item.gob")); err != nil {
			t.Errorf("kept work directory has no item: %v", err)
		}
		ents, _ := os.ReadDir(g.Config().WorkDir)
		if len(ents) != 1 || filepath.Join(g.Config().WorkDir, ents[0].Name()) != re.WorkDir {
			t.Errorf("work directories %v, want only %s", ents, re.WorkDir)
		}
	})
}

// A worker that emits far more than a pipe holds: the parent reads while the worker runs, and
// holds the emits (spilling them to disk past heldLimit) until the item succeeds.
func TestProcessPerBatchLargeOutput(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	saved := remote.HeldLimit
	remote.HeldLimit = 1 << 20
	defer func() { remote.HeldLimit = saved }()
	for _, ipc := range []string{"pipe", "tempfile"} {
		t.Run(ipc, func(t *testing.T) {
			const n, size = 700, 32 << 10 // 22 MB
			p, g := newWP(t, wpParams{Scenario: "big", Kind: "ppb", IPC: ipc, Procs: 1, N: n, Size: size})
			res := mustRun(t, g)
			strs := p.strs.get()
			if len(strs) != n {
				t.Fatalf("%d strings, want %d", len(strs), n)
			}
			total := 0
			for i, s := range strs {
				if !strings.HasPrefix(s, strconv.Itoa(i)+":") {
					t.Fatalf("string %d out of order: %.10q", i, s)
				}
				total += len(s)
			}
			if total < 20<<20 {
				t.Fatalf("only %d bytes crossed", total)
			}
			if st := stats(t, res, "work"); st.Out != n {
				t.Errorf("out %d, want %d", st.Out, n)
			}
			if ents, _ := os.ReadDir(g.Config().WorkDir); len(ents) != 0 {
				t.Errorf("files left: %v", ents)
			}
		})
	}
	t.Run("failed", func(t *testing.T) {
		p, g := newWP(t, wpParams{Scenario: "big", Kind: "ppb", Procs: 1, N: 200, Size: 32 << 10, FailAt: 1})
		res := mustRun(t, g)
		if n := len(p.strs.get()); n != 0 {
			t.Fatalf("%d strings of a failed item went downstream", n)
		}
		if len(res.Failures) != 1 || stats(t, res, "work").Out != 0 {
			t.Fatalf("failures %v", res.Failures)
		}
		if ents, _ := os.ReadDir(g.Config().WorkDir); len(ents) != 0 {
			t.Errorf("files left: %v", ents)
		}
	})
}

func TestProcessPerBatchPanic(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "batches", Kind: "ppb", Procs: 4, N: 5000, Batch: 100, PanicAt: 2345})
	res := mustRun(t, g)
	want := append(seq(1, 2301, func(i int) int { return i }), seq(2401, 5001, func(i int) int { return i })...)
	checkExactlyOnce(t, p.got.get(), want)
	if len(res.Failures) != 1 {
		t.Fatalf("failures: %v", res.Failures)
	}
	f := res.Failures[0]
	var re *RemoteError
	if !errors.As(f.Err, &re) || !re.Panic || re.Error() != "panic: boom at 2345" || re.PID <= 0 {
		t.Fatalf("failure %#v", f.Err)
	}
	if !strings.Contains(re.Stack, "(*wp).item") {
		t.Errorf("the worker's stack does not show the panic:\n%s", re.Stack)
	}
	if b, ok := f.Item.([]int); !ok || len(b) != 100 || b[0] != 2301 {
		t.Errorf("failed item %v", f.Item)
	}
	if st := stats(t, res, "work"); st.In != 50 || st.Failed != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRemoteErrorAndRetry(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	for _, kind := range []string{"ppb", "pool"} {
		t.Run(kind, func(t *testing.T) {
			p, g := newWP(t, wpParams{Scenario: "items", Kind: kind, Procs: 2, N: 50, FailAt: 17, Retry: 2})
			res := mustRun(t, g)
			checkExactlyOnce(t, p.got.get(), slices.DeleteFunc(seq(1, 51, func(i int) int { return i }), func(v int) bool { return v == 17 }))
			if len(res.Failures) != 1 {
				t.Fatalf("failures: %v", res.Failures)
			}
			f := res.Failures[0]
			var re *RemoteError
			if !errors.As(f.Err, &re) || f.Err.Error() != "item 17 failed" || re.Panic || re.PID <= 0 {
				t.Fatalf("failure %#v", f.Err)
			}
			if f.Attempts != 3 || f.Item != 17 {
				t.Errorf("failure item %v attempts %d, want 17 and 3", f.Item, f.Attempts)
			}
			if !strings.Contains(f.Error(), `stage "work": item 17: item 17 failed`) {
				t.Errorf("failure text %q", f.Error())
			}
			if st := stats(t, res, "work"); st.Retried != 2 || st.Failed != 1 || st.In != 50 || st.Out != 49 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestDeadLetterFromWorker(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 2, N: 30, FailAt: 9, DeadLet: true})
	res := mustRun(t, g)
	if len(res.Failures) != 0 {
		t.Fatalf("failures %v", res.Failures)
	}
	d := p.dead.get()
	if len(d) != 1 || d[0].Item != 9 || d[0].Stage != "work" || d[0].Attempts != 1 || d[0].Err.Error() != "item 9 failed" {
		t.Fatalf("dead letters %+v", d)
	}
	if st := stats(t, res, "work"); st.DeadLettered != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A worker that dies while running an item: the item is retried in a new process; nothing
// is lost or duplicated. When the worker had several unreported items, they run again one at
// a time, so that the item that kills its worker is the one whose attempt counts.
func TestWorkerExitRetried(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	for _, kind := range []string{"ppb", "pool"} {
		t.Run(kind, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "exited")
			p, g := newWP(t, wpParams{Scenario: "items", Kind: kind, Procs: 2, N: 40, Exit: 13, Marker: marker, Retry: 1})
			setConfig(g, func(c *GraphConfig) { c.Stderr = newLockedBuffer() })
			res := mustRun(t, g)
			checkExactlyOnce(t, p.got.get(), seq(1, 41, func(i int) int { return i }))
			st := stats(t, res, "work")
			if st.Failed != 0 || st.In != 40 || st.Retried > 1 || kind == "ppb" && st.Retried != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
	for _, kind := range []string{"ppb", "pool"} {
		t.Run(kind+" always", func(t *testing.T) {
			p, g := newWP(t, wpParams{Scenario: "items", Kind: kind, Procs: 2, N: 40, Exit: 13, Retry: 1, Sleep: time.Millisecond})
			stderr := newLockedBuffer()
			setConfig(g, func(c *GraphConfig) { c.Stderr = stderr })
			res := mustRun(t, g)
			checkExactlyOnce(t, p.got.get(), slices.DeleteFunc(seq(1, 41, func(i int) int { return i }), func(v int) bool { return v == 13 }))
			if len(res.Failures) != 1 || res.Failures[0].Item != 13 || res.Failures[0].Attempts != 2 {
				t.Fatalf("failures %v", res.Failures)
			}
			var re *RemoteError
			if !errors.As(res.Failures[0].Err, &re) || !strings.Contains(re.Msg, "died before finishing the item: exit status 3") || re.PID <= 0 {
				t.Errorf("error %#v", res.Failures[0].Err)
			}
			if st := stats(t, res, "work"); st.Retried != 1 || st.Failed != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// kill -9 of a pool worker in the middle of a run: it is replaced, its unfinished items are
// retried, and every item arrives exactly once downstream.
func TestPoolKill9(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	const n = 3000
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 3, N: n, Sleep: 100 * time.Microsecond, Retry: 2})
	killed := make(chan int, 1)
	p.onItem = func(i int) {
		if i != 500 {
			return
		}
		kids := childPIDs()
		if len(kids) == 0 {
			t.Error("no worker to kill")
			return
		}
		if err := syscall.Kill(kids[0], syscall.SIGKILL); err != nil {
			t.Error(err)
		}
		killed <- kids[0]
	}
	res := mustRun(t, g)
	victim := <-killed
	outs := p.got.get()
	checkExactlyOnce(t, outs, seq(1, n+1, func(i int) int { return i }))
	ps := pids(outs)
	if ps[victim] == 0 || ps[victim] >= n {
		t.Errorf("the killed worker %d did %d items", victim, ps[victim])
	}
	if got := p.beforeFork.Load(); got != 4 {
		t.Errorf("%d workers started, want 4 (3 and a replacement)", got)
	}
	if st := stats(t, res, "work"); st.Failed != 0 || st.In != n || st.Out != n {
		t.Errorf("stats %+v", st)
	}
}

func TestPoolRecycle(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 2, Recycle: 50, N: 500})
	mustRun(t, g)
	outs := p.got.get()
	checkExactlyOnce(t, outs, seq(1, 501, func(i int) int { return i }))
	ps := pids(outs)
	for pid, n := range ps {
		if n > 50 {
			t.Errorf("worker %d did %d items, more than recycle: 50", pid, n)
		}
	}
	if len(ps) < 10 {
		t.Errorf("%d workers, want at least 10", len(ps))
	}
	// One before_fork per worker started: those that did items, and at most one replacement
	// per slot started while items waited, which the other slot took as the input ran out.
	if got := p.beforeFork.Load(); got < int64(len(ps)) || got > int64(len(ps)+2) {
		t.Errorf("before_fork ran %d times for %d workers that did items", got, len(ps))
	}
}

func TestPoolOrdered(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 3, N: 5000, Ordered: true, FailAt: 77})
	mustRun(t, g)
	outs := p.got.get()
	want := slices.DeleteFunc(seq(1, 5001, func(i int) int { return i }), func(v int) bool { return v == 77 })
	var got []int
	for _, o := range outs {
		got = append(got, o.V)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("out of order: %s", firstDiff(got, want))
	}
}

func TestWorkerOutputForwarded(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	for _, kind := range []string{"ppb", "pool"} {
		t.Run(kind, func(t *testing.T) {
			p, g := newWP(t, wpParams{Scenario: "items", Kind: kind, Procs: 2, N: 20, Print: true})
			stdout, stderr := newLockedBuffer(), newLockedBuffer()
			setConfig(g, func(c *GraphConfig) { c.Stdout, c.Stderr = stdout, stderr })
			mustRun(t, g)
			outs := p.got.get()
			pidOf := map[int]int{}
			for _, o := range outs {
				pidOf[o.V] = o.PID
			}
			for name, buf := range map[string]*lockedBuffer{"out": stdout, "err": stderr} {
				lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
				if len(lines) != 20 {
					t.Fatalf("%d lines on std%s, want 20:\n%s", len(lines), name, buf.String())
				}
				for v := 1; v <= 20; v++ {
					want := "[work " + strconv.Itoa(pidOf[v]) + "] " + name + " " + strconv.Itoa(v)
					if !slices.Contains(lines, want) {
						t.Errorf("std%s has no line %q:\n%s", name, want, buf.String())
					}
				}
			}
		})
	}
}

// Merge state: what the workers add comes back, through a StateSpec written as the generator
// writes it; a failed attempt's changes are dropped; what after_fork adds is kept.
func TestWorkerState(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	for _, c := range []struct {
		kind     string
		n        int // the largest item fails
		consumer bool
	}{{"pool", 294, false}, {"ppb", 98, false}, {"pool", 294, true}} {
		kind, n := c.kind, c.n
		t.Run(fmt.Sprintf("%s consumer=%v", kind, c.consumer), func(t *testing.T) {
			p, g := newWP(t, wpParams{Scenario: "state", Kind: kind, Procs: 3, N: n, Retry: 1, Consumer: c.consumer})
			p.Set = map[int]bool{42: true}
			p.Max, p.Min = 0, 1<<30
			res := mustRun(t, g)
			workers := int(p.beforeFork.Load())
			var ok []int
			sum := 1000 * workers
			set := map[int]bool{42: true}
			for v := 1; v <= n; v++ {
				if v%7 == 0 || v == 1 {
					continue
				}
				ok = append(ok, v)
				sum += v
				set[v%10] = true
			}
			if !c.consumer {
				checkExactlyOnce(t, p.got.get(), ok)
			}
			if p.Sum != sum {
				t.Errorf("sum %d, want %d (%d workers)", p.Sum, sum, workers)
			}
			wantSeen := append(slices.Repeat([]int{-1}, workers), ok...)
			if got := sorted(p.Seen); !slices.Equal(got, wantSeen) {
				t.Errorf("appended %d values, want %d: %s", len(got), len(wantSeen), firstDiff(got, wantSeen))
			}
			if !maps.Equal(p.Set, set) {
				t.Errorf("union %v, want %v", p.Set, set)
			}
			if p.Max != n-1 || p.Min != 2 {
				t.Errorf("max %d min %d, want %d and 2", p.Max, p.Min, n-1)
			}
			st := stats(t, res, "work")
			if st.Failed != int64(n-len(ok)) || st.Retried < int64(len(ok)/5) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestWorkerParamsAndHooks(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 2, N: 100, Mult: 3, MultLater: 5})
	var stageForks atomic.Int64
	work := g.StageNode("work").(*Node[int, wpOut])
	work.BeforeFork(func(context.Context) error {
		stageForks.Add(1)
		return nil
	})
	mustRun(t, g)
	checkExactlyOnce(t, p.got.get(), seq(1, 101, func(i int) int { return i * 5 }))
	if p.beforeFork.Load() != 2 || stageForks.Load() != 2 {
		t.Errorf("before_fork: graph %d stage %d, want 2 each", p.beforeFork.Load(), stageForks.Load())
	}
	for _, o := range p.got.get() {
		if o.Graph != 1 || o.Stage != 1 || o.Order != "gs" {
			t.Fatalf("after_fork in the worker: graph %d stage %d order %q", o.Graph, o.Stage, o.Order)
		}
	}
}

func TestWorkerHookErrors(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	t.Run("after_fork", func(t *testing.T) {
		_, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 2, N: 100, ForkErr: true})
		res, err := Run(context.Background(), g)
		var se *StageError
		if !errors.As(err, &se) || se.Hook != "after_fork" || !strings.Contains(err.Error(), "no database") || res.Status != StatusFailed {
			t.Fatalf("err %v status %s", err, res.Status)
		}
	})
	t.Run("before_fork", func(t *testing.T) {
		_, g := newWP(t, wpParams{Scenario: "items", Kind: "ppb", Procs: 2, N: 100})
		g.BeforeFork(func(context.Context) error { return errors.New("no slot") })
		res, err := Run(context.Background(), g)
		var se *StageError
		if !errors.As(err, &se) || se.Hook != "before_fork" || res.Status != StatusFailed {
			t.Fatalf("err %v status %s", err, res.Status)
		}
		if st := stats(t, res, "work"); st.In != 0 || st.Dropped == 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestWorkerCancel(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	for _, c := range []struct {
		name   string
		prm    wpParams
		budget time.Duration
	}{
		{"pool", wpParams{Kind: "pool", Procs: 3, Sleep: 20 * time.Millisecond}, 5 * time.Second},
		{"ppb", wpParams{Kind: "ppb", Procs: 3, Sleep: 20 * time.Millisecond}, 5 * time.Second},
		{"pool stuck", wpParams{Kind: "pool", Procs: 2, Sleep: time.Minute, IgnoreCtx: true}, 5 * time.Second},
		{"ppb stuck", wpParams{Kind: "ppb", Procs: 2, Sleep: time.Minute, IgnoreCtx: true}, 5 * time.Second},
		{"ctx timeout", wpParams{Kind: "pool", Procs: 1, Sleep: time.Minute, IgnoreCtx: true}, 5 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.prm.Scenario, c.prm.N = "items", 100000
			if c.prm.IgnoreCtx {
				c.prm.Marker = filepath.Join(t.TempDir(), "sleeping")
			}
			p, g := newWP(t, c.prm)
			setConfig(g, func(c *GraphConfig) { c.ShutdownTimeout = 300 * time.Millisecond })
			ctx, cancel := context.WithCancel(context.Background())
			if c.name == "ctx timeout" {
				setConfig(g, func(c *GraphConfig) { c.ShutdownTimeout = 0 })
				ctx = WithShutdownTimeout(ctx, 300*time.Millisecond)
			}
			defer cancel()
			p.onItem = func(i int) {
				if i == 5 {
					cancel()
				}
			}
			if c.prm.IgnoreCtx {
				// Cancel once a worker sleeps on an item, however long workers take to start.
				go func() {
					for ctx.Err() == nil {
						if _, err := os.Stat(c.prm.Marker); err == nil {
							cancel()
						}
						time.Sleep(5 * time.Millisecond)
					}
				}()
			}
			t0 := time.Now()
			res, err := Run(ctx, g)
			if d := time.Since(t0); d > c.budget {
				t.Errorf("Run took %v after cancellation", d)
			}
			noChildNow(t)
			if !errors.Is(err, context.Canceled) || res.Status != StatusCanceled {
				t.Fatalf("err %v status %s", err, res.Status)
			}
			st := stats(t, res, "work")
			if st.In+st.Dropped == 0 {
				t.Errorf("stats %+v", st)
			}
			if c.prm.IgnoreCtx && st.Failed == 0 {
				t.Errorf("a killed item should fail: %+v, %v", st, res.Failures)
			}
		})
	}
}

// A worker inherits only its own pipes: stdin, stdout, stderr, fd 3 and fd 4, even when other
// workers start at the same time.
func TestWorkerDescriptors(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	g := NewGraph(GraphConfig{Pipeline: "fds", Worker: WorkerKey[wpFDs](), WorkDir: t.TempDir()})
	wpFDsGraph(g)
	var got collector[[]string]
	sink := Consumer(g, spec("sink"), func(*Emitter[Nothing]) func(context.Context, []string) error {
		return func(_ context.Context, v []string) error {
			got.add(v)
			return nil
		}
	})
	Connect(g.StageNode("fds").(*Node[int, []string]), sink)
	// Besides fds 3 to 5 (its pipes and its status page), what this process inherited without
	// close-on-exec, its children inherit too (a worker
	// marks it close-on-exec for its own children).
	inherited := map[string]bool{}
	for _, fd := range openFDs(t) {
		_, target, _ := strings.Cut(fd, "=")
		inherited[target] = true
	}
	mustRun(t, g)
	if len(got.get()) != 40 {
		t.Fatalf("%d reports", len(got.get()))
	}
	for _, fds := range got.get() {
		for _, fd := range fds {
			num, target, _ := strings.Cut(fd, "=")
			n, _ := strconv.Atoi(num)
			if n <= 5 || inherited[target] || target == "" || strings.HasPrefix(target, "anon_inode:") ||
				strings.HasPrefix(target, "/proc/") || strings.HasPrefix(target, "/sys/fs/cgroup/") {
				continue
			}
			t.Errorf("a worker inherited descriptor %s (all: %v)", fd, fds)
		}
	}
}

// wpFDs is the pipeline of TestWorkerDescriptors: its workers report their descriptors.
type wpFDs struct{}

var _ = RegisterPipeline[wpFDs](func([]byte) (*Graph, error) {
	g := NewGraph(GraphConfig{Pipeline: "fds", Worker: WorkerKey[wpFDs]()})
	wpFDsGraph(g)
	return g, nil
})

func wpFDsGraph(g *Graph) {
	src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := range 40 {
				w.Emit(i)
			}
			return nil
		}
	})
	s := spec("fds")
	s.Strategy = Strategy{Kind: ProcessPerBatch, N: 4}
	work := Processor(g, s, func(w *Emitter[[]string]) func(context.Context, int) error {
		return func(context.Context, int) error {
			var fds []string
			ents, _ := os.ReadDir("/proc/self/fd")
			for _, e := range ents {
				target, _ := os.Readlink("/proc/self/fd/" + e.Name())
				fds = append(fds, e.Name()+"="+target)
			}
			w.Emit(fds)
			return nil
		}
	})
	Connect(src, work)
}

func TestWorkerValidation(t *testing.T) {
	noLeak(t)
	build := func(cfg GraphConfig, s Strategy) *Graph {
		g := NewGraph(cfg)
		src := countTo(g, spec("src"), 10)
		st := spec("work")
		st.Strategy = s
		Connect(src, mapInts(g, st, func(x int) int { return x }))
		return g
	}
	for _, c := range []struct {
		cfg  GraphConfig
		s    Strategy
		want string
	}{
		{GraphConfig{}, Strategy{Kind: Processes, N: 2}, "names no registered pipeline"},
		{GraphConfig{Worker: "example.com/x.Nope"}, Strategy{Kind: Processes, N: 2}, "is not registered"},
		{GraphConfig{Worker: WorkerKey[wp]()}, Strategy{Kind: Processes}, "at least one process"},
		{GraphConfig{Worker: WorkerKey[wp]()}, Strategy{Kind: ProcessPerBatch, N: 2, IPC: "shm"}, "unknown ipc"},
		{GraphConfig{Worker: WorkerKey[wp](), MaxProcesses: 2}, Strategy{Kind: Processes, N: 3}, "max_processes 2 is less than the 3"},
	} {
		_, err := Run(context.Background(), build(c.cfg, c.s))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v %v: err %v, want %q", c.cfg, c.s, err, c.want)
		}
	}
}

func TestWorkerKeys(t *testing.T) {
	if k := WorkerKey[wp](); k != "github.com/minigun-go/minigun/runtime.wp" {
		t.Errorf("WorkerKey %q", k)
	}
	if k := WorkerKey[*wp](); k != "github.com/minigun-go/minigun/runtime.wp" {
		t.Errorf("WorkerKey of a pointer %q", k)
	}
	for key, pkg := range map[string]string{
		"example.com/shop.Orders":            "example.com/shop",
		"main.Orders":                        "main",
		"example.com/x.Box[example.com/y.T]": "example.com/x",
	} {
		if got := remote.KeyPackage(key); got != pkg {
			t.Errorf("keyPackage(%q) = %q, want %q", key, got, pkg)
		}
	}
	for fn, pkg := range map[string]string{
		"example.com/shop.init.0":                        "example.com/shop",
		"main.init.0":                                    "main",
		"gopkg.in/yaml%2ev3.init.0.func1":                "gopkg.in/yaml.v3",
		"github.com/minigun-go/minigun/runtime.TestMain": "github.com/minigun-go/minigun/runtime",
	} {
		if got := remote.FuncPackage(fn); got != pkg {
			t.Errorf("funcPackage(%q) = %q, want %q", fn, got, pkg)
		}
	}
	// ServeWorker finds its caller's package from a program counter, only when it needs it.
	var pc [1]uintptr
	runtime.Callers(1, pc[:])
	if got := remote.FramePackage(pc[0]); got != "github.com/minigun-go/minigun/runtime" {
		t.Errorf("FramePackage = %q", got)
	}
}

// TestWorkerBinary builds a program whose pipelines, one in an imported package (as a
// package generated with go generate) and one in package main (as a built binary), run
// stages in worker processes: the workers serve from the packages' init functions and never
// run main.
func TestWorkerBinary(t *testing.T) {
	noProcLeak(t)
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not available")
	}
	bin := filepath.Join(t.TempDir(), "workerbin")
	if out, err := exec.Command(goTool, "build", "-o", bin, "./testdata/workerbin").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	mains, hellos := 0, 0
	for _, l := range lines {
		switch {
		case strings.Contains(l, "main ran"):
			mains++
			if !strings.HasPrefix(l, "main ran in "+strconv.Itoa(cmd.Process.Pid)) {
				t.Errorf("main ran in a worker: %q", l)
			}
		case strings.HasPrefix(l, "[sum ") && strings.HasSuffix(l, "] hello from a worker"):
			hellos++
		}
	}
	if mains != 1 || hellos != 4 || !slices.Contains(lines, "squares total 1155, all in worker processes: true") ||
		!slices.Contains(lines, "batches total 5050 in 4 batches") {
		t.Errorf("output:\n%s", out)
	}
}

// max_processes caps the worker processes of the run: here the process_per_batch stage may
// have 4 at once, but the run only 2.
func TestMaxProcesses(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "ppb", Procs: 4, N: 12, Sleep: 20 * time.Millisecond})
	setConfig(g, func(c *GraphConfig) { c.MaxProcesses = 2 })
	var most atomic.Int64
	g.BeforeFork(func(context.Context) error {
		// This worker's place is taken; the others running are children of the test.
		if n := int64(len(childPIDs())) + 1; n > most.Load() {
			most.Store(n)
		}
		return nil
	})
	mustRun(t, g)
	checkExactlyOnce(t, p.got.get(), seq(1, 13, func(i int) int { return i }))
	if m := most.Load(); m > 2 || m < 2 {
		t.Errorf("%d worker processes at once, want 2", m)
	}
}

// Items go to a worker that has room: while one worker runs a slow item, the others take the
// rest, rather than items queueing behind it.
func TestPoolLeastLoaded(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 2, N: 30, Sleep: 5 * time.Millisecond,
		SlowAt: 1, SlowFor: 300 * time.Millisecond})
	mustRun(t, g)
	outs := p.got.get()
	checkExactlyOnce(t, outs, seq(1, 31, func(i int) int { return i }))
	slow := 0
	for _, o := range outs {
		if o.V == 1 {
			slow = o.PID
		}
	}
	if n := pids(outs)[slow]; n > 2 {
		t.Errorf("the worker busy with the slow item was given %d items", n)
	}
}

// Values gob cannot encode (a nil pointer in a batch) fail their item only: the stream is
// reset and goes on.
func TestWorkerUnencodable(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	for _, kind := range []Strategy{{Kind: Processes, N: 2}, {Kind: ProcessPerBatch, N: 2}} {
		t.Run(kind.Kind.String(), func(t *testing.T) {
			var got collector[int]
			g := wpPtrGraph(kind, &got)
			res := mustRun(t, g)
			want := slices.DeleteFunc(seq(1, 31, func(i int) int { return i * 10 }), func(v int) bool { return v == 50 || v == 70 })
			if g := sorted(got.get()); !slices.Equal(g, want) {
				t.Fatalf("got %v, want %v", g, want)
			}
			if len(res.Failures) != 2 || !strings.Contains(fmt.Sprint(res.Failures), "cannot send the item to a worker process") ||
				!strings.Contains(fmt.Sprint(res.Failures), "cannot send emitted values back from the worker") {
				t.Fatalf("failures %v", res.Failures)
			}
		})
	}
}

// wpPtr is the pipeline of TestWorkerUnencodable: items and emits are pointers; item 5 is
// nil, and item 7 emits nil.
type wpPtr struct{ S Strategy }

var _ = RegisterPipeline[wpPtr](func(data []byte) (*Graph, error) {
	var s Strategy
	if err := Decode(data, &s); err != nil {
		return nil, err
	}
	return wpPtrGraph(s, nil), nil
})

func wpPtrGraph(s Strategy, got *collector[int]) *Graph {
	g := NewGraph(GraphConfig{Pipeline: "ptr", Worker: WorkerKey[wpPtr](), Params: func() ([]byte, error) { return Encode(s) }})
	src := Producer(g, spec("src"), func(w *Emitter[*int]) func(context.Context) error {
		return func(context.Context) error {
			for i := 1; i <= 30; i++ {
				if i == 5 {
					w.Emit(nil)
					continue
				}
				w.Emit(&i)
			}
			return nil
		}
	})
	st := spec("work")
	st.Strategy = s
	work := Processor(g, st, func(w *Emitter[*int]) func(context.Context, *int) error {
		return func(_ context.Context, v *int) error {
			if *v == 7 {
				w.Emit(nil)
				return nil
			}
			x := *v * 10
			w.Emit(&x)
			return nil
		}
	})
	sink := Consumer(g, spec("sink"), func(*Emitter[Nothing]) func(context.Context, *int) error {
		return func(_ context.Context, v *int) error {
			got.add(*v)
			return nil
		}
	})
	Connect(src, work)
	Connect(work, sink)
	return g
}

// Emit and To(i) from a worker are routed in the parent as in process: broadcast or round
// robin, and to one downstream.
func TestWorkerRouting(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	for _, rr := range []bool{false, true} {
		t.Run(fmt.Sprintf("round robin=%v", rr), func(t *testing.T) {
			p, g := newWP(t, wpParams{Scenario: "route", Kind: "pool", Procs: 2, N: 1000, RR: rr})
			mustRun(t, g)
			a, b := sorted(p.gotA.get()), sorted(p.gotB.get())
			var odd, even []int
			for v := 1; v <= 1000; v++ {
				if v%2 == 1 {
					odd = append(odd, v)
				} else {
					even = append(even, v)
				}
			}
			if !rr {
				if !slices.Equal(a, even) || !slices.Equal(b, sorted(append(odd, even...))) {
					t.Fatalf("broadcast: a has %d, b has %d", len(a), len(b))
				}
				return
			}
			all := sorted(append(append([]int(nil), a...), b...))
			if !slices.Equal(all, sorted(append(odd, even...))) || len(a) < 200 || len(a) > 300 {
				t.Fatalf("round robin: a has %d, b has %d", len(a), len(b))
			}
		})
	}
}

func TestWorkerTimeout(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 1, N: 3, SlowAt: -1, Sleep: time.Second, Timeout: 30 * time.Millisecond})
	res := mustRun(t, g)
	if len(p.got.get()) != 0 || len(res.Failures) != 3 || res.Failures[0].Err.Error() != "context deadline exceeded" {
		t.Fatalf("failures %v", res.Failures)
	}
}

func TestPerBatchOrdered(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	p, g := newWP(t, wpParams{Scenario: "items", Kind: "ppb", Procs: 4, N: 24, Ordered: true, SlowAt: 2, SlowFor: 50 * time.Millisecond})
	mustRun(t, g)
	var got []int
	for _, o := range p.got.get() {
		got = append(got, o.V)
	}
	if want := seq(1, 25, func(i int) int { return i }); !slices.Equal(got, want) {
		t.Fatalf("out of order: %v", got)
	}
}

// TestWorkerStats: a process stage's live stats count its running worker processes, and
// none once the run has ended; its busy time comes from the workers' latencies.
func TestWorkerStats(t *testing.T) {
	noProcLeak(t)
	noLeak(t)
	_, g := newWP(t, wpParams{Scenario: "items", Kind: "pool", Procs: 2, N: 200, Sleep: 2 * time.Millisecond})
	h := Start(context.Background(), g)
	work := func() StageStats {
		for _, s := range h.Stats() {
			if s.Name == "work" {
				return s
			}
		}
		return StageStats{}
	}
	for deadline := time.Now().Add(20 * time.Second); work().Processes != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) || !h.Running() {
			t.Fatalf("never 2 worker processes: %+v", work())
		}
	}
	res, err := h.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if w := stats(t, res, "work"); w.Processes != 0 || w.Concurrency != 2 || w.Busy <= 0 || w.BusyShare <= 0 {
		t.Errorf("work %+v", w)
	}
}

// A program a worker starts may keep the worker's stdout and stderr open after the worker
// exited: the parent reads them for a while (waitDelay), then lets go, and the run ends with
// every item.
func TestWorkerChildHoldsOutput(t *testing.T) {
	noLeak(t)
	for _, kind := range []string{"ppb", "pool"} {
		t.Run(kind, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			p, g := newWP(t, wpParams{Scenario: "items", Kind: kind, Procs: 2, N: 6, Spawn: pidFile})
			t.Cleanup(func() {
				if b, err := os.ReadFile(pidFile); err == nil {
					if pid, err := strconv.Atoi(string(b)); err == nil {
						_ = syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			})
			mustRun(t, g)
			checkExactlyOnce(t, p.got.get(), seq(1, 7, func(i int) int { return i }))
		})
	}
}
