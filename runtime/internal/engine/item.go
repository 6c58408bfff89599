package engine

import (
	"context"
	"sync/atomic"
	"time"
)

// itemRunner runs a stage body on one item (for an accumulator, one batch): attempts with
// panic recovery, per-attempt timeout, retries with backoff, held emits, sampled latency.
type itemRunner[X, Out any] struct {
	_        cacheLinePad
	w        Emitter[Out]
	st       *stageRun
	r        *runner
	ctx      context.Context
	canceled *atomic.Bool
	fn       func(context.Context, X) error
	retry    int
	backoff  time.Duration
	timeout  time.Duration
	simple   bool // one attempt, no timeout: call the body and nothing else
	keep     bool // leave a successful attempt's emits held (ordered stages commit them)
	capped   bool // take a max_threads slot around each item
	started  bool
	fast     bool // started && simple && !capped: handle takes the short path
	onFail   func(x X, err error, attempts int)
	_        cacheLinePad
}

func (ir *itemRunner[X, Out]) init(st *stageRun, r *runner, keep bool) {
	spec := st.base.spec
	ir.st, ir.r, ir.ctx = st, r, st.run.ctx
	ir.canceled = &st.run.canceled
	ir.retry, ir.backoff, ir.timeout = spec.Retry, spec.Backoff, spec.Timeout
	ir.keep = keep
	ir.simple = spec.Retry == 0 && spec.Timeout == 0 && !keep
	ir.w.ws.st = &st.stats
	r.addStats(&ir.w.ws)
}

// begin runs the stage's Before hooks before its first item (once per stage).
func (ir *itemRunner[X, Out]) begin() {
	ir.st.begin()
	ir.started = true
	ir.fast = ir.simple && !ir.capped && ir.w.safe == nil
}

// call runs the body once, turning a panic into a *PanicError. (recover is only called when
// the body did not return: it costs a runtime call per item otherwise.)
func (ir *itemRunner[X, Out]) call(ctx context.Context, x X) (err error) {
	returned := false
	defer func() {
		if !returned {
			if p := recover(); p != nil {
				err = newPanicError(p)
			}
		}
	}()
	if ir.w.safe != nil {
		ir.w.BodyStart()
		defer ir.w.BodyEnd()
	}
	err = ir.fn(ctx, x)
	returned = true
	return err
}

// timedProcess processes x, timing it when it is sampled. The time spent in the stages of its
// chain (called from its emits) is not counted, nor the time its emits waited for room
// downstream (counted as blocked): the latency is the stage's own work.
func (ir *itemRunner[X, Out]) timedProcess(x X) {
	ws := &ir.w.ws
	n := ws.seen
	ws.seen++
	if n&ws.mask != 0 {
		ir.process(x)
		return
	}
	r := ir.r
	saved := r.nested
	r.nested = 0
	r.timing++
	blocked := ws.blockedOut
	t0 := time.Now()
	ir.process(x)
	d := time.Since(t0) - r.nested
	if b := ws.blockedOut - blocked; b > 0 {
		d -= time.Duration(b)
	}
	r.timing--
	r.nested = saved
	ws.sample(t0, max(d, 0))
}

// process runs the attempts of x and handles its failure.
func (ir *itemRunner[X, Out]) process(x X) {
	if ir.capped {
		ir.r.acquireSlot()
		defer ir.r.releaseSlot()
	}
	if ir.simple {
		if err := ir.call(ir.ctx, x); err != nil {
			ir.onFail(x, err, 1)
		}
		return
	}
	w := &ir.w
	for attempt := 1; ; attempt++ {
		ctx, cancel := ir.ctx, context.CancelFunc(nil)
		if ir.timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, ir.timeout)
		}
		err := ir.call(ctx, x)
		if cancel != nil {
			cancel()
		}
		if err == nil {
			if !ir.keep {
				w.release()
			}
			return
		}
		w.discard()
		if attempt > ir.retry || ir.st.run.canceled.Load() || !ir.wait(attempt) {
			ir.onFail(x, err, attempt)
			return
		}
		ir.st.stats.retried.Add(1)
	}
}

