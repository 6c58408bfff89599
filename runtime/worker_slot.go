package mgrt

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// This file is the parent side of a process stage that both drivers share: a slot runs one
// worker process after another, reads what it sends, and settles each item exactly as an
// in-process stage does (stats, retries, failures, dead letters, routing through a Worker).

// procStage is the parent side of one process stage.
type procStage[In, Out any] struct {
	*procShared
	n         *Node[In, Out]
	st        *stageRun
	in        *sharedIn[In]
	ord       *reorder[Out]
	workers   int
	window    atomic.Int64 // items in flight per worker process
	maxWindow int
	avgNs     atomic.Int64 // item cost, from the workers' samples
}

// In-flight items per worker process. A worker gets enough to stay busy for windowTarget,
// so that cheap items travel in large frames, and slow ones one at a time: items go to a
// worker that has room, so a slow item never waits behind another while a worker idles.
const (
	minWindow    = 1
	maxWindow    = 4096
	windowTarget = 2 * time.Millisecond
	maxFrame     = 1024 // items per frame to a worker
)

func newProcStage[In, Out any](r *run, n *Node[In, Out]) *procStage[In, Out] {
	workers := max(n.spec.Strategy.N, 1)
	ps := &procStage[In, Out]{procShared: newProcShared(r, &n.stageBase), n: n, st: n.rt, workers: workers, maxWindow: maxWindow}
	ps.in = &sharedIn[In]{q: n.q, workers: workers}
	if n.spec.Ordered {
		per := 256
		if n.spec.Strategy.Kind == ProcessPerBatch {
			per = 1
		}
		ps.ord = newReorderWindow(n, 2*n.q.chunkMax+workers*per+8)
		ps.maxWindow = per
	}
	ps.window.Store(minWindow)
	return ps
}

// adaptWindow sizes the workers' in-flight windows from sampled item durations.
func (ps *procStage[In, Out]) adaptWindow(lat []int64) {
	if len(lat) == 0 {
		return
	}
	avg := ps.avgNs.Load()
	for _, d := range lat {
		if avg == 0 {
			avg = max(d, 1)
		} else {
			avg += (d - avg) / 8
		}
	}
	avg = max(avg, 1)
	ps.avgNs.Store(avg)
	w := int64(windowTarget) / avg
	ps.window.Store(min(max(w, minWindow), int64(ps.maxWindow)))
}

// flight is an item sent to a worker process and not settled yet.
type flight[In any] struct {
	v       In
	attempt int32  // the attempt it was sent as
	seq     uint64 // position in the input, for ordered stages
	dir     string // process_per_batch(ipc: tempfile): its work directory
}

// procSlot runs worker processes one after another for a stage, on one goroutine that reads
// their results and owns the Worker that routes them. For Processes a feeder goroutine per
// worker process sends it items.
type procSlot[In, Out any] struct {
	ps   *procStage[In, Out]
	rn   *runner
	w    Worker[Out] // routes released emits to the stage's downstreams
	dead sink[Failed[In]]
	held held[Out] // emits of the oldest item in flight, sent ahead of its outcome

	// feeder side (Processes): its own runner, stats, dead-letter buffer and (ordered) Worker
	frn     *runner
	fws     workerStats
	fdead   sink[Failed[In]]
	fw      Worker[Out]
	sendBuf []In

	mu       sync.Mutex
	room     sync.Cond
	flights  []flight[In] // sent to the current worker, oldest first
	unsent   []flight[In] // taken for a worker that was gone before they could be sent
	isolate  []flight[In] // for the next worker, one at a time (ended)
	retry    []flight[In] // for the next worker
	procDead bool
	keepDir  bool // the last item failed for good: keep its work directory
}

