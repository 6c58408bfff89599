package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/engine"
)

// Stage runs the bodies of a processor, consumer or custom stage in workers, through a
// Transport, with the semantics of a stage run in process (DESIGN 3.3):
//   - each item crosses with an id and its attempt number; results name the items they settle;
//   - an item's emits are released downstream once it succeeded (those that came ahead of its
//     outcome are held, spilled to disk past a bound), and dropped when it failed;
//   - a body's error or panic is retried in the worker (retry, backoff); an item whose worker
//     died while running it has used an attempt and runs again, alone, in another worker until
//     its attempts are spent; the items that worker had not run, or ran without their results
//     coming back, run again without using one;
//   - failures go to the dead-letter stage or are recorded, as in process;
//   - the merge state delta of each successful item is folded once.
type Stage[In, Out any] struct {
	n *engine.Node[In, Out]
	t Transport
}

// New makes the runner of node n over transport t and sets it on the node.
func New[In, Out any](n *engine.Node[In, Out], t Transport) *Stage[In, Out] {
	s := &Stage[In, Out]{n: n, t: t}
	n.SetRunner(s)
	return s
}

// Validate reports why the stage cannot run here (engine.Runner).
func (s *Stage[In, Out]) Validate() error {
	if err := s.t.Check(s.n.Spec()); err != nil {
		return err
	}
	key := s.n.GraphConfig().Worker
	if key == "" {
		return errors.New("the graph names no registered pipeline (GraphConfig.Worker) for its workers to build")
	}
	if registered(key) == nil {
		return fmt.Errorf("pipeline %s is not registered (RegisterPipeline): workers could not build it", key)
	}
	if InUnservedWorker() {
		return fmt.Errorf("this process was started as a worker but was never served: the package that registers %s must call ServeWorker from an init function", keyOfUnservedWorker())
	}
	return nil
}

// Goroutines runs the stage for one run (engine.Runner): one goroutine feeds the transport
// and settles what must be sent again; the transport's own goroutines deliver results.
func (s *Stage[In, Out]) Goroutines(h *engine.Host[In, Out]) []func() {
	r := &stageRun[In, Out]{s: s, h: h, spec: h.Spec(), chunks: map[uint64]*chunkRec[In]{}}
	r.cond.L = &r.mu
	// Every lane is made now, before the run's goroutines start: the stages downstream
	// know each buffer that sends to them.
	r.feeder = h.NewLane()
	for range max(s.t.Slots(r.spec), 1) {
		r.handlers = append(r.handlers, &handler[In, Out]{r: r, lane: h.NewLane()})
	}
	return []func(){r.feed}
}

// feederPoll is how long the feeder waits for input before it looks for items to send again.
const feederPoll = 20 * time.Millisecond

// maxChunkItems bounds a chunk: item ids hold the chunk's number and the item's index.
const (
	idIndexBits   = 16
	maxChunkItems = 1<<idIndexBits - 1
)

// stageRun is one run of a Stage.
type stageRun[In, Out any] struct {
	s      *Stage[In, Out]
	h      *engine.Host[In, Out]
	spec   engine.StageSpec
	feeder *engine.Lane[In, Out]

	handlers []*handler[In, Out] // one per transport slot

	mu        sync.Mutex
	cond      sync.Cond
	chunks    map[uint64]*chunkRec[In]
	nextChunk uint64
	inflight  int      // items submitted and not settled
	resend    []resent // items to submit again
	held      map[uint64]*held[Out]
	budget    *budget // the run's process budget, shared with its other stages
	scratch   []In    // the feeder's: items claimed for the next chunk
}

// chunkRec is a chunk of items the stage submitted, kept until each is settled.
type chunkRec[In any] struct {
	vals     []In
	seq      uint64 // input order of the first item
	attempts []int32
	left     int
}

// resent is an item to submit again, not before at.
type resent struct {
	id uint64
	at time.Time
}

