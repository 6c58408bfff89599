package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// This file is what the engine offers a stage whose bodies it does not run itself: the stages
// of the process strategies, whose bodies run in worker processes (package remote drives them,
// over a transport). The engine keeps the stage's input queue, its downstreams, its stats and
// its end of stream; the Runner claims items, and settles each one through a Lane exactly as
// an in-process stage would (emits routed, failures recorded or dead-lettered, drops counted).

// Runner runs the bodies of a stage outside the engine.
type Runner[In, Out any] interface {
	// Validate returns why the stage cannot run in this process, if it cannot; it is called
	// before a run starts.
	Validate() error
	// Goroutines returns the functions to run on the stage's goroutines for one run. The
	// stage ends once every one has returned and called Host.Exit.
	Goroutines(h *Host[In, Out]) []func()
}

// SetRunner makes r run the stage's bodies (process strategies).
func (n *Node[In, Out]) SetRunner(r Runner[In, Out]) { n.external = r }

// Bind returns the function that makes the per-goroutine body of a processor, consumer or
// custom stage: worker processes call it with their own Emitter.
func (n *Node[In, Out]) Bind() func(w *Emitter[Out]) func(ctx context.Context, in In) error {
	return n.each
}

// AfterForkHooks returns the after_fork hooks for the stage's worker processes: the graph's,
// then the stage's.
func (n *Node[In, Out]) AfterForkHooks() []func(context.Context) error {
	return append(append([]func(context.Context) error(nil), n.graph.afterFork...), n.afterFork...)
}

// Routing returns the stage's fan-out mode.
func (n *Node[In, Out]) Routing() Routing { return n.routing }

// Outs returns the number of the stage's static downstreams (the targets of Emitter.To).
func (n *Node[In, Out]) Outs() int { return len(n.targets) }

// Host is one run of an externally run stage, handed to its Runner.
type Host[In, Out any] struct {
	n   *Node[In, Out]
	r   *run
	st  *stageRun
	in  *sharedIn[In]
	ord *reorder[Out]
}

func (d externalDriver[In, Out]) goroutines(r *run) []func() {
	n := d.n
	h := &Host[In, Out]{n: n, r: r, st: n.rt}
	h.in = &sharedIn[In]{q: n.q, workers: max(n.spec.Strategy.N, 1)}
	if n.spec.Ordered {
		h.ord = newReorderWindow(n, 2*n.q.chunkMax+orderedWindow(n.spec.Strategy))
	}
	return d.x.Goroutines(h)
}

// orderedWindow is how many items an ordered process stage may have running ahead of the
// oldest unfinished one, besides what its input holds.
func orderedWindow(s Strategy) int {
	if s.Kind == ProcessPerBatch {
		return max(s.N, 1) + 8
	}
	return max(s.N, 1)*256 + 8
}

// externalDriver runs a stage through its Runner.
type externalDriver[In, Out any] struct {
	n *Node[In, Out]
	x Runner[In, Out]
}

// Spec returns the stage's spec.
func (h *Host[In, Out]) Spec() StageSpec { return h.n.spec }

// Pipeline returns the name of the stage's pipeline.
func (h *Host[In, Out]) Pipeline() string { return h.r.g.cfg.Pipeline }

// Config returns the graph's settings.
func (h *Host[In, Out]) Config() GraphConfig { return h.r.g.cfg }

// JobID returns the run's job id.
func (h *Host[In, Out]) JobID() string { return h.r.jobID }

// Context returns the run's context: canceled when the run stops.
func (h *Host[In, Out]) Context() context.Context { return h.r.ctx }

// Canceled reports whether the run is stopping.
func (h *Host[In, Out]) Canceled() bool { return h.r.canceled.Load() }

// FailRun records a fatal error of the run and cancels it.
func (h *Host[In, Out]) FailRun(err error) { h.r.failRun(err) }

// StageError wraps err as an error of this stage (hook names it, "" for none).
func (h *Host[In, Out]) StageError(hook string, err error) error {
	return &StageError{Stage: h.n.spec.Name, Pos: h.n.spec.Pos, Hook: hook, Err: err}
}

