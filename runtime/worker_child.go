package mgrt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// This file is the worker side: what runs when this executable was started as a worker
// process (see doc.go for what has and has not run by then).

// Exit statuses of a worker process.
const (
	workerExitSetup    = 3 // it could not serve (reported to the parent as well)
	workerExitLost     = 4 // its pipe to the parent broke: the parent is gone
	workerExitProtocol = 5 // it could not read what the parent sent
)

// ServeWorker turns this process into a worker if it was started as one. Generated code
// calls it from an init function of each generated file that registers pipelines.
//
// If the process was started as a worker for a pipeline that is registered (by the calling
// package, or by one initialised before it), ServeWorker serves the stage and exits: it never
// returns. If the pipeline is not registered yet and belongs to another package than the
// caller's, it returns (that package's init will serve); if it belongs to the caller's
// package, it exits with an error rather than let a worker fall through to main. Outside a
// worker process it returns at once.
func ServeWorker() {
	key := os.Getenv(envWorker)
	if key == "" {
		return
	}
	build := registered(key)
	if build == nil {
		caller := ""
		if pc, _, _, ok := runtime.Caller(1); ok {
			if f := runtime.FuncForPC(pc); f != nil {
				caller = funcPackage(f.Name())
			}
		}
		if caller != keyPackage(key) {
			return
		}
		fmt.Fprintf(os.Stderr, "minigun worker: pipeline %s is not registered (RegisterPipeline)\n", key)
		os.Exit(workerExitSetup)
	}
	stage := os.Getenv(envWorkerStage)
	// User code must not see the variables: a program it starts would become a worker.
	os.Unsetenv(envWorker)
	os.Unsetenv(envWorkerStage)
	os.Exit(serveWorker(key, stage, build))
}

// inUnservedWorker reports whether this process was started as a worker and not served:
// ServeWorker unsets the variables before it serves.
func inUnservedWorker() bool { return os.Getenv(envWorker) != "" }

func keyOfUnservedWorker() string { return os.Getenv(envWorker) }

// childConn is a worker's connection to its parent, before the stage's types are known.
type childConn struct {
	g      *Graph
	hello  wireIn
	in     *frameReader // fd 3
	out    *frameWriter // fd 4
	ctx    context.Context
	cancel context.CancelFunc
}

// serveWorker serves stage of the pipeline that build makes and returns the exit status.
func serveWorker(key, stage string, build func([]byte) (*Graph, error)) int {
	c := &childConn{}
	closeOnExecAll()
	setNonblock(fdIn) // served by the runtime's poller: no thread blocks reading it
	setNonblock(fdOut)
	in, out := os.NewFile(fdIn, "minigun-in"), os.NewFile(fdOut, "minigun-out")
	if in == nil || out == nil {
		fmt.Fprintln(os.Stderr, "minigun worker: started without its pipes")
		return workerExitSetup
	}
	c.out = newFrameWriter(out)
	if err := c.out.send(&wireOut{Kind: outAlive, PID: os.Getpid()}, nil); err != nil {
		return workerExitLost
	}
	c.in = newFrameReader(in, 8<<10)
	hdr, err := c.in.next()
	if err == nil {
		err = c.hello.unmarshal(hdr)
	}
	if err != nil || c.hello.Kind != inHello {
		return workerExitLost
	}
	if c.hello.Once && c.hello.ItemPath == "" {
		// Take the one batch off the pipe before anything is written back (after_fork may
		// leave a large state delta): the parent writes it before it reads.
		if err := c.in.prefetch(); err != nil {
			readFailed(err)
			return workerExitLost
		}
	}
	var params []byte
	if c.hello.HasParams {
		params = c.hello.Params
	}
	g, err := callBuild(build, params)
	if err != nil {
		return c.fail("", fmt.Errorf("building pipeline %s: %w", key, err))
	}
	var node stageNode
	for _, n := range g.stages {
		if n.base().spec.Name == stage {
			node = n
			break
		}
	}
	if node == nil {
		return c.fail("", fmt.Errorf("pipeline %s has no stage %q", key, stage))
	}
	c.g = g
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return node.serveChild(c)
}

