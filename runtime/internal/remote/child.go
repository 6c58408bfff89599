package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/engine"
)

// This file is the worker side of a Stage: what runs in a worker once its transport has set
// up the connection (see ServeWorker for what has and has not run by then).

// Exit statuses of a worker.
const (
	ExitSetup    = 3 // it could not serve (reported to the stage as well)
	ExitLost     = 4 // its connection to the stage broke: the stage is gone
	ExitProtocol = 5 // it could not read what the stage sent
	ExitGoexit   = 6 // a body called runtime.Goexit, which ended the goroutine that runs items
)

// Limits of one results frame.
const (
	maxDonePerMessage  = 1024 // finished items
	maxEmitsPerMessage = 4096 // emitted values (fewer when they are large: child.emitCap)
	firstEmits         = 1    // emitted values held before their size is known (child.sizeEmits)
	targetMessageBytes = 1 << 20
	// flushAfter is how long a finished item's result may wait to be sent, also while the
	// next item runs: results are sent when items finish, in frames when they finish fast.
	flushAfter = time.Millisecond
)

// onceWatchAfter is how long a worker that serves one batch runs it before it starts to watch
// its connection for a stop.
const onceWatchAfter = 2 * time.Millisecond

// ServeChild runs the stage in this worker over conn and returns the worker's exit status.
func (s *Stage[In, Out]) ServeChild(conn ChildConn, hello *ToWorker) int {
	spec := s.n.Spec()
	switch spec.Kind {
	case engine.KindProcessor, engine.KindConsumer, engine.KindCustom:
	default:
		return failReady(conn, "", fmt.Errorf("stage %q is a %s: it cannot run in a worker", spec.Name, spec.Kind))
	}
	if hello.Version != WireVersion {
		return failReady(conn, "", fmt.Errorf("the stage speaks version %d of the wire format, this worker version %d (they were built from different sources)", hello.Version, WireVersion))
	}
	c := &child[In, Out]{s: s, conn: conn, spec: spec, state: spec.State, once: hello.Once, emitCap: firstEmits}
	c.keys, _ = conn.(ItemKeyer)
	c.cond.L = &c.mu
	c.fullAt.Store(firstEmits)
	c.setFullAt = firstEmits
	c.ctx, c.cancel = context.WithCancel(context.Background())
	defer c.cancel()
	return c.serve(hello)
}

func failReady(conn ChildConn, hook string, err error) int {
	_ = conn.Send(&FromWorker{Kind: KindReady, Err: engine.ErrText(err), Hook: hook}, nil)
	return ExitSetup
}

// child runs one stage's items in a worker.
type child[In, Out any] struct {
	s      *Stage[In, Out]
	conn   ChildConn
	keys   ItemKeyer // the transport's item keys (ItemKey), if it has them
	spec   engine.StageSpec
	state  *engine.StateSpec
	once   bool
	w      *engine.Emitter[Out]
	fn     func(context.Context, In) error
	ctx    context.Context
	cancel context.CancelFunc

	// input, filled by the reader; the run loop takes it in bulk into local
	mu      sync.Mutex
	cond    sync.Cond
	queue   []childItem[In]
	items   []In // the reader's decoding buffer
	eof     bool
	served  bool // one batch (process_per_batch): it was taken
	local   []childItem[In]
	marks   []atomic.Uint32 // of local's items: taken (to run or drop) or revoked, once
	li      int
	queued  atomic.Int64 // items in queue (received, not taken by the run loop)
	stopped atomic.Bool  // told to stop: what has not started is dropped

	// the results frame being built; under out (the body's emits flush it, and so does a
	// timer while an item runs)
	out       sync.Mutex
	outcomes  []Outcome
	emits     []Out
	to        []int32 // targets of emits; nil while every emit is an Emit
	doneEmits int     // emits of the finished items (the rest: the current item's)
	lat       []int64
	reset     uint64
	partial   uint64 // the running item, whose emits are being sent ahead
	timer     *time.Timer
	armed     bool
	emitCap   int
	sized     bool         // emitCap was set from the size of a first value (sizeEmits)
	fit       int          // values per frame of a frame sendAhead had to split (0: none)
	fullAt    atomic.Int32 // emitCap, for the body goroutine

	// the running attempt (body goroutine)
	running   bool // the transport was told an item started, and not that it finished
	setFullAt int  // the Emitter's full mark (fullAt, as the body goroutine last set it)
	cur       uint64
	streamed  bool  // the current attempt sent emits ahead of its outcome
	emitErr   error // an emit of the current attempt could not be sent

	seen, mask uint64 // latency sampling, as the engine's stats do
}