// ShutdownTimeout is how long worker processes get to finish once asked to stop.
func (h *Host[In, Out]) ShutdownTimeout() time.Duration { return h.r.shutdownTimeout() }

// WorkerOutput returns where the lines worker processes write go (shared by the run's
// workers, one line at a time).
func (h *Host[In, Out]) WorkerOutput() (stdout, stderr io.Writer) {
	return h.r.workerOut, h.r.workerErr
}

// Workers counts the stage's worker processes that run now, for its stats: +1 when one has
// started, -1 when it has ended.
func (h *Host[In, Out]) Workers(delta int) { h.st.stats.procs.Add(int32(delta)) }

// SetWorkers records how many workers serve the stage now (StageStats.Workers).
func (h *Host[In, Out]) SetWorkers(n int) {
	st := &h.st.stats
	st.remoteWorkers.Store(int64(n))
	for {
		p := st.peakWorkers.Load()
		if int64(n) <= p || st.peakWorkers.CompareAndSwap(p, int64(n)) {
			return
		}
	}
}

// Begin runs the stage's Before hooks, once, before its first item.
func (h *Host[In, Out]) Begin() { h.st.begin() }

// Ordered reports whether the stage releases its emits in input order.
func (h *Host[In, Out]) Ordered() bool { return h.ord != nil }

// StartWorker runs, under the run's hook lock, the before_fork hooks (the graph's, then the
// stage's) and then start, which encodes what a new worker process needs (parameters and
// state start values, read here so that no hook writes them meanwhile). It is called before
// each worker process starts; its error fails the run.
func (h *Host[In, Out]) StartWorker(start func() error) error {
	r := h.r
	r.hookMu.Lock()
	defer r.hookMu.Unlock()
	for _, hooks := range [][]func(context.Context) error{r.g.beforeFork, h.n.beforeFork} {
		for _, f := range hooks {
			if err := callHook(func() error { return f(r.ctx) }); err != nil {
				return h.StageError("before_fork", err)
			}
		}
	}
	if err := callHook(start); err != nil {
		return h.StageError("", err)
	}
	return nil
}

// Params encodes the pipeline's parameters for a worker process (nil when it has none).
func (h *Host[In, Out]) Params() ([]byte, error) {
	if f := h.r.g.cfg.Params; f != nil {
		return f()
	}
	return nil, nil
}

// Fold folds a delta of the stage's merge state from a worker, never concurrently with
// another fold of the same state; an error fails the run. An empty delta changed nothing.
func (h *Host[In, Out]) Fold(delta []byte) {
	st := h.n.spec.State
	if st == nil || st.Fold == nil || len(delta) == 0 {
		return
	}
	mu := h.r.foldMu[st]
	mu.Lock()
	err := callHook(func() error { return st.Fold(delta) })
	mu.Unlock()
	if err != nil {
		h.r.failRun(h.StageError("", fmt.Errorf("merging worker state: %w", err)))
	}
}