func (ps *procStage[In, Out]) newSlot(r *run) *procSlot[In, Out] {
	n, st := ps.n, ps.st
	sl := &procSlot[In, Out]{ps: ps}
	sl.room.L = &sl.mu
	sl.held.dir = r.g.cfg.WorkDir
	sl.rn = r.newRunner()
	sl.w.ws.st = &st.stats
	sl.rn.addStats(&sl.w.ws)
	var sinks []sink[Out]
	if ps.ord == nil {
		for _, t := range n.targets {
			sinks = append(sinks, t.sinkFor(st, sl.rn, &sl.w.ws, bufPrivate))
		}
	} else {
		ps.ord.attach(sl.rn)
	}
	sl.w.init(&n.stageBase, sinks, true, nil)
	if ps.workers > 1 && n.routing == RoutingRoundRobin {
		sl.w.sharedRR = &st.rr
	}
	if n.dead != nil {
		sl.dead = n.dead.sinkFor(st, sl.rn, &sl.w.ws, bufPrivate)
	}
	if n.spec.Strategy.Kind == Processes {
		sl.frn = r.newRunner()
		sl.fws.st = &st.stats
		sl.frn.addStats(&sl.fws)
		if n.dead != nil {
			sl.fdead = n.dead.sinkFor(st, sl.frn, &sl.fws, bufPrivate)
		}
		if ps.ord != nil {
			ps.ord.attach(sl.frn)
		}
	}
	return sl
}

// readLoop reads a worker's frames from d until the stream ends and returns why it ended.
func (sl *procSlot[In, Out]) readLoop(p *proc, d *frameReader) error {
	if d == p.dec {
		defer p.eof.Store(true)
	}
	for {
		if !d.buffered() {
			sl.rn.idle() // about to wait: flush what is buffered for downstream
		}
		hdr, err := d.next()
		if err != nil {
			return err
		}
		var h wireOut
		if err := h.unmarshal(hdr); err != nil {
			return err
		}
		switch h.Kind {
		case outAlive:
			p.alive.Stop()
		case outReady:
			p.alive.Stop()
			if h.Err != "" {
				b := sl.ps.b
				p.readyErr = &StageError{Stage: b.spec.Name, Pos: b.spec.Pos, Hook: h.Hook, Err: &RemoteError{Msg: h.Err, PID: p.pid}}
				return p.readyErr
			}
			p.ready = true
			if h.Delta != nil {
				sl.ps.fold(h.Delta)
			}
		case outResults:
			var emits []Out
			var size int64
			if h.NEmit > 0 {
				size = int64(d.payload())
				if err := d.decode(&emits); err != nil {
					return err
				}
				if len(emits) != h.NEmit {
					return fmt.Errorf("%d emitted values for %d", len(emits), h.NEmit)
				}
			}
			if err := sl.apply(p, &h, emits, size); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected frame kind %d", h.Kind)
		}
	}
}

// apply settles the items a results message finished and holds the emits it sent ahead.
func (sl *procSlot[In, Out]) apply(p *proc, h *wireOut, emits []Out, size int64) error {
	ps := sl.ps
	if h.Reset {
		sl.held.discard()
	}
	// Check everything first: an item taken from flights is settled, whatever comes next.
	if h.To != nil && len(h.To) != len(emits) || h.Counts != nil && len(h.Counts) != h.Done ||
		h.Status != nil && len(h.Status) != h.Done || h.Attempts != nil && len(h.Attempts) != h.Done {
		return errMalformed
	}
	total := 0
	for _, k := range h.Counts {
		if k < 0 {
			return errMalformed
		}
		total += int(k)
	}
	if total > len(emits) {
		return errMalformed
	}
	sl.mu.Lock()
	n := len(sl.flights)
	sl.mu.Unlock()
	if h.Done > n {
		return errors.New("results for more items than were sent")
	}
	at, errAt, deltaAt := 0, 0, 0
	for i := range h.Done {
		sl.mu.Lock()
		f := sl.flights[0]
		sl.flights[0] = flight[In]{}
		sl.flights = sl.flights[1:]
		sl.mu.Unlock()
		k := 0
		if h.Counts != nil {
			k = int(h.Counts[i])
		}
		status := uint8(statusOK)
		if h.Status != nil {
			status = h.Status[i]
		}
		attempt := f.attempt
		if h.Attempts != nil {
			attempt = h.Attempts[i]
		}
		if attempt > f.attempt {
			ps.st.stats.retried.Add(int64(attempt - f.attempt))
		}
		switch status {
		case statusOK:
			if deltaAt < len(h.Deltas) {
				ps.fold(h.Deltas[deltaAt])
				deltaAt++
			}
			sl.w.ws.in++
			sl.release(f, emits[at:at+k], sliceTo(h.To, at, at+k))
		case statusFailed:
			sl.held.discard()
			e := wireErr{Msg: "failed"}
			if errAt < len(h.Errs) {
				e = h.Errs[errAt]
				errAt++
			}
			sl.fail(f, &RemoteError{Msg: e.Msg, Panic: e.Panic, Stack: e.Stack, PID: p.pid}, attempt, sl.dead, &sl.w, &sl.w.ws)
		default:
			sl.held.discard()
			sl.drop(f, &sl.w, &sl.w.ws)
		}
		at += k
	}
	if at < len(emits) {
		sl.held.add(emits[at:], sliceTo(h.To, at, len(emits)), size*int64(len(emits)-at)/int64(len(emits)))
	}
	for _, d := range h.Lat {
		ps.st.stats.hist.record(time.Duration(d))
	}
	ps.adaptWindow(h.Lat)
	if h.Done > 0 {
		sl.room.Broadcast()
	}
	sl.w.ws.publish()
	sl.rn.poll()
	return nil
}