func callBuild(build func([]byte) (*Graph, error), params []byte) (g *Graph, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = newPanicError(p)
		}
	}()
	g, err = build(params)
	if err == nil && g == nil {
		err = errors.New("the build function returned no graph")
	}
	return g, err
}

// fail tells the parent that the worker cannot serve, and returns the exit status.
func (c *childConn) fail(hook string, err error) int {
	_ = c.out.send(&wireOut{Kind: outReady, Err: err.Error(), Hook: hook}, nil)
	return workerExitSetup
}

// serveChild runs stage n in this worker process.
func (n *Node[In, Out]) serveChild(c *childConn) int {
	switch n.spec.Kind {
	case KindProcessor, KindConsumer, KindCustom:
	default:
		return c.fail("", fmt.Errorf("stage %q is a %s: it cannot run in a worker process", n.spec.Name, n.spec.Kind))
	}
	s := &childServer[In, Out]{c: c, n: n, spec: n.spec, state: n.spec.State, emitCap: maxEmitsPerMessage}
	s.cond.L = &s.mu
	return s.serve()
}

// watchDelay is how long a worker with one batch runs before it watches for the stop signal.
const watchDelay = time.Millisecond

// Limits of one results message.
const (
	maxDonePerMessage  = 1024 // finished items
	maxEmitsPerMessage = 4096 // emitted values (fewer when they are large: childServer.emitCap)
	targetMessageBytes = 1 << 20
	flushAfter         = time.Millisecond // send finished items at least this often
)

// childServer runs one stage's items in a worker process.
type childServer[In, Out any] struct {
	c     *childConn
	n     *Node[In, Out]
	spec  StageSpec
	state *StateSpec
	w     Worker[Out]
	fn    func(context.Context, In) error
	res   *frameWriter // results: fd 4, or the result file with ipc: tempfile

	// input, filled by readItems
	mu      sync.Mutex
	cond    sync.Cond
	queue   []childBatch[In]
	eof     bool
	stopped atomic.Bool // the parent closed fd 3: drop what has not started, cancel ctx

	// the results message being built
	done      []childDone
	emits     []Out
	to        []int32 // targets of emits; nil while every emit is an Emit
	doneEmits int     // emits of the finished items in done (the rest: the current item's)
	lat       []int64
	reset     bool
	streamed  bool  // the current attempt sent emits ahead of its outcome
	emitErr   error // an emit of the current attempt could not be encoded
	lastFlush time.Time
	emitCap   int

	seen, mask uint64 // latency sampling, as workerStats
}

type childBatch[In any] struct {
	items    []In
	attempts []int32
}

// childDone is the outcome of one item in the message being built.
type childDone struct {
	status  uint8
	attempt int32 // the attempt that ended it
	sent    int32 // the attempt it was sent as
	err     wireErr
	delta   []byte
	nEmit   int32
}