// feed claims input, makes chunks and submits them; once the input has ended it waits until
// every item is settled, submitting again what comes back.
func (r *stageRun[In, Out]) feed() {
	h := r.h
	lane := r.feeder
	own := &handler[In, Out]{r: r, lane: lane}
	r.budget = openBudget(h.JobID())
	defer closeBudget(h.JobID(), r.budget)
	sess, err := r.s.t.Open(r)
	if err != nil {
		h.FailRun(h.StageError("", err))
		for {
			items, seq, ok := lane.Claim(maxChunkItems, engine.ClaimWait, 0)
			if !ok {
				break
			}
			for i := range items {
				lane.Drop(seq + uint64(i))
			}
		}
		h.Exit(lane)
		return
	}
	limit := min(max(sess.ChunkSize(), 1), maxChunkItems)
	inputDone := false
	for {
		if ids, wait := r.takeResend(); len(ids) > 0 {
			if h.Canceled() {
				r.dropIDs(lane, ids)
			} else {
				sess.Submit(r.chunkOf(ids), own)
			}
			continue
		} else if inputDone {
			if r.waitSettled(wait) {
				break
			}
			continue
		} else {
			timeout := time.Duration(0)
			if r.busy() {
				timeout = feederPoll
				if wait > 0 && wait < timeout {
					timeout = wait
				}
			}
			items, seq, ok := lane.Claim(limit, engine.ClaimWait, timeout)
			if !ok {
				inputDone = true
				continue
			}
			if len(items) == 0 {
				continue
			}
			var extra []In // claimed out of order, for a chunk of their own
			var extraSeq uint64
			if len(items) < limit {
				// Take what else is there already: a larger chunk makes fewer, larger frames.
				r.scratch = append(r.scratch[:0], items...)
				for len(r.scratch) < limit {
					more, next, ok := lane.Claim(limit-len(r.scratch), engine.ClaimNow, 0)
					if !ok {
						inputDone = true
						break
					}
					if len(more) == 0 {
						break
					}
					if next != seq+uint64(len(r.scratch)) {
						// Not next in input order (only the feeder claims, so it never is).
						extra, extraSeq = append([]In(nil), more...), next
						break
					}
					r.scratch = append(r.scratch, more...)
				}
				items = r.scratch
			}
			if h.Canceled() {
				for i := range items {
					lane.Drop(seq + uint64(i))
				}
				for i := range extra {
					lane.Drop(extraSeq + uint64(i))
				}
				continue
			}
			h.Begin()
			lane.Started()
			c := r.newChunk(items, seq)
			clear(r.scratch)
			sess.Submit(c, own)
			if extra != nil {
				sess.Submit(r.newChunk(extra, extraSeq), own)
			}
		}
	}
	sess.Close()
	for _, hd := range r.handlers {
		hd.lane.Idle()
	}
	r.discardAllHeld()
	h.Exit(lane)
}

// busy reports whether items are in flight (so some may come back to be sent again).
func (r *stageRun[In, Out]) busy() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inflight > 0
}

// waitSettled waits, once the input has ended, until every item is settled (true) or one is
// to be sent again (false); wait > 0 is when the next delayed one is due.
func (r *stageRun[In, Out]) waitSettled(wait time.Duration) bool {
	r.feeder.Idle()
	r.mu.Lock()
	defer r.mu.Unlock()
	if wait > 0 {
		// A retry waits for its backoff: wake up then.
		t := time.AfterFunc(wait, func() {
			r.mu.Lock()
			r.cond.Broadcast()
			r.mu.Unlock()
		})
		defer t.Stop()
		if r.inflight > 0 || len(r.resend) > 0 {
			r.cond.Wait()
		}
		return false
	}
	for r.inflight > 0 && len(r.resend) == 0 {
		r.cond.Wait()
	}
	return r.inflight == 0 && len(r.resend) == 0
}

// newChunk records claimed items (copied: the slice is the lane's) as a new chunk.
func (r *stageRun[In, Out]) newChunk(items []In, seq uint64) *Chunk {
	rec := &chunkRec[In]{vals: append([]In(nil), items...), seq: seq, left: len(items)}
	r.mu.Lock()
	r.nextChunk++
	c := r.nextChunk
	r.chunks[c] = rec
	r.inflight += len(items)
	r.mu.Unlock()
	ids := make([]uint64, len(items))
	for i := range ids {
		ids[i] = c<<idIndexBits | uint64(i)
	}
	return &Chunk{IDs: ids, Values: rec.vals, sub: func(i, j int) any { return rec.vals[i:j] }}
}