// AcquireProcess takes a process slot of the run's max_processes budget for a short-lived
// worker (process_per_batch), waiting for one; false when the run was canceled meanwhile.
// Without a budget it returns at once.
func (h *Host[In, Out]) AcquireProcess(l *Lane[In, Out]) bool {
	r := h.r
	if r.procSlots == nil {
		return true
	}
	select {
	case r.procSlots <- struct{}{}:
		return true
	default:
	}
	if l != nil {
		l.rn.idle()
	}
	select {
	case r.procSlots <- struct{}{}:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// TryAcquireProcess takes a process slot of the run's max_processes budget if one is free
// now, without waiting; without a budget it returns true.
func (h *Host[In, Out]) TryAcquireProcess() bool {
	if h.r.procSlots == nil {
		return true
	}
	select {
	case h.r.procSlots <- struct{}{}:
		return true
	default:
		return false
	}
}

// ReleaseProcess gives back a process slot taken with AcquireProcess.
func (h *Host[In, Out]) ReleaseProcess() {
	if h.r.procSlots != nil {
		<-h.r.procSlots
	}
}

// Exit ends one of the goroutines Goroutines returned, after its lanes were closed; the last
// one ends the stage.
func (h *Host[In, Out]) Exit(l *Lane[In, Out]) { h.st.exit(l.rn) }

// Lane is one goroutine's way into an externally run stage: it claims input and settles items.
// A lane is used by one goroutine at a time.
type Lane[In, Out any] struct {
	h    *Host[In, Out]
	rn   *runner
	w    Emitter[Out] // routes released emits
	dead sink[Failed[In]]
	buf  []In
}

// NewLane makes a lane, with its own output buffers.
func (h *Host[In, Out]) NewLane() *Lane[In, Out] {
	n, st := h.n, h.st
	l := &Lane[In, Out]{h: h, rn: h.r.newRunner()}
	l.w.ws.st = &st.stats
	l.rn.addStats(&l.w.ws)
	var sinks []sink[Out]
	if h.ord == nil {
		for _, t := range n.targets {
			sinks = append(sinks, t.sinkFor(st, l.rn, &l.w.ws, bufPrivate))
		}
	} else {
		h.ord.attach(l.rn)
	}
	l.w.init(&n.stageBase, sinks, true, nil)
	if n.routing == RoutingRoundRobin {
		l.w.sharedRR = &st.rr
	}
	if n.dead != nil {
		l.dead = n.dead.sinkFor(st, l.rn, &l.w.ws, bufPrivate)
	}
	return l
}

// ClaimMode says how Claim waits for input.
type ClaimMode int

const (
	// ClaimWait waits for input (or the end of the input).
	ClaimWait ClaimMode = iota
	// ClaimNow returns at once, with no items, when none is ready (or, ordered, when they do
	// not fit the ordering window).
	ClaimNow
)

// Claim takes up to limit items of the stage's input, with the sequence number (input order)
// of the first; ok is false once the input has ended and is drained. With ClaimWait and a
// timeout > 0, it returns no items and ok when none came within the timeout. The returned
// slice is the lane's, valid until the next Claim.
func (l *Lane[In, Out]) Claim(limit int, mode ClaimMode, timeout time.Duration) (items []In, seq uint64, ok bool) {
	var ow roomWaiter
	if l.h.ord != nil {
		ow = l.h.ord
	}
	if n := min(limit, maxChunk); cap(l.buf) < n {
		l.buf = make([]In, 0, n)
	}
	clear(l.buf[:cap(l.buf)])
	items, seq, ok = l.h.in.claimUpTo(l.rn, &l.w.ws, l.buf, limit, ow, mode == ClaimWait, timeout)
	l.buf = items[:0]
	return items, seq, ok
}

// Release sends a successful item's emits downstream: vs with their targets (to[i] is the
// index of a To target, -1 for Emit; to nil means all Emit). Ordered stages release them once
// every earlier item is settled.
func (l *Lane[In, Out]) Release(seq uint64, vs []Out, to []int32) {
	w := &l.w
	w.ws.in++
	if ord := l.h.ord; ord != nil {
		for i, v := range vs {
			t := -1
			if to != nil {
				t = int(to[i])
			}
			w.pend = append(w.pend, pendingEmit[Out]{t, v})
		}
		ord.commit(w, seq)
		return
	}
	for i, v := range vs {
		t := -1
		if to != nil {
			t = int(to[i])
		}
		w.ws.out++
		w.route(t, v)
	}
}

// Fail settles an item that failed for good: to the dead-letter stage, or recorded as a
// failure (on_error hooks, fail_fast).
func (l *Lane[In, Out]) Fail(seq uint64, item In, err error, attempts int) {
	l.w.ws.in++
	if ord := l.h.ord; ord != nil {
		l.w.discard()
		ord.commit(&l.w, seq)
	}
	st := l.h.st
	if l.dead != nil {
		l.dead.put(Failed[In]{Item: item, Err: err, Stage: st.base.spec.Name, Attempts: attempts})
		st.stats.deadLettered.Add(1)
		return
	}
	st.itemFailed(item, err, attempts)
}

// Drop settles an item that was not processed because the run stopped.
func (l *Lane[In, Out]) Drop(seq uint64) {
	l.w.ws.dropped++
	if ord := l.h.ord; ord != nil {
		l.w.discard()
		ord.commit(&l.w, seq)
	}
}

// Retried counts retries of the stage's items.
func (l *Lane[In, Out]) Retried(n int) {
	if n > 0 {
		l.h.st.stats.retried.Add(int64(n))
	}
}

// Latency records a sampled item duration.
func (l *Lane[In, Out]) Latency(d time.Duration) {
	l.w.ws.markFirst()
	st := &l.h.st.stats
	st.hist.record(d)
	st.latSum.Add(int64(d))
	st.latN.Add(1)
}

// Started notes that the stage's first item is being processed (for throughput).
func (l *Lane[In, Out]) Started() { l.w.ws.markFirst() }

// Idle flushes what the lane holds for downstream stages and publishes its counters: call
// it before the goroutine waits.
func (l *Lane[In, Out]) Idle() { l.rn.idle() }

// Poll flushes the buffers whose receivers are idle and publishes the counters.
func (l *Lane[In, Out]) Poll() {
	l.w.ws.publish()
	l.rn.poll()
}

// planProcesses prepares what the run's process stages share: the budget of short-lived
// workers under max_processes (the persistent workers of Processes stages hold theirs for the
// whole stage and were checked to fit by validate), the fold locks, and the output of the
// workers.
func (r *run) planProcesses() {
	g := r.g
	pools, anyProc := 0, false
	r.foldMu = map[*StateSpec]*sync.Mutex{}
	for _, n := range g.stages {
		b := n.base()
		if b.spec.Kind == KindAccumulator || b.spec.Kind == KindProducer || b.spec.Strategy.Kind.InProcess() {
			continue
		}
		anyProc = true
		if b.spec.Strategy.Kind != ProcessPerBatch {
			pools += b.spec.Strategy.N
		}
		if st := b.spec.State; st != nil && r.foldMu[st] == nil {
			r.foldMu[st] = new(sync.Mutex)
			r.states = append(r.states, st)
		}
	}
	if !anyProc {
		return
	}
	if limit := g.cfg.MaxProcesses; limit > 0 {
		r.procSlots = make(chan struct{}, max(limit-pools, 1))
	}
	out, errw := g.cfg.Stdout, g.cfg.Stderr
	if out == nil {
		out = os.Stdout
	}
	if errw == nil {
		errw = os.Stderr
	}
	r.workerOut = &lockedWriter{w: out}
	r.workerErr = &lockedWriter{w: errw}
	if out == errw {
		r.workerErr = r.workerOut
	}
}

// applyStates merges the state folded from worker processes into the pipeline's fields: once
// per StateSpec, after every stage ended, before the after_run hooks.
func (r *run) applyStates() {
	for _, st := range r.states {
		if st.Apply == nil {
			continue
		}
		if err := callHook(func() error { st.Apply(); return nil }); err != nil {
			r.setFatal(fmt.Errorf("pipeline %q: merging worker state: %w", r.g.cfg.Pipeline, err))
		}
	}
}

// lockedWriter serialises the lines of all worker processes of a run on one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// shutdownKey is the context key of WithShutdownTimeout.
type shutdownKey struct{}

// WithShutdownTimeout returns a context that gives runs started with it a worker-process
// shutdown deadline of d, for graphs whose GraphConfig.ShutdownTimeout is 0 (built binaries
// pass -shutdown-timeout this way).
func WithShutdownTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, shutdownKey{}, d)
}

