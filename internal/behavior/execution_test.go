package behavior

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// | inline | single thread | default | default |
func TestExecution_InlineDefault(t *testing.T) {
	noLeaks(t)
	p := NewInlineDefault()
	for _, s := range p.Graph().Stages {
		if s.Strategy.Kind != mgrt.Inline {
			t.Errorf("stage %s strategy %v, want inline", s.Name, s.Strategy)
		}
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if peak := p.gauge.Peak(); peak != 1 {
		t.Errorf("%d inline bodies ran at once, want 1", peak)
	}
	if got := p.got.Items(); !slices.Equal(got, seq(0, 200)) {
		t.Errorf("keep got %d items (in order: %v), want 0..199 in order", len(got), slices.IsSorted(got))
	}
}

// | threads | `threads: N`, `thread_pool(N) {}` | the option is ignored; the block gives ONE
// thread per stage whatever N | N goroutines, really |
func TestExecution_ThreadsReallyConcurrent(t *testing.T) {
	noLeaks(t)
	for _, items := range []int{4, 8, 100} {
		p := NewThreadsReal()
		p.Items = items
		res, err := p.Run(runCtx(t))
		mustSucceed(t, res, err)
		if n := p.timedOut.Load(); n != 0 {
			t.Errorf("items %d: %d bodies waited 5 s for 4 bodies to run at once", items, n)
		}
		if peak := p.gauge.Peak(); peak != 4 {
			t.Errorf("items %d: peak %d bodies at once, want 4", items, peak)
		}
		if got := sorted(p.got.Items()); !slices.Equal(got, seq(0, items)) {
			t.Errorf("items %d: keep got %v", items, got)
		}
		if st := stage(t, res, "work"); st.Strategy.Kind != mgrt.Threads || st.Strategy.N != 4 || st.In != int64(items) {
			t.Errorf("items %d: work stats %+v", items, st)
		}
	}
}

// | named contexts | `execution_context :io, :threads, 50` | works (types normalised oddly:
// `:processes` breaks) | `context io = threads(50)` |
func TestExecution_NamedContexts(t *testing.T) {
	noLeaks(t)
	p := NewNamedContext()
	if s := stageInfo(t, p.Graph(), "fetch").Strategy; s.Kind != mgrt.Threads || s.N != 3 {
		t.Errorf("fetch strategy %v, want threads(3) from context io", s)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if n := p.timedOut.Load(); n != 0 {
		t.Errorf("%d bodies waited 5 s for 3 bodies to run at once", n)
	}
	if peak := p.gauge.Peak(); peak != 3 {
		t.Errorf("peak %d bodies at once, want 3", peak)
	}

	// An unknown context is a diagnostic.
	code, stderr := check(t, `package main

pipeline P {
	context io = threads(3)
	producer gen() int {
		emit(1)
	}
	consumer sink(n int) context(oi) {}
}
`)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 8, `"oi"`)
}

// | nesting strategy blocks | innermost wins | works | the same | (and a stage's own
// option beats its block, DESIGN 2.5)
func TestExecution_NestedStrategyBlocks(t *testing.T) {
	noLeaks(t)
	p := NewBlocks()
	g := p.Graph()
	for name, want := range map[string]mgrt.Strategy{
		"outer":        {Kind: mgrt.Threads, N: 5},
		"inner":        {Kind: mgrt.Threads, N: 2},
		"own":          {Kind: mgrt.Threads, N: 3},
		"ctx_opt":      {Kind: mgrt.Threads, N: 9},
		"flat":         {Kind: mgrt.Inline},
		"after_inner":  {Kind: mgrt.Threads, N: 5},
		"default_exec": {Kind: mgrt.Threads, N: 7},
		"keep":         {Kind: mgrt.Inline},
	} {
		got := stageInfo(t, g, name).Strategy
		if got.Kind != want.Kind || (want.Kind == mgrt.Threads && got.N != want.N) {
			t.Errorf("stage %s: strategy %v, want %v", name, got, want)
		}
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(p.got.Items()); !slices.Equal(got, seq(0, 50)) {
		t.Errorf("keep got %v", got)
	}
}

// | class default | `execution :thread, max: 20` | dropped for instances: no effect |
// `execution threads(20)` |
func TestExecution_ExecutionDefault(t *testing.T) {
	noLeaks(t)
	p := NewBlocks()
	if s := stageInfo(t, p.Graph(), "default_exec").Strategy; s.Kind != mgrt.Threads || s.N != 7 {
		t.Errorf("default_exec strategy %v, want threads(7) from execution", s)
	}
	// It does not apply to the producer (DESIGN 2.6 rule 7).
	if s := stageInfo(t, p.Graph(), "gen").Strategy; s.Kind == mgrt.Threads {
		t.Errorf("producer gen took the execution default %v", s)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if st := stage(t, res, "default_exec"); st.Strategy.Kind != mgrt.Threads || st.Strategy.N != 7 || st.In != 50 {
		t.Errorf("default_exec ran with %v, %d items", st.Strategy, st.In)
	}
}

// | `max_threads`, `max_processes`, `max_retries` | global limits | stored, never enforced |
// enforced | (max_threads)
func TestExecution_MaxThreadsEnforced(t *testing.T) {
	noLeaks(t)
	// Without the cap, the two threads(4) stages run more than 3 bodies at once.
	free := NewNoMaxThreads()
	res, err := free.Run(runCtx(t))
	mustSucceed(t, res, err)
	if peak := free.gauge.Peak(); peak <= 3 {
		t.Errorf("without max_threads the peak was only %d: the workload does not test the cap", peak)
	}

	for range 3 {
		p := NewMaxThreads()
		res, err := p.Run(runCtx(t))
		mustSucceed(t, res, err)
		if peak := p.gauge.Peak(); peak > 3 || peak < 2 {
			t.Errorf("peak %d bodies at once across a and b, want 2..3 under max_threads 3", peak)
		}
		if got := sorted(p.got.Items()); !slices.Equal(got, seq(0, 120)) {
			t.Errorf("keep got %d items", len(got))
		}
	}
}

// | (threads) | ... | `ordered`: with threads/processes, emit in input order (DESIGN 2.4)
func TestExecution_OrderedWithThreads(t *testing.T) {
	noLeaks(t)
	// Without ordered, the slow items come out late: the test below could fail.
	u := NewUnordered()
	res, err := u.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := u.got.Items(); slices.IsSorted(got) {
		t.Errorf("without ordered the output was in order: the workload does not test ordered")
	}

	for range 3 {
		p := NewOrdered()
		res, err := p.Run(runCtx(t))
		mustSucceed(t, res, err)
		if got := p.got.Items(); !slices.Equal(got, seq(0, p.Items)) {
			t.Fatalf("ordered output %v, want 0..%d in order", got, p.Items-1)
		}
	}
}

// | backpressure | bounded queues (docs say 500 or 1000) | `SizedQueue(1000)` | bounded
// channels, 1000 |
func TestExecution_Backpressure(t *testing.T) {
	noLeaks(t)
	p := NewBackpressure()
	g := p.Graph()
	if q := stageInfo(t, g, "slow").QueueSize; q != 4 {
		t.Errorf("slow queue size %d, want 4", q)
	}
	if q := stageInfo(t, NewInlineDefault().Graph(), "keep").QueueSize; q != 1000 {
		t.Errorf("default queue size %d, want 1000", q)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	consumed, maxLag := p.Lag()
	if consumed != int64(p.Items) {
		t.Errorf("consumed %d, want %d", consumed, p.Items)
	}
	// 4 queued, one being processed, and a little slack for the producer's buffer.
	if maxLag > 8 {
		t.Errorf("the producer ran %d items ahead of a consumer with queue_size(4)", maxLag)
	}
	if st := stage(t, res, "gen"); st.BlockedOut == 0 {
		t.Errorf("the producer never waited for room downstream")
	}
}

// | `max_threads`, ... | global limits | stored, never enforced | enforced | (one slot, a
// chain of threads stages and queues of one item: no deadlock)
func TestExecution_MaxThreadsOneSlotNoDeadlock(t *testing.T) {
	noLeaks(t)
	p := NewOneSlot()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.Run(ctx)
	mustSucceed(t, res, err)
	if peak := p.gauge.Peak(); peak != 1 {
		t.Errorf("peak %d bodies at once, want 1 under max_threads 1", peak)
	}
	if got := p.got.Len(); got != 400 {
		t.Errorf("keep got %d items, want 400", got)
	}
}

// | options `processes:`, `max:`, `execution:`, `init:` | per-stage | ignored | the options of
// DESIGN 2.4 | (timeout(D): a per-item deadline through the body's ctx)
func TestExecution_StageOptionTimeout(t *testing.T) {
	noLeaks(t)
	p := NewStageOptions()
	start := time.Now()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %v: the deadline did not end the wait", d)
	}
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{0, 2, 3}) {
		t.Errorf("keep got %v, want [0 2 3]", got)
	}
	if len(res.Failures) != 1 || res.Failures[0].Item != 1 || !errors.Is(res.Failures[0].Err, context.DeadlineExceeded) {
		t.Errorf("failures %+v, want item 1 with context.DeadlineExceeded", res.Failures)
	}
}

// | (DESIGN 2.4) `ordered` | with threads, emit in input order | (several emits per item
// stay together)
func TestExecution_OrderedMultipleEmits(t *testing.T) {
	noLeaks(t)
	p := NewOrderedMulti()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	var want []int
	for n := 0; n < 100; n++ {
		for j := 0; j < n%3; j++ {
			want = append(want, n*10+j)
		}
	}
	if got := p.got.Items(); !slices.Equal(got, want) {
		t.Errorf("ordered output %v, want %v", got, want)
	}
}

// | backpressure | bounded queues | ... | bounded channels, 1000 | (queue_size(unbounded)
// is allowed, warned about, and removes backpressure)
func TestExecution_UnboundedQueue(t *testing.T) {
	noLeaks(t)
	p := NewUnbounded()
	if q := stageInfo(t, p.Graph(), "slow").QueueSize; q != -1 {
		t.Errorf("slow queue size %d, want -1 (unbounded)", q)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	consumed, maxLag := p.consumed, p.maxLag
	if consumed != int64(p.Items) {
		t.Errorf("consumed %d", consumed)
	}
	if maxLag < int64(p.Items)/2 {
		t.Errorf("the producer was at most %d items ahead: held back by an unbounded queue", maxLag)
	}
	code, stderr := check(t, `package main

pipeline P {
	producer gen() int {
		emit(1)
	}
	consumer sink(n int) queue_size(unbounded) {}
}
`)
	if code != 0 {
		t.Errorf("check exit %d, want 0", code)
	}
	wantDiag(t, stderr, 7, "warning: queue_size(unbounded)")
}

// | `max_threads`, ... | global limits | stored, never enforced | enforced | (across the
// stages of a nested pipeline too; the nested pipeline's execution default applies to its
// stages, DESIGN 2.2)
func TestExecution_MaxThreadsAcrossNested(t *testing.T) {
	noLeaks(t)
	p := NewCappedHost()
	g := p.Graph()
	if s := stageInfo(t, g, "inner.other").Strategy; s.Kind != mgrt.Threads || s.N != 3 {
		t.Errorf("inner.other strategy %v, want threads(3) from the nested pipeline's execution", s)
	}
	if s := stageInfo(t, g, "inner.work").Strategy; s.Kind != mgrt.Threads || s.N != 4 {
		t.Errorf("inner.work strategy %v, want its own threads(4)", s)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if peak := p.gauge.Peak(); peak != 2 {
		t.Errorf("peak %d bodies at once across inner.work and own, want 2 under max_threads 2", peak)
	}
}

func TestExecution_OptionsFromParams(t *testing.T) {
	p := NewParamOptions()
	p.Workers, p.Size, p.Queue = 5, 4, 9
	g := p.Graph()
	if s := stageInfo(t, g, "work"); s.Strategy.Kind != mgrt.Threads || s.Strategy.N != 5 || s.QueueSize != 9 {
		t.Errorf("work = %v queue %d, want threads(5) from Workers and queue 9 from Queue", s.Strategy, s.QueueSize)
	}
	res, err := p.Run(runCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if p.batches != 3 {
		t.Errorf("%d batches of 10 items, want 3 (batch Size with Size 4)", p.batches)
	}
	if st := stage(t, res, "work"); st.Strategy.N != 5 {
		t.Errorf("work ran with %v, want threads(5)", st.Strategy)
	}
}

func TestExecution_ParamOutOfRangeFailsBeforeAnyStage(t *testing.T) {
	p := NewParamOptions()
	p.Workers = 0
	_, err := p.Run(runCtx(t))
	var pe *mgrt.ParamError
	if !errors.As(err, &pe) {
		t.Fatalf("Run: %v, want a *mgrt.ParamError", err)
	}
	if pe.Param != "Workers" || pe.Option != "max_threads Workers" || pe.Want != "from 1 to 65536" || pe.Pos.Line == 0 {
		t.Errorf("error %+v, want the first use of Workers (max_threads Workers) at its position", pe)
	}
	if p.produced != 0 {
		t.Errorf("the producer ran %d times, want 0: the run fails before any stage starts", p.produced)
	}
	q := NewParamOptions()
	q.Wait = 0
	if _, err := q.Run(runCtx(t)); !errors.As(err, &pe) || pe.Stage != "work" || pe.Option != "timeout(Wait)" {
		t.Errorf("with Wait 0: %v, want timeout(Wait) of stage work", err)
	}
}

func TestExecution_NestedOptionFromItsParam(t *testing.T) {
	p := NewNestedParamOptions()
	p.mgNestedInner.K = 3
	if s := stageInfo(t, p.Graph(), "inner.sink").Strategy; s.Kind != mgrt.Threads || s.N != 3 {
		t.Errorf("inner.sink = %v, want threads(3) from the nested pipeline's K", s)
	}
}