// chunkOf makes a chunk of items to send again.
func (r *stageRun[In, Out]) chunkOf(ids []uint64) *Chunk {
	vals := make([]In, len(ids))
	var att []int32
	r.mu.Lock()
	for i, id := range ids {
		rec, k := r.lookup(id)
		vals[i] = rec.vals[k]
		if a := rec.attempt(k); a != 1 {
			if att == nil {
				att = make([]int32, len(ids))
				for j := range i {
					att[j] = 1
				}
			}
		}
		if att != nil {
			att[i] = rec.attempt(k)
		}
	}
	r.mu.Unlock()
	return &Chunk{IDs: ids, Attempts: att, Values: vals, sub: func(i, j int) any { return vals[i:j] }}
}

func (c *chunkRec[In]) attempt(k int) int32 {
	if c.attempts == nil {
		return 1
	}
	return c.attempts[k]
}

// setAttempt sets the attempt item k is sent with next.
func (c *chunkRec[In]) setAttempt(k int, a int32) {
	if c.attempts == nil {
		c.attempts = make([]int32, len(c.vals))
		for i := range c.attempts {
			c.attempts[i] = 1
		}
	}
	c.attempts[k] = a
}

// lookup returns the chunk and index of an item id (under r.mu); nil if unknown or settled.
func (r *stageRun[In, Out]) lookup(id uint64) (*chunkRec[In], int) {
	rec := r.chunks[id>>idIndexBits]
	k := int(id & maxChunkItems)
	if rec == nil || k >= len(rec.vals) {
		return nil, 0
	}
	return rec, k
}

// settle marks an item settled (under r.mu).
func (r *stageRun[In, Out]) settle(rec *chunkRec[In], id uint64) {
	rec.left--
	r.inflight--
	if rec.left == 0 {
		delete(r.chunks, id>>idIndexBits)
	}
}

// takeResend returns the items due to be sent again, and how long until the next one not due.
func (r *stageRun[In, Out]) takeResend() ([]uint64, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.resend) == 0 {
		return nil, 0
	}
	now := time.Now()
	var due []uint64
	var wait time.Duration
	keep := r.resend[:0]
	for _, x := range r.resend {
		if !x.at.After(now) || r.h.Canceled() {
			due = append(due, x.id)
			continue
		}
		if d := x.at.Sub(now); wait == 0 || d < wait {
			wait = d
		}
		keep = append(keep, x)
	}
	r.resend = keep
	return due, wait
}

// sendAgain queues an item to be submitted again, after delay (under r.mu).
func (r *stageRun[In, Out]) sendAgain(id uint64, delay time.Duration) {
	r.resend = append(r.resend, resent{id: id, at: time.Now().Add(delay)})
	r.cond.Broadcast()
}

// dropIDs settles items as dropped (the run stopped).
func (r *stageRun[In, Out]) dropIDs(lane *engine.Lane[In, Out], ids []uint64) {
	for _, id := range ids {
		r.mu.Lock()
		rec, k := r.lookup(id)
		if rec == nil {
			r.mu.Unlock()
			continue
		}
		seq := rec.seq + uint64(k)
		r.settle(rec, id)
		r.cond.Broadcast()
		r.mu.Unlock()
		lane.Drop(seq)
	}
}

// backoff is the delay before attempt a of an item (Backoff, doubled for each further attempt).
func (r *stageRun[In, Out]) backoff(a int32) time.Duration {
	d := r.spec.Backoff
	for i := int32(2); i < a && d < time.Hour; i++ {
		d *= 2
	}
	return d
}

// Run, for the transport.

