package mgrt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var errBoom = errors.New("boom")

// TestRetryNoDuplicates: an item that fails twice after emitting is retried, and only the
// successful attempt's emits go on.
func TestRetryNoDuplicates(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		for _, strat := range []Strategy{{}, {Kind: Threads, N: 3}} {
			g := newGraph(GraphConfig{})
			src := countTo(g, spec("src"), 30)
			s := spec("flaky")
			s.Strategy = strat
			s.Retry = 2
			s.Backoff = time.Millisecond
			var mu sync.Mutex
			attempts := map[int]int{}
			flaky := Processor(g, s, func(w *Emitter[int]) func(context.Context, int) error {
				return func(_ context.Context, v int) error {
					mu.Lock()
					attempts[v]++
					a := attempts[v]
					mu.Unlock()
					w.Emit(v)
					w.To(0)(v + 1000)
					switch {
					case v%5 == 0 && a < 3: // succeeds on the last attempt
						return errBoom
					case v == 7: // never succeeds
						return fmt.Errorf("item %d: %w", v, errBoom)
					}
					return nil
				}
			})
			var c collector[int]
			Connect(src, flaky)
			Connect(flaky, collect(g, spec("sink"), &c))
			res := mustRun(t, g)
			var want []int
			for v := range 30 {
				if v != 7 {
					want = append(want, v, v+1000)
				}
			}
			slices.Sort(want)
			if got := sorted(c.get()); !slices.Equal(got, want) {
				t.Fatalf("%s: got %v\nwant %v", strat, got, want)
			}
			st := stats(t, res, "flaky")
			// 6 items fail twice (0, 5, ..., 25), item 7 fails 3 times: 2 retries each.
			if st.Retried != 14 || st.Failed != 1 || st.Out != 58 {
				t.Errorf("%s: retried=%d failed=%d out=%d", strat, st.Retried, st.Failed, st.Out)
			}
			if len(res.Failures) != 1 {
				t.Fatalf("failures: %v", res.Failures)
			}
			f := res.Failures[0]
			if f.Item != 7 || f.Attempts != 3 || !errors.Is(f.Err, errBoom) || f.Stage != "flaky" || f.Pos != s.Pos {
				t.Errorf("failure %+v", f)
			}
		}
	})
}

func TestDeadLetter(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 20)
		s := spec("check")
		s.Retry = 1
		check := Processor(g, s, func(w *Emitter[int]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				if v%3 == 0 {
					return errBoom
				}
				w.Emit(v)
				return nil
			}
		})
		var ok collector[int]
		var dead collector[Failed[int]]
		var onError atomic.Int32
		check.OnError(func(context.Context, error, any) error { onError.Add(1); return nil })
		dl := collect(g, spec("dlq"), &dead)
		Connect(src, check)
		Connect(check, collect(g, spec("ok"), &ok))
		DeadLetter(check, dl)
		res := mustRun(t, g)
		if len(ok.get()) != 13 {
			t.Errorf("ok got %d", len(ok.get()))
		}
		d := dead.get()
		if len(d) != 7 {
			t.Fatalf("dead letters: %v", d)
		}
		for _, f := range d {
			if f.Item%3 != 0 || f.Err != errBoom || f.Stage != "check" || f.Attempts != 2 {
				t.Errorf("dead letter %+v", f)
			}
		}
		if len(res.Failures) != 0 || onError.Load() != 0 {
			t.Errorf("dead-lettered items recorded as failures: %v, on_error %d", res.Failures, onError.Load())
		}
		if st := stats(t, res, "check"); st.DeadLettered != 7 || st.Failed != 0 {
			t.Errorf("stats %+v", st)
		}
		if info := g.Info(); !slices.Contains(info.Edges, EdgeInfo{From: "check", To: "dlq", DeadLetter: true}) {
			t.Errorf("edges %v", info.Edges)
		}
	})
}