// release sends a successful item's emits downstream: those held, then these.
func (sl *procSlot[In, Out]) release(f flight[In], emits []Out, to []int32) {
	w := &sl.w
	if ord := sl.ps.ord; ord != nil {
		sl.held.release(func(t int, v Out) { w.pend = append(w.pend, pendingEmit[Out]{t, v}) })
		for i, v := range emits {
			t := -1
			if to != nil {
				t = int(to[i])
			}
			w.pend = append(w.pend, pendingEmit[Out]{t, v})
		}
		ord.commit(w, f.seq)
		return
	}
	if !sl.held.empty() {
		sl.held.release(func(t int, v Out) {
			w.ws.out++
			w.route(t, v)
		})
	}
	if to == nil {
		for _, v := range emits {
			w.ws.out++
			w.route(-1, v)
		}
		return
	}
	for i, v := range emits {
		w.ws.out++
		w.route(int(to[i]), v)
	}
}

// fail settles an item that failed for good: to the dead-letter stage, or recorded. w, ws and
// dead are those of the calling goroutine.
func (sl *procSlot[In, Out]) fail(f flight[In], err error, attempts int32, dead sink[Failed[In]], w *Worker[Out], ws *workerStats) {
	ps := sl.ps
	if f.dir != "" {
		sl.keepDir = true
		var re *RemoteError
		if errors.As(err, &re) {
			re.WorkDir = f.dir
		} else {
			err = fmt.Errorf("%w (work dir kept: %s)", err, f.dir)
		}
	}
	if ps.ord != nil {
		w.discard()
		ps.ord.commit(w, f.seq)
	}
	ws.in++
	if dead != nil {
		dead.put(Failed[In]{Item: f.v, Err: err, Stage: ps.b.spec.Name, Attempts: int(attempts)})
		ps.st.stats.deadLettered.Add(1)
		return
	}
	ps.st.itemFailed(f.v, err, int(attempts))
}

// drop settles an item that was not processed because the run was canceled.
func (sl *procSlot[In, Out]) drop(f flight[In], w *Worker[Out], ws *workerStats) {
	ws.dropped++
	if ord := sl.ps.ord; ord != nil {
		w.discard()
		ord.commit(w, f.seq)
	}
}

