package engine

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// run is the state of one execution of a graph.
type run struct {
	g        *Graph
	userCtx  context.Context
	ctx      context.Context // bodies and hooks get this one; canceled by Stop and fatal errors
	cancel   context.CancelFunc
	canceled atomic.Bool // ctx is done: read for each item, cheaper than ctx.Err
	hookMu   sync.Mutex  // never two hooks at once
	wg       sync.WaitGroup
	jobID    string
	started  time.Time
	startNs  atomic.Int64 // started, for live stats
	stages   []*stageRun
	slots    chan struct{} // max_threads slots, nil when the cap is not needed
	pumps    []func()      // goroutines of unbounded queues

	// worker processes (external.go)
	procSlots            chan struct{} // short-lived workers under max_processes; nil: no cap
	foldMu               map[*StateSpec]*sync.Mutex
	states               []*StateSpec // of process stages, in stage order: Apply once each
	workerOut, workerErr io.Writer    // where the workers' lines go

	producersLeft atomic.Int32

	// Failures: the budget (budget, maxFailures, or failFast) and how many are kept, read
	// from the graph's settings and the context when the run starts.
	budget      bool
	maxFailures int
	failFast    bool
	keep        int

	mu       sync.Mutex // guards failures, failed and fatal
	failures []Failure  // the first keep failures
	failed   int64      // every failure
	fatal    error
}

// stageRun is the state of one stage in a run, apart from its typed queue.
type stageRun struct {
	base        *stageBase
	run         *run
	stats       stageStats
	beforeOnce  sync.Once
	workersLeft atomic.Int32
	closers     []queueCloser // input queues of the stages this one sends to (not chained)
	chained     *FusedStage   // called directly by its sender, on the sender's goroutine
	kids        []*stageRun   // stages chained to this one, ended after it, in chain order
	rr          atomic.Uint64 // round robin position shared by a Threads stage's goroutines
	gauge       atomic.Value  // queueGauge: the input queue, for stats
}

// Run runs g until every stage has ended and returns what happened. The error is nil when
// the run succeeded (items may still have failed: see Result.Failures), the first fatal error
// when it failed, and ctx's error when it was canceled.
func Run(ctx context.Context, g *Graph) (Result, error) {
	r, err := newRun(ctx, g)
	if err != nil {
		return failedResult(g, err), err
	}
	return r.execute()
}

// Handle is a run started with Start.
type Handle struct {
	g    *Graph
	r    *run
	done chan struct{}
	res  Result
	err  error
}

// Start starts running g in the background.
func Start(ctx context.Context, g *Graph) *Handle {
	h := &Handle{g: g, done: make(chan struct{})}
	r, err := newRun(ctx, g)
	if err != nil {
		h.res, h.err = failedResult(g, err), err
		close(h.done)
		return h
	}
	h.r = r
	go func() {
		h.res, h.err = r.execute()
		close(h.done)
	}()
	return h
}

// Wait waits for the run to end and returns what Run would have returned.
func (h *Handle) Wait() (Result, error) {
	<-h.done
	return h.res, h.err
}

// Stop cancels the run and returns once everything has stopped: producers stop at their next
// emit, items being processed finish, accumulators flush, queued items are counted as dropped.
func (h *Handle) Stop() {
	if h.r != nil {
		h.r.canceled.Store(true)
		h.r.cancel()
	}
	<-h.done
}

// Running reports whether the run is still going.
func (h *Handle) Running() bool {
	select {
	case <-h.done:
		return false
	default:
		return true
	}
}

// Stats returns a live snapshot of every stage's stats, in stage creation order.
func (h *Handle) Stats() []StageStats {
	if h.r == nil {
		return h.res.Stages
	}
	return h.r.snapshot()
}

// Info returns the shape of the graph being run: its stages and edges.
func (h *Handle) Info() GraphInfo { return h.g.Info() }

// Latency returns the latency histogram of the i-th stage (in stage creation order) so far:
// how many sampled items took at most each of bounds (increasing), how many were sampled,
// and their summed latency. Latency is sampled (StageStats); producers have none.
func (h *Handle) Latency(i int, bounds []time.Duration) (counts []uint64, samples uint64, sum time.Duration) {
	if h.r == nil || i < 0 || i >= len(h.r.stages) {
		return make([]uint64, len(bounds)), 0, 0
	}
	return h.r.stages[i].stats.hist.cumulative(bounds)
}