func (s *childServer[In, Out]) serve() int {
	c := s.c
	if st := s.state; st != nil {
		if err := callHook(func() error { return st.Init(c.hello.State) }); err != nil {
			return c.fail("", fmt.Errorf("state: %w", err))
		}
	}
	for _, hooks := range [][]func(context.Context) error{c.g.afterFork, s.n.afterFork} {
		for _, h := range hooks {
			if err := callHook(func() error { return h(c.ctx) }); err != nil {
				return c.fail("after_fork", err)
			}
		}
	}
	var delta []byte
	if s.state != nil {
		d, err := takeState(s.state)
		if err != nil {
			return c.fail("", err)
		}
		delta = d
	}
	s.w.init(&s.n.stageBase, nil, true, nil)
	s.w.onFull = s.partial
	s.w.fullAt = s.emitCap
	if err := callHook(func() error { s.fn = s.n.each(&s.w); return nil }); err != nil {
		return c.fail("", err)
	}
	if err := c.out.send(&wireOut{Kind: outReady, Delta: delta}, nil); err != nil {
		return workerExitLost
	}

	var resFile *os.File
	var resBuf *bufio.Writer
	if c.hello.ResultPath != "" {
		f, err := os.Create(c.hello.ResultPath)
		if err != nil {
			fmt.Fprintf(os.Stderr, "minigun worker: %v\n", err)
			return workerExitSetup
		}
		resFile, resBuf = f, bufio.NewWriterSize(f, 64<<10)
		s.res = newFrameWriter(resBuf)
	} else {
		s.res = c.out
	}
	switch {
	case c.hello.ItemPath != "":
		f, err := os.Open(c.hello.ItemPath)
		if err == nil {
			err = s.readBatch(newFrameReader(f, 4<<10))
			f.Close()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "minigun worker: reading %s: %v\n", c.hello.ItemPath, err)
			return workerExitProtocol
		}
		time.AfterFunc(watchDelay, s.watchControl)
	case c.hello.Once:
		// One batch: read it here rather than hand it over from another goroutine, and watch
		// for the stop signal only if the batch takes a while (a goroutine may cost a thread).
		if err := s.readBatch(c.in); err != nil {
			readFailed(err)
			return workerExitLost
		}
		time.AfterFunc(watchDelay, s.watchControl)
	default:
		go s.readItems()
	}

	s.lastFlush = time.Now()
	for {
		b, ok := s.next()
		if !ok {
			break
		}
		for i, v := range b.items {
			sent := int32(1)
			if b.attempts != nil {
				sent = b.attempts[i]
			}
			timed := s.runItem(v, sent)
			s.afterItem(i == len(b.items)-1, timed)
		}
		if c.hello.Once {
			break
		}
	}
	s.flush()
	if resFile != nil {
		if err := resBuf.Flush(); err != nil {
			fmt.Fprintf(os.Stderr, "minigun worker: writing results: %v\n", err)
			return workerExitSetup
		}
		if err := resFile.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "minigun worker: writing results: %v\n", err)
			return workerExitSetup
		}
	}
	return 0
}

// readItems reads the parent's item batches until fd 3 closes, which means stop.
func (s *childServer[In, Out]) readItems() {
	defer s.stop()
	for {
		if err := s.readBatch(s.c.in); err != nil {
			readFailed(err)
			return
		}
	}
}

// readBatch reads the next batch of items from r into the queue.
func (s *childServer[In, Out]) readBatch(r *frameReader) error {
	for {
		hdr, err := r.next()
		if err != nil {
			return err
		}
		var h wireIn
		if err := h.unmarshal(hdr); err != nil {
			return err
		}
		if h.Kind != inItems {
			continue
		}
		var items []In
		if h.N > 0 {
			if err := r.decode(&items); err != nil {
				return err
			}
		}
		if len(items) != h.N {
			return errMalformed
		}
		s.mu.Lock()
		s.queue = append(s.queue, childBatch[In]{items: items, attempts: h.Attempts})
		s.mu.Unlock()
		s.cond.Signal()
		return nil
	}
}

// readFailed ends a worker that cannot read what its parent sent; the end of the stream
// (the parent closed it, or died) is the stop signal instead.
func readFailed(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed) {
		return
	}
	fmt.Fprintf(os.Stderr, "minigun worker: reading items: %v\n", err)
	os.Exit(workerExitProtocol)
}

// watchControl waits for fd 3 to close (a worker that has its items already).
func (s *childServer[In, Out]) watchControl() {
	for {
		if _, err := s.c.in.next(); err != nil {
			break
		}
	}
	s.stop()
}

// stop: the parent closed fd 3. The current item finishes with a canceled ctx; the items
// that have not started are reported as dropped.
func (s *childServer[In, Out]) stop() {
	s.stopped.Store(true)
	s.c.cancel()
	s.mu.Lock()
	s.eof = true
	s.mu.Unlock()
	s.cond.Broadcast()
}

// next returns the next batch of items, waiting for one; false once the input ended.
func (s *childServer[In, Out]) next() (childBatch[In], bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) == 0 {
		if s.eof {
			return childBatch[In]{}, false
		}
		if len(s.done) > 0 || len(s.lat) > 0 || s.reset {
			s.mu.Unlock()
			s.flush()
			s.mu.Lock()
			continue
		}
		s.cond.Wait()
	}
	b := s.queue[0]
	s.queue[0] = childBatch[In]{}
	s.queue = s.queue[1:]
	return b, true
}