type childItem[In any] struct {
	id      uint64
	attempt int32
	v       In
}

func (c *child[In, Out]) serve(hello *ToWorker) int {
	if st := c.state; st != nil {
		if err := callHook(func() error { return st.Init(hello.State) }); err != nil {
			return failReady(c.conn, "", fmt.Errorf("state: %w", err))
		}
	}
	for _, h := range c.s.n.AfterForkHooks() {
		if err := callHook(func() error { return h(c.ctx) }); err != nil {
			return failReady(c.conn, "after_fork", err)
		}
	}
	var delta []byte
	if c.state != nil {
		d, err := takeState(c.state)
		if err != nil {
			return failReady(c.conn, "", err)
		}
		delta = d
	}
	c.w = engine.NewHoldingEmitter(c.s.n, c.partialFlush, c.emitCap)
	bind := c.s.n.Bind()
	if err := callHook(func() error { c.fn = bind(c.w); return nil }); err != nil {
		return failReady(c.conn, "", err)
	}
	if err := c.conn.Send(&FromWorker{Kind: KindReady, Delta: delta}, nil); err != nil {
		return ExitLost
	}
	if c.once {
		// One batch: take it now. Then the reader only has to watch for a stop (or the stage
		// going away) while the batch runs, which is usually over before it would start:
		// starting it costs a thread.
		c.readOne()
		watch := time.AfterFunc(onceWatchAfter, c.read)
		defer watch.Stop()
	} else {
		go c.read()
	}
	for {
		it, ok := c.next()
		if !ok {
			break
		}
		c.runItem(it)
	}
	c.out.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	err := c.flushLocked()
	c.out.Unlock()
	if err != nil {
		return ExitLost
	}
	return 0
}

// read receives frames until the stage says stop, or is gone: then the worker exits at once,
// whatever its body is doing (a worker never outlives its stage).
func (c *child[In, Out]) read() {
	for {
		c.readOne()
	}
}

// readOne receives one frame and does what it says.
func (c *child[In, Out]) readOne() {
	m, decode, err := c.conn.Recv()
	if err != nil {
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, os.ErrClosed) {
			fmt.Fprintf(os.Stderr, "minigun worker: %v\n", err)
			os.Exit(ExitProtocol)
		}
		os.Exit(ExitLost)
	}
	switch m.Kind {
	case KindItems:
		items := c.items
		if len(m.IDs) > 0 {
			clear(items[:cap(items)])
			items = items[:0]
			if err := decode(&items); err != nil || len(items) != len(m.IDs) {
				fmt.Fprintf(os.Stderr, "minigun worker: reading items: %v\n", errors.Join(err, ErrMalformed))
				os.Exit(ExitProtocol)
			}
		}
		c.mu.Lock()
		for i, v := range items {
			a := int32(1)
			if m.Attempts != nil {
				a = m.Attempts[i]
			}
			c.queue = append(c.queue, childItem[In]{id: m.IDs[i], attempt: a, v: v})
		}
		c.queued.Add(int64(len(items)))
		c.mu.Unlock()
		c.cond.Signal()
		clear(items)
		c.items = items[:0] // the values are in the queue: the buffer serves the next frame
	case KindRevoke:
		c.revoke(m.IDs)
	case KindStop:
		c.stop()
	}
}

// stop: finish the item that runs (its ctx is canceled) and report the others as dropped.
func (c *child[In, Out]) stop() {
	c.cancel()
	c.stopped.Store(true)
	c.mu.Lock()
	c.eof = true
	c.mu.Unlock()
	c.cond.Broadcast()
}