// ended settles the items a worker process left unsettled when it ended. Those it had not
// received go to sl.retry; those it had may go to sl.isolate. A worker runs its items one at a
// time but reports them in batches, so when it dies with several unreported items, the one
// that killed it is unknown: they are sent again one at a time (sl.isolate), without counting
// an attempt. When it dies with one unreported item, that item was the one it ran: that is an
// attempt, and the item is retried (alone) or fails.
func (sl *procSlot[In, Out]) ended(p *proc, readErr, waitErr error) {
	sl.mu.Lock()
	sent, unsent, iso, retry := sl.flights, sl.unsent, sl.isolate, sl.retry
	sl.flights, sl.unsent, sl.isolate, sl.retry = nil, nil, nil, nil
	sl.procDead = true
	sl.mu.Unlock()
	sl.held.discard()
	canceled := sl.ps.r.canceled.Load()
	clean := waitErr == nil && p.asked.Load() && !p.killed.Load() && (readErr == nil || errors.Is(readErr, io.EOF))
	var newIso, newRetry []flight[In]
	switch {
	case !p.ready:
		// It never served (an error the caller reports), or it was stopped while starting.
		canceled = true
	case clean:
		// It stopped when told to: whatever it did not report, it never received.
		newRetry = append(newRetry, sent...)
	case len(sent) == 1 || len(sent) > 0 && (canceled || p.killed.Load()):
		head := sent[0]
		if canceled || p.killed.Load() || int(head.attempt) > sl.ps.n.spec.Retry {
			sl.fail(head, p.deathError(readErr, waitErr), head.attempt, sl.dead, &sl.w, &sl.w.ws)
		} else {
			sl.ps.st.stats.retried.Add(1)
			head.attempt++
			newIso = append(newIso, head)
		}
		newRetry = append(newRetry, sent[1:]...)
	default:
		newIso = append(newIso, sent...)
	}
	newIso = append(newIso, iso...)
	newRetry = append(append(newRetry, retry...), unsent...)
	if canceled {
		for _, f := range newIso {
			sl.drop(f, &sl.w, &sl.w.ws)
		}
		for _, f := range newRetry {
			sl.drop(f, &sl.w, &sl.w.ws)
		}
		return
	}
	sl.mu.Lock()
	sl.isolate, sl.retry = newIso, newRetry
	sl.mu.Unlock()
}

// pending reports whether items wait for the next worker process.
func (sl *procSlot[In, Out]) pending() bool {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	return len(sl.isolate) > 0 || len(sl.retry) > 0
}

// startError is the error of a worker that ended before it served, or nil if it served or was
// stopped while starting.
func (sl *procSlot[In, Out]) startError(p *proc, readErr, waitErr error) error {
	if p.ready {
		return nil
	}
	if p.readyErr != nil {
		return p.readyErr
	}
	if p.asked.Load() && !p.silent.Load() {
		return nil
	}
	how := "it exited"
	if waitErr != nil {
		how = waitErr.Error()
	} else if readErr != nil && !errors.Is(readErr, io.EOF) {
		how = "it sent what the parent could not read: " + readErr.Error()
	}
	e := &RemoteError{PID: p.pid, Stack: p.errw.tail.String(),
		Msg: fmt.Sprintf("worker process %d ended before it served the stage: %s", p.pid, how)}
	if p.silent.Load() {
		e.Msg = p.deathError(readErr, waitErr).Msg
	}
	b := sl.ps.b
	return &StageError{Stage: b.spec.Name, Pos: b.spec.Pos, Err: e}
}

// send sends items to worker p; they are in flight from now on. It returns false when p is
// gone (the items are settled when it has ended). An item that cannot be encoded fails.
func (sl *procSlot[In, Out]) send(p *proc, fl []flight[In], dead sink[Failed[In]], w *Worker[Out], ws *workerStats) bool {
	if !sl.track(fl) {
		return false
	}
	err := sl.write(p, fl)
	var ee encodeError
	if !errors.As(err, &ee) {
		return err == nil
	}
	// Some item cannot be encoded: take them back and send them one by one.
	sl.mu.Lock()
	sl.flights = sl.flights[:len(sl.flights)-len(fl)]
	sl.mu.Unlock()
	for i := range fl {
		if !sl.track(fl[i : i+1]) {
			sl.mu.Lock()
			sl.unsent = append(sl.unsent, fl[i+1:]...)
			sl.mu.Unlock()
			return false
		}
		err := sl.write(p, fl[i:i+1])
		if errors.As(err, &ee) {
			sl.mu.Lock()
			sl.flights = sl.flights[:len(sl.flights)-1]
			sl.mu.Unlock()
			sl.fail(fl[i], fmt.Errorf("cannot send the item to a worker process: %w", ee.err), 0, dead, w, ws)
			continue
		}
		if err != nil {
			return false
		}
	}
	return true
}