// Done returns a channel closed when the run has ended.
func (h *Handle) Done() <-chan struct{} { return h.done }

// JobID returns the run's job id (Result.JobID), known from the start.
func (h *Handle) JobID() string {
	if h.r == nil {
		return h.res.JobID
	}
	return h.r.jobID
}

// Pipeline returns the name of the running pipeline (GraphConfig.Pipeline).
func (h *Handle) Pipeline() string {
	if h.r == nil {
		return h.res.Pipeline
	}
	return h.r.g.cfg.Pipeline
}

// failureKeys are the context keys of WithFailureBudget and WithKeepFailures.
type (
	budgetKey struct{}
	keepKey   struct{}
)

// WithFailureBudget returns a context that gives runs started with it a failure budget of n
// items (DESIGN 3.6), whatever their GraphConfig says (Budget, MaxFailures, FailFast): built
// binaries pass -max-failures this way. n < 0 removes the budget.
func WithFailureBudget(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, budgetKey{}, n)
}

// WithKeepFailures returns a context that makes runs started with it keep the first n failed
// items in Result.Failures (0: none), whatever GraphConfig.KeepFailures says: built binaries
// pass -keep-failures this way.
func WithKeepFailures(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, keepKey{}, n)
}

// defaultKeepFailures is how many failed items a Result holds when nothing says otherwise.
const defaultKeepFailures = 1000