// wait sleeps before retry number attempt (Backoff * 2^(attempt-1)); false if the run was
// canceled meanwhile.
func (ir *itemRunner[X, Out]) wait(attempt int) bool {
	d := ir.backoff
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	if d <= 0 {
		return true
	}
	if ir.capped {
		ir.r.releaseSlot()
		defer ir.r.acquireSlot()
	}
	return sleepCtx(ir.ctx, d)
}

// stageWorker is one goroutine's share of a processor, consumer or custom stage.
type stageWorker[In, Out any] struct {
	itemRunner[In, Out]
	dead sink[Failed[In]]
}

// newStageWorker makes the worker of stage n for goroutine r, wires its downstreams and calls
// the stage's bind function.
func (n *Node[In, Out]) newStageWorker(r *runner) *stageWorker[In, Out] {
	st := n.rt
	pw := &stageWorker[In, Out]{}
	ordered := n.ord != nil
	pw.init(st, r, ordered)
	pw.w.rn = r
	pw.capped = r.run.slots != nil && n.spec.Strategy.Kind == Threads
	pw.onFail = pw.fail
	var sinks []sink[Out]
	if !ordered {
		for _, t := range n.targets {
			sinks = append(sinks, t.sinkFor(st, r, &pw.w.ws, bufPrivate))
		}
	}
	pw.w.init(&n.stageBase, sinks, n.spec.Retry > 0 || ordered, nil)
	if n.spec.Strategy.goroutines() > 1 && n.routing == RoutingRoundRobin {
		pw.w.sharedRR = &st.rr
	}
	if n.dead != nil {
		pw.dead = n.dead.sinkFor(st, r, &pw.w.ws, bufPrivate)
	}
	pw.fn = n.each(&pw.w)
	return pw
}

// processItems processes a run of items received by the stage. One deferred recover covers
// the whole run, rather than one per item: a panic fails the item being processed and the run
// resumes after it.
func (pw *stageWorker[In, Out]) processItems(items []In) {
	for i := 0; i < len(items); {
		i = pw.processFrom(items, i)
	}
}

func (pw *stageWorker[In, Out]) processFrom(items []In, i int) (next int) {
	done := false
	defer func() {
		if done {
			return
		}
		if p := recover(); p != nil {
			pw.onFail(items[i], newPanicError(p), 1)
			next = i + 1
		}
	}()
	ws := &pw.w.ws
	for ; i < len(items); i++ {
		v := items[i]
		// Cheap items take the short path; every sampled item (at least one in 256, and every
		// one once items take 20µs) takes the slow path, which also checks for cancellation.
		if pw.fast && ws.seen&ws.mask != 0 {
			ws.seen++
			ws.in++
			if err := pw.fn(pw.ctx, v); err != nil {
				pw.onFail(v, err, 1)
			}
			continue
		}
		pw.handleSlow(v)
		if ws.mask == 0 { // slow items: let the stages downstream have the output now
			pw.r.afterItems()
		}
	}
	done = true
	return len(items)
}

// handle processes one item received by the stage (ordered stages, which commit after each
// item). The common case (no retry, no timeout, no cap, not sampled) is kept short.
func (pw *stageWorker[In, Out]) handle(v In) {
	ws := &pw.w.ws
	if pw.fast && ws.seen&ws.mask != 0 && !pw.canceled.Load() {
		ws.seen++
		ws.in++
		if err := pw.call(pw.ctx, v); err != nil {
			pw.onFail(v, err, 1)
		}
		return
	}
	pw.handleSlow(v)
}

func (pw *stageWorker[In, Out]) handleSlow(v In) {
	ws := &pw.w.ws
	if pw.canceled.Load() {
		ws.dropped++
		return
	}
	if !pw.started {
		pw.begin()
	}
	ws.in++
	pw.timedProcess(v)
}

// fail sends an item that failed for good to the dead-letter stage, or records it.
func (pw *stageWorker[In, Out]) fail(v In, err error, attempts int) {
	if pw.dead != nil {
		pw.dead.put(Failed[In]{Item: v, Err: err, Stage: pw.st.base.spec.Name, Attempts: attempts})
		pw.st.stats.deadLettered.Add(1)
		return
	}
	pw.st.itemFailed(v, err, attempts)
}