// TestDeadLetterBatch: a failed batch is dead-lettered item by item.
func TestDeadLetterBatch(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{})
	src := countTo(g, spec("src"), 25)
	acc := Accumulator(g, spec("acc"), 10, 0, func(w *Emitter[int]) func(context.Context, []int) error {
		return func(_ context.Context, b []int) error {
			if b[0] == 10 {
				return errBoom
			}
			return nil
		}
	})
	var dead collector[Failed[int]]
	Connect(src, acc)
	DeadLetter(acc, collect(g, spec("dlq"), &dead))
	res := mustRun(t, g)
	if d := dead.get(); len(d) != 10 || d[0].Item != 10 || d[9].Item != 19 {
		t.Fatalf("dead letters %v", d)
	}
	if st := stats(t, res, "acc"); st.DeadLettered != 10 {
		t.Errorf("stats %+v", st)
	}
}

func TestPanicIsFailure(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		for _, strat := range []Strategy{{}, {Kind: Threads, N: 2}} {
			g := newGraph(GraphConfig{Pipeline: "p"})
			src := countTo(g, spec("src"), 300)
			s := StageSpec{Name: "explode", Pos: Pos{File: "orders.mg", Line: 12, Col: 5}, Strategy: strat}
			var onError []any
			boom := Processor(g, s, func(w *Emitter[int]) func(context.Context, int) error {
				return func(_ context.Context, v int) error {
					if v%100 == 5 {
						panic(fmt.Sprintf("bad item %d", v))
					}
					w.Emit(v)
					return nil
				}
			})
			boom.OnError(func(_ context.Context, err error, item any) error {
				onError = append(onError, item) // hooks never run at the same time
				return nil
			})
			var c collector[int]
			Connect(src, boom)
			Connect(boom, collect(g, spec("sink"), &c))
			res := mustRun(t, g)
			if len(c.get()) != 297 {
				t.Fatalf("%s: got %d items, want 297", strat, len(c.get()))
			}
			if len(res.Failures) != 3 || len(onError) != 3 {
				t.Fatalf("%s: failures %v, on_error %v", strat, res.Failures, onError)
			}
			f := res.Failures[0]
			var pe *PanicError
			if !errors.As(f.Err, &pe) || pe.Value != fmt.Sprintf("bad item %v", f.Item) || !strings.Contains(string(pe.Stack), "failure_test.go") {
				t.Fatalf("%s: err %v (item %v)", strat, f.Err, f.Item)
			}
			if strat.N < 2 && f.Item != 5 {
				t.Errorf("first failure is item %v", f.Item)
			}
			want := `orders.mg:12:5: stage "explode": item 5: panic: bad item 5`
			if strat.N < 2 && f.Error() != want {
				t.Errorf("Error() = %q, want %q", f.Error(), want)
			}
			if f.Attempts != 1 || f.Pos != s.Pos || f.Stage != "explode" {
				t.Errorf("failure %+v", f)
			}
			if st := stats(t, res, "explode"); st.Failed != 3 || st.In != 300 {
				t.Errorf("stats %+v", st)
			}
		}
	})
}

func TestTimeout(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 4)
		s := spec("wait")
		s.Timeout = 10 * time.Millisecond
		wait := Consumer(g, s, func(*Emitter[Nothing]) func(context.Context, int) error {
			return func(ctx context.Context, v int) error {
				if v == 2 {
					<-ctx.Done()
					return ctx.Err()
				}
				return nil
			}
		})
		Connect(src, wait)
		res := mustRun(t, g)
		if len(res.Failures) != 1 || !errors.Is(res.Failures[0].Err, context.DeadlineExceeded) {
			t.Fatalf("failures %v", res.Failures)
		}
	})
}