// defaultShutdownTimeout is the worker-process shutdown deadline when nothing sets one.
const defaultShutdownTimeout = 10 * time.Second

// shutdownTimeout returns the run's worker-process shutdown deadline.
func (r *run) shutdownTimeout() time.Duration {
	if d := r.g.cfg.ShutdownTimeout; d > 0 {
		return d
	}
	if d, ok := r.userCtx.Value(shutdownKey{}).(time.Duration); ok && d > 0 {
		return d
	}
	return defaultShutdownTimeout
}

// StateSpec is how `state` fields with merge(...) rules cross back from worker processes
// (package remote makes them from the fields generated code declares). A delta from an
// attempt that failed, or whose worker died before reporting it, is never folded.
type StateSpec struct {
	// Start runs in the parent before each worker process starts: the start values (max, min
	// and union fields).
	Start func() ([]byte, error)
	// Init runs in the worker at its start, before the after_fork hooks.
	Init func(start []byte) error
	// Undo runs in the worker after a failed attempt: back to the state of the last Take.
	Undo func()
	// Take runs in the worker after the after_fork hooks and after each successful item:
	// encode what changed since the last Take (nil: nothing).
	Take func() ([]byte, error)
	// Fold runs in the parent: fold one delta into the pending merge. Never called
	// concurrently for one StateSpec.
	Fold func(delta []byte) error
	// Apply runs in the parent once per StateSpec, after every stage ended and before the
	// after_run hooks: merge the pending deltas into the fields.
	Apply func()
}