// revoke gives back the items of ids that have not started.
func (c *child[In, Out]) revoke(ids []uint64) {
	want := map[uint64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var back []uint64
	c.mu.Lock()
	keep := c.queue[:0]
	for _, it := range c.queue {
		if want[it.id] {
			back = append(back, it.id)
			delete(want, it.id)
			continue
		}
		keep = append(keep, it)
	}
	clear(c.queue[len(keep):])
	c.queue = keep
	c.queued.Add(-int64(len(back)))
	// The others may be taken by the run loop already: those it has not started are given
	// back too (whoever marks an item first has it).
	for i := range c.local {
		if want[c.local[i].id] && c.marks[i].CompareAndSwap(itemWaiting, itemRevoked) {
			back = append(back, c.local[i].id)
		}
	}
	c.mu.Unlock()
	if len(back) == 0 {
		return
	}
	c.out.Lock()
	for _, id := range back {
		c.outcomes = append(c.outcomes, Outcome{ID: id, Status: StatusRevoked})
	}
	_ = c.flushLocked()
	c.out.Unlock()
}

// next returns the next item, waiting for one; false once the input ended (and, with one
// batch, once it is done). Items are taken from the reader in bulk; one that was asked back
// is skipped, one that comes after the worker was told to stop is reported as dropped.
func (c *child[In, Out]) next() (childItem[In], bool) {
	for {
		if c.li == len(c.local) {
			c.finished()
			if !c.refill() {
				return childItem[In]{}, false
			}
		}
		i := c.li
		c.li++
		if !c.marks[i].CompareAndSwap(itemWaiting, itemTaken) {
			continue // revoked: the reader reported it
		}
		it := c.local[i]
		if !c.stopped.Load() {
			return it, true
		}
		c.out.Lock()
		c.outcomes = append(c.outcomes, Outcome{ID: it.id, Status: StatusDropped})
		c.out.Unlock()
	}
}

// The states of an item the run loop has taken from the reader.
const (
	itemWaiting = iota
	itemTaken   // to run (or to drop)
	itemRevoked // given back
)

// refill takes what the reader received, waiting for it (and sending what is finished
// first); false once the input ended.
func (c *child[In, Out]) refill() bool {
	c.mu.Lock()
	for len(c.queue) == 0 {
		if c.eof || c.once && c.served {
			c.mu.Unlock()
			return false
		}
		c.mu.Unlock()
		c.out.Lock()
		err := c.flushLocked()
		c.out.Unlock()
		if err != nil {
			os.Exit(ExitLost)
		}
		c.mu.Lock()
		if len(c.queue) == 0 && !c.eof && !(c.once && c.served) {
			c.cond.Wait()
		}
	}
	clear(c.local)
	c.local, c.queue, c.li = c.queue, c.local[:0], 0
	c.queued.Add(-int64(len(c.local)))
	if cap(c.marks) < len(c.local) {
		c.marks = make([]atomic.Uint32, len(c.local), cap(c.local))
	}
	c.marks = c.marks[:len(c.local)]
	for i := range c.marks {
		c.marks[i].Store(itemWaiting)
	}
	if c.once {
		c.served = true
	}
	c.mu.Unlock()
	return true
}

// runItem runs the attempts of one item, records its outcome, and sends the frame when the
// input is idle or the frame is full; otherwise the finished results go within flushAfter
// (the timer), even if the next item runs long.
func (c *child[In, Out]) runItem(it childItem[In]) {
	timed := c.seen&c.mask == 0
	c.seen++
	var t0 time.Time
	if timed {
		t0 = time.Now()
	}
	c.cur = it.id
	attempt := it.attempt
	if n := int(c.fullAt.Load()); n != c.setFullAt {
		c.w.SetFullAt(n) // the Emitter is the body's: set from this goroutine
		c.setFullAt = n
	}
	c.running = true
	var o Outcome
	for {
		c.streamed, c.emitErr = false, nil
		c.conn.Started(it.id) // each attempt: the transport times attempts
		err := c.watchedCall(it.id, attempt, it.v)
		if err == nil && c.emitErr != nil {
			err = c.emitErr
		}
		var delta []byte
		if err == nil && c.state != nil {
			delta, err = takeState(c.state)
		}
		if err == nil {
			o = Outcome{ID: it.id, Status: StatusOK, Attempt: attempt, Delta: delta}
			break
		}
		c.w.DiscardHeld()
		c.out.Lock()
		if c.streamed || c.partial == it.id {
			// The stage holds emits of this attempt: they must go. Everything before them
			// was sent with them, so the next frame starts with the reset.
			c.reset = it.id
			c.partial = 0
		}
		c.emits, c.to = c.emits[:c.doneEmits], sliceTo(c.to, 0, c.doneEmits)
		c.out.Unlock()
		if c.state != nil {
			c.state.Undo()
		}
		if int(attempt) > c.spec.Retry || c.stopping() || !c.backoff(attempt) {
			o = Outcome{ID: it.id, Status: StatusFailed, Attempt: attempt, Err: toWireErr(err)}
			break
		}
		attempt++
	}
	c.cur = 0
	var d time.Duration
	if timed {
		d = time.Since(t0)
		switch {
		case d < 200*time.Nanosecond:
			c.mask = 255
		case d < 2*time.Microsecond:
			c.mask = 63
		case d < 20*time.Microsecond:
			c.mask = 7
		default:
			c.mask = 0
		}
	}
	idle := c.li == len(c.local) && c.queued.Load() == 0
	c.out.Lock()
	if o.Status == StatusOK {
		c.takePend()
		o.NEmit = int32(len(c.emits) - c.doneEmits)
		c.doneEmits = len(c.emits)
		c.partial = 0
	}
	c.outcomes = append(c.outcomes, o)
	if timed {
		c.lat = append(c.lat, int64(d))
	}
	switch {
	case idle, len(c.outcomes) >= maxDonePerMessage, len(c.emits) >= c.emitCap:
		c.finished() // sending may wait for the stage: no item runs meanwhile
		if err := c.flushLocked(); err != nil {
			os.Exit(ExitLost)
		}
	case !c.armed:
		c.armed = true
		if c.timer == nil {
			c.timer = time.AfterFunc(flushAfter, c.timerFlush)
		} else {
			c.timer.Reset(flushAfter)
		}
	}
	c.out.Unlock()
}

// finished tells the transport that no item runs, if one ran since it last did. Between two
// items that follow each other at once the next one's start says it.
func (c *child[In, Out]) finished() {
	if c.running {
		c.running = false
		c.conn.Finished()
	}
}

func (c *child[In, Out]) stopping() bool { return c.stopped.Load() }

// watchedCall is call, ended by the worker itself when its transport's stage cannot kill it
// (Abandoner) and the attempt runs past its timeout and the grace period.
func (c *child[In, Out]) watchedCall(id uint64, attempt int32, v In) error {
	ab, ok := c.conn.(Abandoner)
	if !ok || c.spec.Timeout <= 0 {
		return c.call(v)
	}
	var state atomic.Int32 // 0 running, 1 returned, 2 abandoned
	t := time.AfterFunc(c.spec.Timeout+TimeoutGrace(c.spec.Timeout), func() {
		if state.CompareAndSwap(0, 2) {
			c.abandon(ab, id, attempt)
		}
	})
	err := c.call(v)
	t.Stop()
	if !state.CompareAndSwap(0, 1) {
		select {} // abandoned: the worker is exiting
	}
	return err
}

// abandon ends the worker whose body ran past its timeout without returning: the attempt ends
// with a timeout error (the stage runs the item again elsewhere if it has attempts left, as
// for a worker that died running it), the items after it are given back, and once that is
// out the process exits (the goroutine that runs the body cannot be stopped).
func (c *child[In, Out]) abandon(ab Abandoner, id uint64, attempt int32) {
	c.mu.Lock()
	var back []uint64
	for i := c.li; i < len(c.local); i++ {
		if c.marks[i].CompareAndSwap(itemWaiting, itemRevoked) {
			back = append(back, c.local[i].id)
		}
	}
	for _, it := range c.queue {
		back = append(back, it.id)
	}
	c.queue = c.queue[:0]
	c.stopped.Store(true)
	c.mu.Unlock()
	c.out.Lock()
	c.emits, c.to = c.emits[:c.doneEmits], sliceTo(c.to, 0, c.doneEmits)
	c.reset, c.partial = id, 0 // emits this attempt sent ahead are dropped
	c.outcomes = append(c.outcomes, Outcome{ID: id, Status: StatusAbandoned, Attempt: attempt, Err: WireErr{
		Msg: fmt.Sprintf("timeout: the item ran past its timeout(%v) and %v more without returning: worker process %d ended", c.spec.Timeout, TimeoutGrace(c.spec.Timeout), os.Getpid())}})
	for _, b := range back {
		c.outcomes = append(c.outcomes, Outcome{ID: b, Status: StatusRevoked})
	}
	err := c.flushLocked()
	c.out.Unlock()
	if err == nil {
		ab.Abandon()
	}
	os.Exit(ExitLost)
}

// call runs one attempt of the body.
func (c *child[In, Out]) call(v In) (err error) {
	ctx := c.ctx
	if c.spec.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.spec.Timeout)
		defer cancel()
	}
	returned := false
	defer func() {
		if p := recover(); p != nil {
			err = &engine.PanicError{Value: p, Stack: debug.Stack()}
		} else if !returned {
			// runtime.Goexit: the goroutine that runs items is ending. The worker ends as if
			// it crashed on the item: the stage runs it again or fails it.
			fmt.Fprintf(os.Stderr, "the body called runtime.Goexit: worker process %d ends\n", os.Getpid())
			os.Exit(ExitGoexit)
		}
	}()
	if c.keys != nil && !c.spec.NoCtx {
		ctx = WithItemKey(ctx, c.keys, c.cur)
	}
	c.w.BodyStart()
	defer c.w.BodyEnd()
	err = c.fn(ctx, v)
	returned = true
	return err
}