// TestProducerError: the run fails with the producer's error, after everything it emitted has
// been processed.
func TestProducerError(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		for _, panics := range []bool{false, true} {
			g := newGraph(GraphConfig{Pipeline: "p"})
			s := StageSpec{Name: "gen", Pos: Pos{File: "p.mg", Line: 3, Col: 2}}
			src := Producer(g, s, func(w *Emitter[int]) func(context.Context) error {
				return func(context.Context) error {
					for i := range 100 {
						w.Emit(i)
					}
					if panics {
						panic(errBoom)
					}
					return errBoom
				}
			})
			slow := Processor(g, threads("slow", 2), func(w *Emitter[int]) func(context.Context, int) error {
				return func(_ context.Context, v int) error {
					time.Sleep(100 * time.Microsecond)
					w.Emit(v)
					return nil
				}
			})
			var c collector[int]
			var after atomic.Int32
			sink := collect(g, spec("sink"), &c)
			sink.After(func(context.Context) error { after.Add(1); return nil })
			Connect(src, slow)
			Connect(slow, sink)
			res, err := Run(context.Background(), g)
			if !errors.Is(err, errBoom) || res.Status != StatusFailed || !errors.Is(res.Err, errBoom) {
				t.Fatalf("panics=%v: err=%v status=%s", panics, err, res.Status)
			}
			if !strings.HasPrefix(err.Error(), `p.mg:3:2: stage "gen": `) {
				t.Errorf("error without position: %v", err)
			}
			if len(c.get()) != 100 || after.Load() != 1 {
				t.Errorf("panics=%v: drained %d items, after=%d", panics, len(c.get()), after.Load())
			}
		}
	})
}

// TestFailFast: the first item failure fails the run and cancels it: an endless producer
// stops.
func TestFailFast(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{FailFast: true, QueueSize: 10})
		src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
			return func(context.Context) error {
				for i := 0; ; i++ {
					w.Emit(i)
				}
			}
		})
		check := Consumer(g, spec("check"), func(*Emitter[Nothing]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				if v == 500 {
					return errBoom
				}
				return nil
			}
		})
		Connect(src, check)
		res, err := Run(context.Background(), g)
		var f Failure
		if !errors.As(err, &f) || f.Item != 500 || !errors.Is(err, errBoom) {
			t.Fatalf("err = %v", err)
		}
		if res.Status != StatusFailed || len(res.Failures) != 1 {
			t.Fatalf("status %s failures %v", res.Status, res.Failures)
		}
		if st := stats(t, res, "src"); st.Dropped != 1 {
			t.Errorf("producer dropped %d", st.Dropped)
		}
	})
}

// failEvery is a consumer that fails every k-th item (k-1, 2k-1, ...), on threads(2).
func failEvery(g *Graph, k int) *Node[int, Nothing] {
	return Consumer(g, threads("check", 2), func(*Emitter[Nothing]) func(context.Context, int) error {
		return func(_ context.Context, v int) error {
			if v%k == k-1 {
				return fmt.Errorf("item %d: %w", v, errBoom)
			}
			return nil
		}
	})
}

// TestStatuses: a run without a budget whose items failed completes with failures, and the
// after_run hooks see the status; with a budget that covers them it succeeds.
func TestStatuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  GraphConfig
		n    int // items: 0..n-1, every 10th (9, 19, ...) fails
		want Status
	}{
		{"no failure", GraphConfig{}, 9, StatusSucceeded},
		{"failures, no budget", GraphConfig{}, 100, StatusCompletedWithFailures},
		{"failures within the budget", GraphConfig{Budget: true, MaxFailures: 10}, 100, StatusSucceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeak(t)
			g := NewGraph(tc.cfg)
			Connect(countTo(g, spec("src"), tc.n), failEvery(g, 10))
			var inHook Status
			g.AfterRun(func(_ context.Context, r *Result) error {
				inHook = r.Status
				return nil
			})
			res, err := Run(context.Background(), g)
			if err != nil || res.Status != tc.want || inHook != tc.want {
				t.Fatalf("status %s (in after_run %s), err %v; want %s", res.Status, inHook, err, tc.want)
			}
			if want := int64(tc.n / 10); res.FailedItems != want || int64(len(res.Failures)) != want {
				t.Errorf("%d failed items, %d kept; want %d", res.FailedItems, len(res.Failures), want)
			}
		})
	}
}