// BeforeFork registers f to run in the parent before each worker process of any process stage
// of the graph starts (before the stage's own BeforeFork hooks). Its error fails the run.
func (g *Graph) BeforeFork(f func(ctx context.Context) error) {
	g.beforeFork = append(g.beforeFork, f)
}

// AfterFork registers f to run in each worker process of any process stage of the graph, at
// its start, before its first item (before the stage's own AfterFork hooks). Its error fails
// the run.
func (g *Graph) AfterFork(f func(ctx context.Context) error) {
	g.afterFork = append(g.afterFork, f)
}

// BeforeFork registers f to run in the parent before each worker process of this stage starts.
func (n *Node[In, Out]) BeforeFork(f func(ctx context.Context) error) {
	n.beforeFork = append(n.beforeFork, f)
}

// AfterFork registers f to run in each worker process of this stage, at its start.
func (n *Node[In, Out]) AfterFork(f func(ctx context.Context) error) {
	n.afterFork = append(n.afterFork, f)
}

// validateProcessBudget checks GraphConfig.MaxProcesses against the process stages: the
// persistent workers of pool stages hold their processes for the whole stage, so they must
// fit, with at least one process left for the ProcessPerBatch stages.
func (g *Graph) validateProcessBudget() error {
	limit := g.cfg.MaxProcesses
	if limit <= 0 {
		return nil
	}
	pools, perBatch := 0, false
	var names []string
	for _, n := range g.stages {
		b := n.base()
		if b.spec.Kind == KindAccumulator || b.spec.Kind == KindProducer || b.spec.Strategy.Kind.InProcess() {
			continue
		}
		if b.spec.Strategy.Kind == ProcessPerBatch {
			perBatch = true
			continue
		}
		pools += b.spec.Strategy.N
		names = append(names, fmt.Sprintf("%q %s", b.spec.Name, b.spec.Strategy))
	}
	need := pools
	if perBatch {
		need++
	}
	if need > limit {
		what := ""
		for i, n := range names {
			if i > 0 {
				what += ", "
			}
			what += n
		}
		if perBatch {
			if what != "" {
				what += " and "
			}
			what += "one process for the process_per_batch stages"
		}
		if prm := g.cfg.MaxProcessesParam; prm != "" {
			return fmt.Errorf("%smax_processes %s: parameter %s is %d, less than the %d worker processes the stages of %q need at once (%s)", posPrefix(g.cfg.MaxProcessesAt), prm, prm, limit, need, g.cfg.Pipeline, what)
		}
		return fmt.Errorf("%spipeline %q: max_processes %d is less than the %d worker processes its stages need at once (%s)", posPrefix(g.cfg.MaxProcessesAt), g.cfg.Pipeline, limit, need, what)
	}
	return nil
}