func (r *stageRun[In, Out]) Spec() engine.StageSpec { return r.spec }
func (r *stageRun[In, Out]) Pipeline() string       { return r.h.Pipeline() }
func (r *stageRun[In, Out]) JobID() string          { return r.h.JobID() }
func (r *stageRun[In, Out]) WorkerKey() string      { return r.h.Config().Worker }
func (r *stageRun[In, Out]) WorkDir() string        { return r.h.Config().WorkDir }
func (r *stageRun[In, Out]) Context() context.Context {
	return r.h.Context()
}
func (r *stageRun[In, Out]) Canceled() bool                 { return r.h.Canceled() }
func (r *stageRun[In, Out]) ShutdownTimeout() time.Duration { return r.h.ShutdownTimeout() }
func (r *stageRun[In, Out]) Output() (io.Writer, io.Writer) { return r.h.WorkerOutput() }
func (r *stageRun[In, Out]) Joined(delta []byte)            { r.h.Fold(delta) }
func (r *stageRun[In, Out]) ReleaseProcess()                { r.h.ReleaseProcess() }
func (r *stageRun[In, Out]) Workers(delta int)              { r.h.Workers(delta) }
func (r *stageRun[In, Out]) SetWorkers(n int)               { r.h.SetWorkers(n) }
func (r *stageRun[In, Out]) Fail(err error) {
	var se *engine.StageError
	var hf *HookFailure
	switch {
	case errors.As(err, &se):
		r.h.FailRun(err)
	case errors.As(err, &hf):
		r.h.FailRun(r.h.StageError(hf.Hook, hf.Err))
	default:
		r.h.FailRun(r.h.StageError("", err))
	}
}

func (r *stageRun[In, Out]) AcquireProcess(hd Handler) bool {
	if r.h.TryAcquireProcess() {
		return true
	}
	var lane *engine.Lane[In, Out]
	if x, ok := hd.(*handler[In, Out]); ok {
		lane = x.lane
	}
	if ip := r.budget.waitStart(); ip != nil {
		ip.reclaim()
	}
	defer r.budget.waitEnd()
	return r.h.AcquireProcess(lane)
}

func (r *stageRun[In, Out]) TryAcquireProcess() bool {
	return !r.budget.someoneWaits() && r.h.TryAcquireProcess()
}

func (r *stageRun[In, Out]) IdleProcess(reclaim func()) func() bool { return r.budget.hold(reclaim) }

// Hello runs the before_fork hooks, then encodes the parameters and the state's start values.
// A program that does not link encoding/gob while its items or emits need it fails here, not
// item by item.
func (r *stageRun[In, Out]) Hello() (*ToWorker, error) {
	hello := &ToWorker{Kind: KindHello, Timeout: int64(r.spec.Timeout)}
	for _, t := range []reflect.Type{reflect.TypeFor[[]In](), reflect.TypeFor[[]Out]()} {
		if t.Elem() == reflect.TypeFor[engine.Nothing]() {
			continue // a consumer's: it emits nothing
		}
		if err := NeedsGob(t); err != nil {
			return nil, err
		}
	}
	err := r.h.StartWorker(func() error {
		params, err := r.h.Params()
		if err != nil {
			return fmt.Errorf("encoding the parameters for a worker: %w", err)
		}
		if params != nil {
			hello.Params, hello.HasParams = params, true
		}
		if st := r.spec.State; st != nil && st.Start != nil {
			if hello.State, err = st.Start(); err != nil {
				return fmt.Errorf("encoding the state for a worker: %w", err)
			}
		}
		return nil
	})
	return hello, err
}

// Handler returns the handler of transport slot i, with a lane of its own.
func (r *stageRun[In, Out]) Handler(slot int) Handler { return r.handlers[slot] }

// handler settles the results of one transport slot.
type handler[In, Out any] struct {
	r    *stageRun[In, Out]
	lane *engine.Lane[In, Out]
	// buffers of the last frame, given back when it was applied (a transport may decode
	// several frames before it applies them: those get buffers of their own)
	emits   []Out
	settled []settledItem[In]
}

func (hd *handler[In, Out]) Idle() { hd.lane.Idle() }