// backoff waits before the retry after attempt; false if the worker was told to stop.
func (c *child[In, Out]) backoff(attempt int32) bool {
	d := c.spec.Backoff
	for i := int32(1); i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

func takeState(st *engine.StateSpec) (delta []byte, err error) {
	err = callHook(func() error {
		var e error
		delta, e = st.Take()
		return e
	})
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	return delta, nil
}

func toWireErr(err error) WireErr {
	var pe *engine.PanicError
	if errors.As(err, &pe) && error(pe) == err {
		return WireErr{Msg: fmt.Sprint(pe.Value), Panic: true, Stack: string(pe.Stack)}
	}
	return WireErr{Msg: engine.ErrText(err)}
}

// callHook runs f, turning a panic into an error.
func callHook(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &engine.PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return f()
}

// takePend moves the emits the body's Emitter holds into the frame (under c.out).
func (c *child[In, Out]) takePend() {
	c.w.TakeHeld(func(to int, v Out) {
		if to >= 0 && c.to == nil {
			c.to = make([]int32, len(c.emits), cap(c.emits))
			for i := range c.to {
				c.to[i] = -1
			}
		}
		c.emits = append(c.emits, v)
		if c.to != nil {
			c.to = append(c.to, int32(to))
		}
	})
}

// partialFlush sends the emits held for the current attempt ahead of its outcome, with
// everything finished before it (the body's Emitter calls it when it holds too many).
func (c *child[In, Out]) partialFlush() {
	if !c.sized && c.sizeEmits() {
		return
	}
	c.out.Lock()
	defer c.out.Unlock()
	c.takePend()
	c.streamed = true
	c.partial = c.cur
	if err := c.flushLocked(); err != nil {
		os.Exit(ExitLost)
	}
	// Called from the body's emit: the new cap applies to the rest of this item at once.
	c.w.SetFullAt(c.emitCap)
	c.setFullAt = c.emitCap
}

func (c *child[In, Out]) timerFlush() {
	c.out.Lock()
	defer c.out.Unlock()
	if err := c.flushLocked(); err != nil {
		os.Exit(ExitLost)
	}
}

// flushLocked sends the frame being built (under c.out).
func (c *child[In, Out]) flushLocked() error {
	c.armed = false
	if len(c.outcomes) == 0 && len(c.emits) == 0 && c.reset == 0 && len(c.lat) == 0 {
		return nil
	}
	partial := uint64(0)
	if len(c.emits) > c.doneEmits {
		partial = c.partial
	}
	err := c.send(c.outcomes, c.emits, c.to, c.reset, partial, c.lat)
	var ee EncodeError
	if errors.As(err, &ee) {
		err = c.sendOneByOne(partial)
	}
	if err != nil {
		return err
	}
	switch {
	case c.fit > 0: // the frame went in parts of at most fit values
		c.emitCap, c.fit = c.fit, 0
		c.fullAt.Store(int32(c.emitCap))
	case len(c.emits) > 0:
		c.adaptEmitCap(len(c.emits))
	}
	clear(c.outcomes)
	c.outcomes = c.outcomes[:0]
	clear(c.emits)
	c.emits = c.emits[:0]
	c.to = nil
	c.doneEmits = 0
	c.lat = c.lat[:0]
	c.reset = 0
	return nil
}

// sendOneByOne sends the frame outcome by outcome after one of its values could not be
// encoded, or the frame was too large for the transport: an item's emits that do not go in
// one frame go ahead of its outcome in several, as the emits of an item that runs do; an
// item with a value that cannot be encoded, or is too large alone, fails; if the current
// item's emits have one, its attempt fails.
func (c *child[In, Out]) sendOneByOne(partial uint64) error {
	reset, lat := c.reset, c.lat
	at := 0
	for i := range c.outcomes {
		o := &c.outcomes[i]
		n := int(o.NEmit)
		em, to := c.emits[at:at+n], sliceTo(c.to, at, at+n)
		at += n
		err := c.send(c.outcomes[i:i+1], em, to, reset, 0, lat)
		var ee EncodeError
		if errors.As(err, &ee) && n > 1 {
			if err = c.sendAhead(o.ID, em, to, &reset, &lat); err == nil {
				o.NEmit = 0 // its values are held by the stage: the outcome releases them
				err = c.send(c.outcomes[i:i+1], nil, nil, 0, 0, nil)
			}
		}
		if errors.As(err, &ee) {
			*o = Outcome{ID: o.ID, Status: StatusFailed, Attempt: o.Attempt,
				Err: WireErr{Msg: fmt.Sprintf("cannot send emitted values back from the worker: %v", ee.Err)}}
			err = c.send(c.outcomes[i:i+1], nil, nil, reset, 0, lat)
		}
		if err != nil {
			return err
		}
		reset, lat = 0, nil
	}
	if at < len(c.emits) || reset != 0 || lat != nil {
		var err error
		if at < len(c.emits) && partial != 0 {
			err = c.sendAhead(partial, c.emits[at:], sliceTo(c.to, at, len(c.emits)), &reset, &lat)
		} else {
			err = c.send(nil, c.emits[at:], sliceTo(c.to, at, len(c.emits)), reset, partial, lat)
		}
		var ee EncodeError
		if errors.As(err, &ee) {
			c.emitErr = fmt.Errorf("cannot send emitted values back from the worker: %v", ee.Err)
			c.streamed = true
			err = c.send(nil, nil, nil, reset, 0, lat)
		}
		return err
	}
	return nil
}

// sendAhead sends em, emits of item id, ahead of its outcome in as many frames as it takes,
// halving a frame the transport refuses; a value that cannot go alone ends it with the
// EncodeError (the values before it went: the item's outcome or reset settles them). The
// first frame carries *reset and *lat, which are then cleared.
func (c *child[In, Out]) sendAhead(id uint64, em []Out, to []int32, reset *uint64, lat *[]int64) error {
	step := len(em) // values per frame: what the last frame took, once one was halved
	for len(em) > 0 {
		n := min(len(em), step)
		for {
			err := c.send(nil, em[:n], sliceTo(to, 0, n), *reset, id, *lat)
			var ee EncodeError
			if errors.As(err, &ee) && n > 1 {
				n /= 2
				continue
			}
			if err != nil {
				return err
			}
			if n < len(em) && (c.fit == 0 || n < c.fit) {
				c.fit = n
			}
			step = n
			break
		}
		em, to = em[n:], sliceTo(to, n, len(em))
		*reset, *lat = 0, nil
	}
	return nil
}

// send encodes and sends one results frame.
func (c *child[In, Out]) send(outcomes []Outcome, emits []Out, to []int32, reset, partial uint64, lat []int64) error {
	m := &FromWorker{Kind: KindResults, Reset: reset, Outcomes: outcomes, HasState: c.state != nil,
		Partial: partial, NEmit: len(emits), To: to, Lat: lat}
	if len(emits) > 0 {
		return c.conn.Send(m, emits)
	}
	return c.conn.Send(m, nil)
}

// sizeEmits sets the emit cap from the size of the worker's first emitted value, encoded once,
// and reports whether the held emits may wait for more: a frame then takes as many values
// as make about targetMessageBytes, from the first frame on, one value if it is large.
func (c *child[In, Out]) sizeEmits() bool {
	c.sized = true
	n, first := c.w.Held()
	size, ok := encodedSize(first)
	if n == 0 || !ok {
		return false // sent as it is: the frame says what is wrong with it
	}
	limit := min(max(targetMessageBytes/max(size, 1), 1), maxEmitsPerMessage)
	c.out.Lock()
	c.emitCap = limit
	c.out.Unlock()
	c.fullAt.Store(int32(limit))
	c.w.SetFullAt(limit)
	c.setFullAt = limit
	return n < limit
}

// encodedSize is the size of v encoded on its own; false if it cannot be (gob panics on some).
func encodedSize(v any) (n int, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	b, err := Encode(v)
	return len(b), err == nil
}

// adaptEmitCap sizes frames to about targetMessageBytes from the size of the last one, at
// most twice as many values as the last cap: the worker holds the values until they go, so
// large ones must go a few at a time from the first frame on (100 values of 5 MB held at
// once would take 500 MB of the worker's memory).
func (c *child[In, Out]) adaptEmitCap(n int) {
	per := 1
	if sz, ok := c.conn.(interface{ LastPayload() int }); ok {
		per = max(sz.LastPayload()/n, 1)
	}
	c.emitCap = min(max(targetMessageBytes/per, 1), 2*c.emitCap, maxEmitsPerMessage)
	c.fullAt.Store(int32(c.emitCap))
}