// TestFailureBudget: N failures within max_failures N succeed; one more fails the run with a
// *BudgetError and cancels it as fail_fast does: an endless producer stops.
func TestFailureBudget(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		for _, budget := range []int{0, 5} {
			g := newGraph(GraphConfig{Pipeline: "budget", Budget: true, MaxFailures: budget, QueueSize: 10})
			src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
				return func(context.Context) error {
					for i := 0; ; i++ {
						w.Emit(i)
					}
				}
			})
			Connect(src, failEvery(g, 100))
			var inHook Status
			g.AfterRun(func(_ context.Context, r *Result) error {
				inHook = r.Status
				return nil
			})
			res, err := Run(context.Background(), g)
			var be *BudgetError
			if !errors.As(err, &be) || be.MaxFailures != budget || be.Failed != int64(budget)+1 || !errors.Is(err, errBoom) {
				t.Fatalf("budget %d: err = %v", budget, err)
			}
			if res.Status != StatusFailed || inHook != StatusFailed || res.FailedItems < int64(budget)+1 {
				t.Fatalf("budget %d: status %s (in after_run %s), %d failed", budget, res.Status, inHook, res.FailedItems)
			}
			if !strings.Contains(err.Error(), `pipeline "budget": `) || !strings.Contains(err.Error(), `stage "check"`) {
				t.Errorf("error %q", err)
			}
			if st := stats(t, res, "src"); st.Dropped != 1 {
				t.Errorf("budget %d: the producer did not stop (dropped %d)", budget, st.Dropped)
			}
		}
	})
}

// TestFailureBudgetFromContext: WithFailureBudget overrides the graph's budget and fail_fast;
// WithKeepFailures bounds the failures a result holds while every one is counted.
func TestFailureBudgetFromContext(t *testing.T) {
	noLeak(t)
	run := func(cfg GraphConfig, ctx context.Context) (Result, error) {
		g := NewGraph(cfg)
		Connect(countTo(g, spec("src"), 1000), failEvery(g, 10))
		return Run(ctx, g)
	}
	ctx := WithFailureBudget(context.Background(), 100)
	if res, err := run(GraphConfig{FailFast: true}, ctx); err != nil || res.Status != StatusSucceeded {
		t.Errorf("budget 100 over fail_fast: %s %v", res.Status, err)
	}
	if res, err := run(GraphConfig{Budget: true}, WithFailureBudget(ctx, -1)); err != nil || res.Status != StatusCompletedWithFailures {
		t.Errorf("no budget over max_failures 0: %s %v", res.Status, err)
	}
	if res, _ := run(GraphConfig{}, WithFailureBudget(ctx, 99)); res.Status != StatusFailed {
		t.Errorf("budget 99: %s", res.Status)
	}
	for _, tc := range []struct {
		cfg  GraphConfig
		ctx  context.Context
		keep int
	}{
		{GraphConfig{}, context.Background(), 100},
		{GraphConfig{KeepFailures: 7}, context.Background(), 7},
		{GraphConfig{KeepFailures: -1}, context.Background(), 0},
		{GraphConfig{KeepFailures: 7}, WithKeepFailures(context.Background(), 3), 3},
		{GraphConfig{}, WithKeepFailures(context.Background(), 0), 0},
	} {
		res, err := run(tc.cfg, tc.ctx)
		if err != nil || res.Status != StatusCompletedWithFailures || res.FailedItems != 100 || len(res.Failures) != tc.keep {
			t.Errorf("keep %d: %s %v, %d failed, %d kept", tc.keep, res.Status, err, res.FailedItems, len(res.Failures))
		}
		if st := stats(t, res, "check"); st.Failed != 100 {
			t.Errorf("keep %d: the stage counts %d failures", tc.keep, st.Failed)
		}
	}
}

// TestDefaultKeepFailures: past 1000 failures a result holds the first 1000 and counts the rest.
func TestDefaultKeepFailures(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{})
	Connect(countTo(g, spec("src"), 3000), failEvery(g, 1))
	res, err := Run(context.Background(), g)
	if err != nil || res.FailedItems != 3000 || len(res.Failures) != 1000 {
		t.Fatalf("%v: %d failed, %d kept", err, res.FailedItems, len(res.Failures))
	}
	if !strings.Contains(res.StatsTable(), "3000 items failed for good (check 3000); first: ") {
		t.Errorf("table:\n%s", res.StatsTable())
	}
}