// Results decodes a results frame and checks it against the items in flight.
func (hd *handler[In, Out]) Results(m *FromWorker, decode func(any) error) (func(), error) {
	emits, settled := hd.emits, hd.settled
	hd.emits, hd.settled = nil, nil
	if m.NEmit > 0 {
		// Fresh values, in the last frame's buffer if it was given back.
		clear(emits[:cap(emits)])
		emits = emits[:0]
		if err := decode(&emits); err != nil {
			return nil, err
		}
		if len(emits) != m.NEmit {
			return nil, fmt.Errorf("%d emitted values for %d", len(emits), m.NEmit)
		}
	}
	r := hd.r
	if cap(settled) < len(m.Outcomes) {
		settled = make([]settledItem[In], len(m.Outcomes))
	}
	settled = settled[:len(m.Outcomes)]
	r.mu.Lock()
	var last *chunkRec[In]
	lastC := uint64(0)
	for i := range m.Outcomes {
		id := m.Outcomes[i].ID
		rec, k := last, int(id&maxChunkItems)
		if c := id >> idIndexBits; c != lastC || rec == nil || k >= len(rec.vals) {
			rec, k = r.lookup(id)
			last, lastC = rec, c
		}
		if rec == nil {
			r.mu.Unlock()
			return nil, fmt.Errorf("a result for item %d, which is not in flight", id)
		}
		settled[i] = settledItem[In]{rec: rec, k: k, sent: rec.attempt(k)}
	}
	r.mu.Unlock()
	return func() {
		hd.apply(m, emits, settled)
		clear(settled)
		hd.emits, hd.settled = emits[:0], settled[:0]
	}, nil
}

// settledItem is an item a results frame names: the worker that reported it is the only one
// that holds it, so its record stays valid until the frame is applied.
type settledItem[In any] struct {
	rec  *chunkRec[In]
	k    int
	sent int32 // the attempt the item was sent with, read under r.mu: another slot's Lost may start the chunk's attempts meanwhile
}

// workerError is a failure that came from a worker.
func workerError(e WireErr, m *FromWorker) *RemoteError {
	re := &RemoteError{Msg: e.Msg, Panic: e.Panic, Stack: e.Stack, PID: m.PID, Host: m.Host, WorkDir: m.WorkDir}
	if e.Panic {
		re.At = engine.PanicPos([]byte(e.Stack))
	}
	return re
}

// apply settles the outcomes of a results frame and holds the emits sent ahead.
func (hd *handler[In, Out]) apply(m *FromWorker, emits []Out, items []settledItem[In]) {
	r, lane := hd.r, hd.lane
	if m.Reset != 0 {
		r.discardHeld(m.Reset)
	}
	held := r.anyHeld()
	canceled := r.h.Canceled()
	again := func(o *Outcome) bool { // an abandoned attempt whose item runs again
		return o.Status == StatusAbandoned && !canceled && int(o.Attempt) <= r.spec.Retry
	}
	at := 0
	for i, o := range m.Outcomes {
		rec, k := items[i].rec, items[i].k
		seq, sent, v := rec.seq+uint64(k), items[i].sent, rec.vals[k]
		n := int(o.NEmit)
		switch o.Status {
		case StatusOK:
			if m.HasState {
				r.h.Fold(o.Delta)
			}
			lane.Retried(int(o.Attempt - sent))
			to := sliceTo(m.To, at, at+n)
			if hp := r.takeHeldIf(held, o.ID); hp != nil {
				hd.releaseHeld(seq, hp, emits[at:at+n], to)
			} else {
				lane.Release(seq, emits[at:at+n], to)
			}
		case StatusFailed:
			r.discardHeldIf(held, o.ID)
			lane.Retried(int(o.Attempt - sent))
			lane.Fail(seq, v, workerError(o.Err, m), int(o.Attempt))
		case StatusDropped:
			r.discardHeldIf(held, o.ID)
			lane.Drop(seq)
		case StatusRevoked:
			r.discardHeldIf(held, o.ID)
		case StatusAbandoned:
			r.discardHeldIf(held, o.ID)
			lane.Retried(int(o.Attempt - sent))
			if again(&o) {
				lane.Retried(1)
			} else {
				lane.Fail(seq, v, workerError(o.Err, m), int(o.Attempt))
			}
		}
		at += n
	}
	if len(m.Outcomes) > 0 {
		r.mu.Lock()
		for i := range m.Outcomes {
			o := &m.Outcomes[i]
			if o.Status == StatusRevoked {
				r.sendAgain(o.ID, 0)
				continue
			}
			if again(o) {
				items[i].rec.setAttempt(items[i].k, o.Attempt+1)
				r.sendAgain(o.ID, r.backoff(o.Attempt+1))
				continue
			}
			r.settle(items[i].rec, o.ID)
		}
		r.cond.Broadcast()
		r.mu.Unlock()
	}
	if m.Partial != 0 && at < len(emits) {
		size := int64(m.Bytes) * int64(len(emits)-at) / int64(len(emits))
		r.hold(m.Partial, emits[at:], sliceTo(m.To, at, len(emits)), size)
	}
	for _, d := range m.Lat {
		lane.Latency(time.Duration(d))
	}
	lane.Poll()
}