func (s *childServer[In, Out]) queueEmpty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) == 0
}

// runItem runs the attempts of one item and records its outcome in the message being built.
// It reports whether the item was timed.
func (s *childServer[In, Out]) runItem(v In, sent int32) bool {
	if s.stopped.Load() {
		s.done = append(s.done, childDone{status: statusDropped, attempt: sent, sent: sent})
		return false
	}
	timed := s.seen&s.mask == 0
	s.seen++
	var t0 time.Time
	if timed {
		t0 = time.Now()
	}
	attempt := sent
	for {
		s.streamed, s.emitErr = false, nil
		if s.state != nil {
			s.state.Mark()
		}
		err := s.call(v)
		if err == nil && s.emitErr != nil {
			err = s.emitErr
		}
		var delta []byte
		if err == nil && s.state != nil {
			delta, err = takeState(s.state)
		}
		if err == nil {
			s.takePend()
			n := len(s.emits) - s.doneEmits
			s.doneEmits = len(s.emits)
			s.done = append(s.done, childDone{status: statusOK, attempt: attempt, sent: sent, delta: delta, nEmit: int32(n)})
			break
		}
		s.w.discard()
		if s.streamed {
			// The parent holds emits of this attempt: they must go. Everything before them
			// was sent with them, so the next message starts with the reset.
			s.reset = true
		}
		if s.state != nil {
			s.state.Undo()
		}
		if int(attempt) > s.spec.Retry || s.stopped.Load() || !s.backoff(attempt) {
			s.done = append(s.done, childDone{status: statusFailed, attempt: attempt, sent: sent, err: toWireErr(err)})
			break
		}
		attempt++
	}
	if timed {
		d := time.Since(t0)
		s.lat = append(s.lat, int64(d))
		switch {
		case d < 200*time.Nanosecond:
			s.mask = 255
		case d < 2*time.Microsecond:
			s.mask = 63
		case d < 20*time.Microsecond:
			s.mask = 7
		default:
			s.mask = 0
		}
	}
	return timed
}

// call runs one attempt of the body.
func (s *childServer[In, Out]) call(v In) (err error) {
	ctx := s.c.ctx
	if s.spec.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.spec.Timeout)
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return s.fn(ctx, v)
}

// backoff waits before the retry after attempt; false if the worker was told to stop.
func (s *childServer[In, Out]) backoff(attempt int32) bool {
	d := s.spec.Backoff
	for i := int32(1); i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	if d <= 0 {
		return true
	}
	return sleepCtx(s.c.ctx, d)
}