// track adds items to those in flight, or to those unsent if the worker is gone.
func (sl *procSlot[In, Out]) track(fl []flight[In]) bool {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.procDead {
		sl.unsent = append(sl.unsent, fl...)
		return false
	}
	sl.flights = append(sl.flights, fl...)
	return true
}

// write encodes one frame of items to worker p.
func (sl *procSlot[In, Out]) write(p *proc, fl []flight[In]) error {
	items := sl.sendBuf[:0]
	var att []int32
	for i, f := range fl {
		items = append(items, f.v)
		if f.attempt != 1 && att == nil {
			att = make([]int32, len(fl))
			for j := range i {
				att[j] = fl[j].attempt
			}
		}
		if att != nil {
			att[i] = f.attempt
		}
	}
	err := p.enc.send(&wireIn{Kind: inItems, N: len(fl), Attempts: att}, items)
	clear(items)
	sl.sendBuf = items[:0]
	return err
}

// retryWait sleeps (Backoff, doubled for each further attempt) before attempt a of an item
// whose worker died.
func (sl *procSlot[In, Out]) retryWait(a int32) {
	if a <= 1 {
		return
	}
	d := sl.ps.n.spec.Backoff
	for i := int32(2); i < a && d < time.Hour; i++ {
		d *= 2
	}
	if d > 0 {
		sleepCtx(sl.ps.r.ctx, d)
	}
}

// roomWaiter is the reorder buffer of an ordered process stage, seen by its input side.
type roomWaiter interface {
	windowWaiter
	tryRoom(seq uint64, n int) bool
}

// claimUpTo takes up to limit items of the current chunk (for worker processes, which take
// what a frame can hold rather than a share). With wait false it returns at once, with no
// items and ok, when none are ready or, ordered, when they do not fit the window; with a
// timeout, it returns so when none came within it.
func (s *sharedIn[T]) claimUpTo(r *runner, ws *workerStats, dst []T, limit int, ord roomWaiter, wait bool, timeout time.Duration) (items []T, seq uint64, ok bool) {
	if !s.mu.TryLock() {
		if !wait {
			return dst[:0], 0, true
		}
		r.idle()
		s.mu.Lock()
	}
	for s.pos >= len(s.cur) {
		if s.cur != nil {
			s.q.recycle(s.cur)
			s.cur, s.pos = nil, 0
		}
		if s.done {
			s.mu.Unlock()
			return dst[:0], 0, false
		}
		var c []T
		var got bool
		if wait {
			var timer <-chan time.Time
			if timeout > 0 {
				t := time.NewTimer(timeout)
				timer = t.C
				defer t.Stop()
			}
			var fired bool
			c, got, fired = s.q.recv(r, ws, timer)
			if fired {
				s.mu.Unlock()
				return dst[:0], 0, true
			}
		} else {
			var ready bool
			c, got, ready = s.q.tryRecv()
			if !ready {
				s.mu.Unlock()
				return dst[:0], 0, true
			}
		}
		if !got {
			s.done = true
			continue
		}
		s.cur, s.pos = c, 0
	}
	g := min(limit, len(s.cur)-s.pos)
	seq = s.seq
	if ord != nil {
		if !wait && !ord.tryRoom(seq, g) {
			s.mu.Unlock()
			return dst[:0], 0, true
		}
		ord.waitRoom(r, seq, g)
	}
	dst = append(dst[:0], s.cur[s.pos:s.pos+g]...)
	s.pos += g
	s.seq += uint64(g)
	s.mu.Unlock()
	return dst, seq, true
}

// tryRecv is recv without waiting: ready is false when no chunk is there.
func (q *queue[T]) tryRecv() (items []T, ok, ready bool) {
	if items, ok := q.nextPending(); ok {
		return items, true, true
	}
	select {
	case c, ok := <-q.out:
		if !ok {
			items, ok, _ := q.drainPending()
			return items, ok, true
		}
		return q.accept(c), true, true
	default:
		return nil, false, false
	}
}