func newRun(ctx context.Context, g *Graph) (*run, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	if !g.running.CompareAndSwap(false, true) {
		return nil, fmt.Errorf("pipeline %q: graph is already running", g.cfg.Pipeline)
	}
	r := &run{g: g, userCtx: ctx, jobID: newJobID()}
	cfg := &g.cfg
	r.budget, r.maxFailures, r.failFast = cfg.Budget, cfg.MaxFailures, cfg.FailFast
	if n, ok := ctx.Value(budgetKey{}).(int); ok {
		r.budget, r.maxFailures, r.failFast = n >= 0, n, false
	}
	switch r.keep = cfg.KeepFailures; {
	case r.keep == 0:
		r.keep = defaultKeepFailures
	case r.keep < 0:
		r.keep = 0
	}
	if n, ok := ctx.Value(keepKey{}).(int); ok {
		r.keep = max(n, 0)
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	for _, n := range g.stages {
		b := n.base()
		b.rt = &stageRun{base: b, run: r}
		r.stages = append(r.stages, b.rt)
	}
	return r, nil
}

// newJobID returns 16 random hex digits. The ids name runs in logs and results; they need to
// be unique, not unguessable, so they come from math/rand/v2 (seeded by the runtime from the
// system's entropy): crypto/rand would link the FIPS crypto packages, whose initialisation
// every built program and every worker process would pay for at start.
func newJobID() string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// execute runs the hooks and the stages and builds the result.
func (r *run) execute() (Result, error) {
	g := r.g
	defer g.running.Store(false)
	defer r.cancel()
	r.started = time.Now()
	r.startNs.Store(r.started.UnixNano())
	if r.ctx.Err() != nil {
		r.canceled.Store(true)
	}

	if err := r.runHooks("before_run", g.beforeRun); err != nil {
		r.setFatal(err)
		return r.result(false)
	}

	fns, producers, err := r.build()
	if err != nil {
		r.setFatal(err)
		return r.result(false)
	}
	fns = append(fns, r.pumps...)
	r.producersLeft.Store(int32(producers))
	r.checkCanceled()

	fired := make(chan struct{})
	stopWatch := context.AfterFunc(r.ctx, func() {
		r.canceled.Store(true)
		close(fired)
	})
	r.wg.Add(len(fns))
	for _, f := range fns {
		go func() {
			defer r.wg.Done()
			f()
		}()
	}
	if producers == 0 {
		r.producersDone()
	}
	r.wg.Wait()
	if !stopWatch() {
		<-fired
	}
	r.applyStates()
	return r.result(true)
}

// build makes the run's queues and workers (calling the stages' bind functions) and returns
// the functions to run on the stages' goroutines. A panic in a bind function is an error of
// its stage; nothing has started then.
func (r *run) build() (fns []func(), producers int, err error) {
	var current *stageBase
	defer func() {
		if p := recover(); p != nil {
			fns, producers = nil, 0
			err = newPanicError(p)
			if current != nil {
				err = &StageError{Stage: current.spec.Name, Pos: current.spec.Pos, Err: err}
			}
		}
	}()
	r.plan()
	for _, n := range r.g.stages {
		current = n.base()
		if current.rt.chained != nil {
			continue // run by the head of its chain
		}
		gs := n.driver().goroutines(r)
		current.rt.workersLeft.Store(int32(len(gs)))
		current.rt.stats.goroutines.Store(int32(len(gs)))
		for _, g := range gs {
			fns = append(fns, r.guardGoexit(current, g))
		}
		if current.spec.Kind == KindProducer {
			producers++
		}
	}
	return fns, producers, nil
}

// guardGoexit fails the run when f, one of stage b's goroutines, ends without returning: a
// body called runtime.Goexit (a panic is recovered per item). The goroutine and what it held
// are gone, so the run cannot end as if nothing happened, nor wait for it: the goroutine's
// share of the stage ends here, so that the stages after it learn the end of their input.
func (r *run) guardGoexit(b *stageBase, f func()) func() {
	return func() {
		returned := false
		defer func() {
			if !returned {
				err := errGoexit
				if c := b.chain; c != nil {
					var names []string
					for _, m := range c.members {
						names = append(names, m.spec.Name)
					}
					err = fmt.Errorf("%w, which runs the chain %s", errGoexit, strings.Join(names, " -> "))
				}
				r.failRun(&StageError{Stage: b.spec.Name, Pos: b.spec.Pos, Err: err})
				b.node.abandonOrder() // its items never commit: the others must not wait for them
				if s := b.rt; s.workersLeft.Add(-1) == 0 {
					s.finish()
				}
			}
		}()
		f()
		returned = true
	}
}

var errGoexit = errors.New("a body called runtime.Goexit, which ended one of the stage's goroutines")

// plan sets up the chains, makes the queues, and sizes the max_threads cap.
func (r *run) plan() {
	g := r.g
	r.planChains()
	for _, n := range g.stages {
		n.prepare(r)
	}
	r.planProcesses()
	threads := 0
	for _, n := range g.stages {
		b := n.base()
		seen := map[*stageBase]bool{}
		targets := b.outs
		if b.dlTo != nil {
			targets = append(append([]*stageBase(nil), targets...), b.dlTo)
		}
		for _, t := range targets {
			if seen[t] || t.rt.chained != nil {
				continue
			}
			seen[t] = true
			b.rt.closers = append(b.rt.closers, t.node.inputCloser())
		}
		if b.spec.Strategy.Kind == Threads && (b.spec.Kind == KindProcessor || b.spec.Kind == KindConsumer || b.spec.Kind == KindCustom) {
			threads += max(b.spec.Strategy.N, 1)
		}
	}
	if max := g.cfg.MaxThreads; max > 0 && threads > max {
		r.slots = make(chan struct{}, max)
	}
}

// result builds the run's result and runs the after_run hooks (unless before_run failed).
func (r *run) result(afterRun bool) (Result, error) {
	res := Result{
		JobID:    r.jobID,
		Pipeline: r.g.cfg.Pipeline,
		Started:  r.started,
		Duration: time.Since(r.started),
		Stages:   r.snapshot(),
	}
	r.mu.Lock()
	res.Failures = append([]Failure(nil), r.failures...)
	res.FailedItems = r.failed
	res.Err = r.fatal
	r.mu.Unlock()
	switch {
	case res.Err != nil:
		res.Status = StatusFailed
	case r.canceled.Load():
		res.Status = StatusCanceled
	case res.FailedItems > 0 && !r.budget:
		res.Status = StatusCompletedWithFailures
	default:
		res.Status = StatusSucceeded
	}
	if afterRun && len(r.g.afterRun) > 0 {
		r.hookMu.Lock()
		for _, f := range r.g.afterRun {
			err := callHook(func() error { return f(r.ctx, &res) })
			if err != nil && res.Err == nil {
				res.Err = &HookError{Pipeline: r.g.cfg.Pipeline, Hook: "after_run", Err: err}
				res.Status = StatusFailed
			}
		}
		r.hookMu.Unlock()
	}
	switch res.Status {
	case StatusFailed:
		return res, res.Err
	case StatusCanceled:
		if err := r.userCtx.Err(); err != nil {
			return res, err
		}
		return res, context.Canceled
	}
	return res, nil
}

// failedResult is the result of a graph that could not start.
func failedResult(g *Graph, err error) Result {
	res := Result{JobID: newJobID(), Pipeline: g.cfg.Pipeline, Status: StatusFailed, Started: time.Now(), Err: err}
	for _, n := range g.stages {
		s := n.base().spec
		res.Stages = append(res.Stages, StageStats{Name: s.Name, Kind: s.Kind, Pos: s.Pos, Strategy: s.Strategy})
	}
	return res
}

func (r *run) snapshot() []StageStats {
	out := make([]StageStats, len(r.stages))
	start, now := r.startNs.Load(), time.Now().UnixNano()
	ups := make([][]int, len(r.stages))
	for i, s := range r.stages {
		out[i] = s.snapshot(start, now)
		for _, u := range s.base.ins {
			ups[i] = append(ups[i], u.index)
		}
		for _, u := range s.base.dlFrom {
			ups[i] = append(ups[i], u.index)
		}
	}
	markBottleneck(out, ups)
	return out
}

// checkCanceled sets the canceled flag as soon as the run's context is done, without
// waiting for the context.AfterFunc callback. Called once per chunk of items.
func (r *run) checkCanceled() {
	if !r.canceled.Load() && r.ctx.Err() != nil {
		r.canceled.Store(true)
	}
}

// setFatal records the run's first fatal error; the run goes on draining.
func (r *run) setFatal(err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.mu.Unlock()
}

// failRun records a fatal error and cancels the run.
func (r *run) failRun(err error) {
	r.setFatal(err)
	r.canceled.Store(true)
	r.cancel()
}

// producersDone runs the after_producer hooks.
func (r *run) producersDone() {
	if err := r.runHooks("after_producer", r.g.afterProducers); err != nil {
		r.failRun(err)
	}
}

// begin runs the stage's Before hooks, once.
func (s *stageRun) begin() {
	s.beforeOnce.Do(s.runBefore)
}

func (s *stageRun) runBefore() { s.run.stageHooks(s, "before", s.base.before) }

// exit ends one goroutine of the stage: its outputs are flushed, and the last goroutine ends
// the stage.
func (s *stageRun) exit(rn *runner) {
	rn.idle()
	if s.workersLeft.Add(-1) == 0 {
		s.finish()
	}
}

// finish ends the stage: Before hooks if no item came, After hooks, then its downstream
// queues learn that it ended, then the stages chained to it end.
func (s *stageRun) finish() {
	s.begin()
	r := s.run
	r.stageHooks(s, "after", s.base.after)
	s.stats.endNs.Store(time.Now().UnixNano())
	for _, c := range s.closers {
		c.senderDone()
	}
	if s.base.spec.Kind == KindProducer && r.producersLeft.Add(-1) == 0 {
		r.producersDone()
	}
	for _, k := range s.kids {
		k.finish()
	}
}

// itemFailed records an item that failed for good: counted, listed in the result while it
// keeps fewer than its limit, passed to the stage's OnError hooks; with fail_fast, or past the
// failure budget, it fails the run.
func (s *stageRun) itemFailed(item any, err error, attempts int) {
	s.stats.failed.Add(1)
	b := s.base
	f := Failure{Stage: b.spec.Name, Pos: b.spec.Pos, Item: item, Err: err, Attempts: attempts}
	r := s.run
	r.mu.Lock()
	r.failed++
	failed := r.failed
	if len(r.failures) < r.keep {
		r.failures = append(r.failures, f)
	}
	r.mu.Unlock()
	if len(b.onError) > 0 {
		r.hookMu.Lock()
		for _, h := range b.onError {
			if herr := callHook(func() error { return h(r.ctx, err, item) }); herr != nil {
				r.failRun(&StageError{Stage: b.spec.Name, Pos: b.spec.Pos, Hook: "on_error", Err: herr})
			}
		}
		r.hookMu.Unlock()
	}
	switch {
	case r.budget && failed > int64(r.maxFailures):
		r.failRun(&BudgetError{Pipeline: r.g.cfg.Pipeline, MaxFailures: r.maxFailures, Failed: failed, Failure: f})
	case r.failFast:
		r.failRun(f)
	}
}