func takeState(st *StateSpec) (delta []byte, err error) {
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

func toWireErr(err error) wireErr {
	var pe *PanicError
	if errors.As(err, &pe) && error(pe) == err {
		return wireErr{Msg: fmt.Sprint(pe.Value), Panic: true, Stack: string(pe.Stack)}
	}
	return wireErr{Msg: err.Error()}
}

// takePend moves the emits the Worker holds into the message.
func (s *childServer[In, Out]) takePend() {
	for _, p := range s.w.pend {
		if p.to >= 0 && s.to == nil {
			s.to = make([]int32, len(s.emits), cap(s.emits))
			for i := range s.to {
				s.to[i] = -1
			}
		}
		s.emits = append(s.emits, p.v)
		if s.to != nil {
			s.to = append(s.to, int32(p.to))
		}
	}
	s.w.discard()
}

// partial sends the emits held for the current attempt ahead of its outcome (Worker.onFull),
// with everything finished before it.
func (s *childServer[In, Out]) partial() {
	s.takePend()
	s.streamed = true
	s.flush()
}

// afterItem sends the message when the input is idle, when it is full, or when finished items
// have waited flushAfter.
func (s *childServer[In, Out]) afterItem(last, timed bool) {
	switch {
	case last && s.queueEmpty(),
		len(s.done) >= maxDonePerMessage,
		len(s.emits) >= s.emitCap,
		timed && time.Since(s.lastFlush) >= flushAfter:
		s.flush()
	}
}

// flush sends the message being built.
func (s *childServer[In, Out]) flush() {
	s.lastFlush = time.Now()
	if len(s.done) == 0 && len(s.emits) == 0 && !s.reset && len(s.lat) == 0 {
		return
	}
	err := s.sendMsg(s.done, s.emits, s.to, s.reset, s.lat)
	var ee encodeError
	if errors.As(err, &ee) {
		err = s.flushOneByOne(ee)
	}
	if err != nil {
		os.Exit(workerExitLost)
	}
	if len(s.emits) > 0 {
		s.adaptEmitCap(len(s.emits))
	}
	clear(s.done)
	s.done = s.done[:0]
	clear(s.emits)
	s.emits = s.emits[:0]
	s.to = nil
	s.doneEmits = 0
	s.lat = s.lat[:0]
	s.reset = false
}

// flushOneByOne sends the message item by item after one of its values could not be
// encoded: an item whose emits cannot be encoded fails; if the current item's emits cannot
// be, the current attempt fails.
func (s *childServer[In, Out]) flushOneByOne(first encodeError) error {
	reset, lat := s.reset, s.lat
	at := 0
	for i := range s.done {
		d := &s.done[i]
		n := int(d.nEmit)
		em, to := s.emits[at:at+n], sliceTo(s.to, at, at+n)
		at += n
		err := s.sendMsg(s.done[i:i+1], em, to, reset, lat)
		var ee encodeError
		if errors.As(err, &ee) {
			*d = childDone{status: statusFailed, attempt: d.attempt, sent: d.sent,
				err: wireErr{Msg: fmt.Sprintf("cannot send emitted values to the parent process: %v", ee.err)}}
			err = s.sendMsg(s.done[i:i+1], nil, nil, reset, lat)
		}
		if err != nil {
			return err
		}
		reset, lat = false, nil
	}
	if at < len(s.emits) || reset || lat != nil {
		err := s.sendMsg(nil, s.emits[at:], sliceTo(s.to, at, len(s.emits)), reset, lat)
		var ee encodeError
		if errors.As(err, &ee) {
			s.emitErr = fmt.Errorf("cannot send emitted values to the parent process: %v", ee.err)
			err = s.sendMsg(nil, nil, nil, reset, lat)
		}
		return err
	}
	_ = first
	return nil
}

func sliceTo(to []int32, from, end int) []int32 {
	if to == nil {
		return nil
	}
	return to[from:end]
}

// sendMsg encodes and writes one results message.
func (s *childServer[In, Out]) sendMsg(done []childDone, emits []Out, to []int32, reset bool, lat []int64) error {
	h := wireOut{Kind: outResults, Reset: reset, Done: len(done), NEmit: len(emits), To: to, Lat: lat}
	for i, d := range done {
		if d.status != statusOK && h.Status == nil {
			h.Status = make([]uint8, len(done))
		}
		if h.Status != nil {
			h.Status[i] = d.status
		}
		if d.attempt != d.sent && h.Attempts == nil {
			h.Attempts = make([]int32, len(done))
			for j := range i {
				h.Attempts[j] = done[j].attempt
			}
		}
		if h.Attempts != nil {
			h.Attempts[i] = d.attempt
		}
		if d.status == statusFailed {
			h.Errs = append(h.Errs, d.err)
		}
		if d.status == statusOK && s.state != nil {
			h.Deltas = append(h.Deltas, d.delta)
		}
	}
	if len(emits) > 0 {
		h.Counts = make([]int32, len(done))
		for i, d := range done {
			h.Counts[i] = d.nEmit
		}
		return s.res.send(&h, emits)
	}
	return s.res.send(&h, nil)
}

// adaptEmitCap sizes messages to about targetMessageBytes from the size of the last one.
func (s *childServer[In, Out]) adaptEmitCap(n int) {
	per := s.res.last / n
	if per < 1 {
		per = 1
	}
	s.emitCap = min(max(targetMessageBytes/per, 16), maxEmitsPerMessage)
	s.w.fullAt = s.emitCap
}