// releaseHeld releases an item's held emits, then its last ones.
func (hd *handler[In, Out]) releaseHeld(seq uint64, hp *held[Out], vs []Out, to []int32) {
	var allV []Out
	var allTo []int32
	hp.release(func(t int, v Out) {
		allV = append(allV, v)
		allTo = append(allTo, int32(t))
	})
	for i, v := range vs {
		allV = append(allV, v)
		t := int32(-1)
		if to != nil {
			t = to[i]
		}
		allTo = append(allTo, t)
	}
	hd.lane.Release(seq, allV, allTo)
}

// Refuse settles an item that cannot be sent to a worker.
func (hd *handler[In, Out]) Refuse(id uint64, err error) {
	r := hd.r
	r.discardHeld(id)
	r.mu.Lock()
	rec, k := r.lookup(id)
	if rec == nil {
		r.mu.Unlock()
		return
	}
	seq, v, a := rec.seq+uint64(k), rec.vals[k], rec.attempt(k)
	r.settle(rec, id)
	r.cond.Broadcast()
	r.mu.Unlock()
	hd.lane.Fail(seq, v, err, int(a))
}

// Lost settles the items of a worker that ended without reporting them.
func (hd *handler[In, Out]) Lost(ran uint64, cause error, others []uint64) {
	r, lane := hd.r, hd.lane
	canceled := r.h.Canceled()
	if ran != 0 {
		r.discardHeld(ran)
		r.mu.Lock()
		rec, k := r.lookup(ran)
		if rec != nil {
			a := rec.attempt(k)
			seq, v := rec.seq+uint64(k), rec.vals[k]
			if canceled || int(a) > r.spec.Retry {
				r.settle(rec, ran)
				r.cond.Broadcast()
				r.mu.Unlock()
				lane.Fail(seq, v, cause, int(a))
			} else {
				rec.setAttempt(k, a+1)
				r.sendAgain(ran, r.backoff(a+1))
				r.mu.Unlock()
				lane.Retried(1)
			}
		} else {
			r.mu.Unlock()
		}
	}
	for _, id := range others {
		r.discardHeld(id)
		if canceled {
			r.dropIDs(lane, []uint64{id})
			continue
		}
		r.mu.Lock()
		if rec, _ := r.lookup(id); rec != nil {
			r.sendAgain(id, 0)
		}
		r.mu.Unlock()
	}
	lane.Poll()
}

// hold keeps emits of an item sent ahead of its outcome.
func (r *stageRun[In, Out]) hold(id uint64, vs []Out, to []int32, size int64) {
	r.mu.Lock()
	if r.held == nil {
		r.held = map[uint64]*held[Out]{}
	}
	hp := r.held[id]
	if hp == nil {
		hp = &held[Out]{dir: r.WorkDir()}
		r.held[id] = hp
	}
	r.mu.Unlock()
	hp.add(vs, to, size)
}

// anyHeld reports whether emits are held for some item (an item that emits a lot).
func (r *stageRun[In, Out]) anyHeld() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.held) > 0
}

func (r *stageRun[In, Out]) takeHeldIf(any bool, id uint64) *held[Out] {
	if !any {
		return nil
	}
	return r.takeHeld(id)
}

func (r *stageRun[In, Out]) discardHeldIf(any bool, id uint64) {
	if any {
		r.discardHeld(id)
	}
}

func (r *stageRun[In, Out]) takeHeld(id uint64) *held[Out] {
	r.mu.Lock()
	defer r.mu.Unlock()
	hp := r.held[id]
	delete(r.held, id)
	return hp
}

func (r *stageRun[In, Out]) discardHeld(id uint64) {
	if hp := r.takeHeld(id); hp != nil {
		hp.discard()
	}
}

func (r *stageRun[In, Out]) discardAllHeld() {
	r.mu.Lock()
	hs := r.held
	r.held = nil
	r.mu.Unlock()
	for _, hp := range hs {
		hp.discard()
	}
}

func sliceTo(to []int32, from, end int) []int32 {
	if to == nil {
		return nil
	}
	return to[from:end]
}
