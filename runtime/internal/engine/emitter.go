package engine

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// sink is where a goroutine puts the values it sends to one downstream stage: a buffer of
// that stage's input queue (outBuf, or prodBuf for a producer).
type sink[T any] interface {
	put(v T)
}

// noSink is the sink of a stage chained to its sender: the generated code calls it directly.
type noSink[T any] struct{}

func (noSink[T]) put(T) {}

// Worker is the emit context of one goroutine of a stage, handed to the stage's bind function.
// Its methods must only be called from the body running on that goroutine.
type Emitter[Out any] struct {
	ws workerStats
	// Fast paths of Emit, when there is one downstream and emits are not held: a private queue
	// buffer, or a producer's buffer.
	ob    *outBuf[Out]
	pb    *prodBuf[Out]
	sinks []sink[Out] // static downstreams, in Connect order
	tos   []func(Out)

	roundRobin bool
	next       int            // round robin position of this goroutine
	sharedRR   *atomic.Uint64 // round robin position shared by the stage's goroutines

	buffering bool // hold an attempt's emits until it succeeds (retry, ordered)
	pend      []pendingEmit[Out]
	// In a worker process, every emit is held, and onFull ships the held emits to the parent
	// once there are fullAt of them (worker_child.go).
	onFull func()
	fullAt int

	stop  *atomic.Bool // producers: the run's canceled flag; an emit after it unwinds the body
	stage *stageBase
	rn    *runner // the goroutine it belongs to

	// safe, for a body that may emit from goroutines it starts (StageSpec.ConcurrentEmit):
	// emits are serialized, and one after the body returned is refused.
	safe *safeEmit
}

// safeEmit serializes the emits of a body that may call emit from goroutines it starts.
type safeEmit struct {
	mu      sync.Mutex
	running bool
	refused atomic.Bool
	body    uint64 // a producer's: the goroutine that runs the body (goid), which an emit after cancellation unwinds
}

// pendingEmit is an emit held until its item's attempt succeeds; to is the downstream index
// of a To(i) send, or -1 for Emit.
type pendingEmit[Out any] struct {
	to int
	v  Out
}

// stopProducer is the panic value that unwinds a producer's body when it emits after the run
// was canceled; the runtime recovers it.
type stopProducer struct{}

// Emit sends v to every static downstream (broadcast), or to the next one in turn (round
// robin). With retries, the emits of an attempt are held until the attempt succeeds. It may
// wait for room downstream (backpressure). In a producer, an emit after the run was canceled
// unwinds the body (the runtime recovers) and the value is counted as dropped.
//
// The single-downstream cases are spelled out here rather than calling the buffers' put
// methods: Emit runs once per item per stage.
func (w *Emitter[Out]) Emit(v Out) {
	if w.safe != nil {
		w.safeEmit(-1, v)
		return
	}
	if b := w.ob; b != nil {
		w.ws.out++
		if b.buf == nil {
			b.buf = b.q.getChunk()
		}
		b.buf = append(b.buf, v)
		if len(b.buf) == cap(b.buf) || b.req.epoch.Load() != b.served {
			b.send()
		}
		return
	}
	if b := w.pb; b != nil {
		if w.stop != nil && w.stop.Load() { // nil: a chain's last stage, which the head stops
			w.stopped()
		}
		w.ws.out++
		b.put(v)
		return
	}
	w.emit(-1, v)
}

// To returns the function that sends to the i-th static downstream only (in Connect order).
// The function is created once per worker.
func (w *Emitter[Out]) To(i int) func(Out) {
	if i < 0 || i >= len(w.tos) {
		panic(fmt.Sprintf("mgrt: stage %q: To(%d): the stage has %d static downstreams", w.stage.spec.Name, i, len(w.tos)))
	}
	return w.tos[i]
}

// init wires w for a goroutine of stage b: the sinks of its static downstreams, To functions
// and emit mode.
func (w *Emitter[Out]) init(b *stageBase, sinks []sink[Out], buffering bool, stop *atomic.Bool) {
	w.stage = b
	w.sinks = sinks
	w.roundRobin = b.routing == RoutingRoundRobin
	w.buffering = buffering
	w.stop = stop
	n := len(b.outs)
	w.tos = make([]func(Out), n)
	if b.spec.ConcurrentEmit {
		w.safe = &safeEmit{}
	}
	for i := range n {
		w.tos[i] = func(v Out) {
			if w.safe != nil {
				w.safeEmit(i, v)
				return
			}
			w.emit(i, v)
		}
	}
	if len(sinks) == 1 && !buffering {
		switch s := sinks[0].(type) {
		case *outBuf[Out]:
			if !s.shared {
				w.ob = s
			}
		case *prodBuf[Out]:
			w.pb = s
		}
	}
}

// safeEmit is Emit and To(to) of a body that may emit from goroutines it starts: one at a
// time, while the body runs. An emit after the run was canceled unwinds a producer's body
// when the body's own goroutine makes it (from a function literal it calls, say), and is
// dropped from another goroutine (which cannot be unwound as the body can); one after the
// body returned is refused, and fails the run.
func (w *Emitter[Out]) safeEmit(to int, v Out) {
	s := w.safe
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		if w.stop != nil && w.stop.Load() {
			w.ws.dropped++ // a canceled producer's goroutines, after its body unwound
			return
		}
		if s.refused.CompareAndSwap(false, true) {
			if rt := w.stage.rt; rt != nil {
				rt.run.failRun(&StageError{Stage: w.stage.spec.Name, Pos: w.stage.spec.Pos,
					Err: errors.New("emit called after the body returned: a goroutine the body started emitted after it; wait for the goroutines a body starts (a sync.WaitGroup) before it returns")})
			}
		}
		return
	}
	if w.stop != nil && w.stop.Load() {
		if s.body != 0 && goid() == s.body {
			w.stopped() // s.mu is released as the body unwinds
		}
		w.ws.dropped++
		return
	}
	if to < 0 && w.pb != nil {
		w.ws.out++
		w.pb.put(v)
		return
	}
	w.send(to, v) // not emit: it would unwind this goroutine, which may not be the body's, if the run stopped since
}

// BodyStart and BodyEnd bracket a run of the body, for an Emitter that serializes the
// emits of goroutines the body starts (no-ops otherwise).
func (w *Emitter[Out]) BodyStart() {
	if s := w.safe; s != nil {
		s.mu.Lock()
		s.running = true
		if w.stop != nil {
			s.body = goid() // once per run: a producer's body runs once
		}
		s.mu.Unlock()
	}
}

// goid returns the calling goroutine's id, from the first line of its stack trace
// ("goroutine 18 [running]:"); 0 if that cannot be read. It is slow (a microsecond): it
// runs once per producer, and in its emits after the run was canceled.
func goid() uint64 {
	var buf [32]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b, ok := bytes.CutPrefix(b, []byte("goroutine "))
	if !ok {
		return 0
	}
	id := uint64(0)
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// BodyEnd: see BodyStart.
func (w *Emitter[Out]) BodyEnd() {
	if s := w.safe; s != nil {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}
}

// stopped unwinds a producer that emits after the run was canceled; the value is counted as
// dropped.
func (w *Emitter[Out]) stopped() {
	w.ws.dropped++
	panic(stopProducer{})
}

func (w *Emitter[Out]) emit(to int, v Out) {
	if w.stop != nil && w.stop.Load() {
		w.stopped()
	}
	w.send(to, v)
}

// send is emit past its check for a stopped producer.
func (w *Emitter[Out]) send(to int, v Out) {
	if w.buffering {
		w.pend = append(w.pend, pendingEmit[Out]{to, v})
		if w.onFull != nil && len(w.pend) >= w.fullAt {
			w.onFull()
		}
		return
	}
	w.ws.out++
	w.route(to, v)
}

func (w *Emitter[Out]) route(to int, v Out) {
	s := w.sinks
	switch {
	case to >= 0:
		s[to].put(v)
	case len(s) == 1:
		s[0].put(v)
	case len(s) == 0:
	case w.roundRobin:
		var i int
		if w.sharedRR != nil {
			i = int((w.sharedRR.Add(1) - 1) % uint64(len(s)))
		} else {
			i = w.next
			w.next++
			if w.next == len(s) {
				w.next = 0
			}
		}
		s[i].put(v)
	default:
		for _, d := range s {
			d.put(v)
		}
	}
}

// release sends the emits held for a successful attempt.
func (w *Emitter[Out]) release() {
	if len(w.pend) == 0 {
		return
	}
	for _, p := range w.pend {
		w.ws.out++
		w.route(p.to, p.v)
	}
	w.discard()
}

// discard drops the emits held for a failed attempt.
func (w *Emitter[Out]) discard() {
	clear(w.pend)
	w.pend = w.pend[:0]
}

// NewHoldingEmitter returns the Emitter of a stage's body in a worker process: every emit is
// held until TakeHeld or DiscardHeld, and full is called (from the emit) once fullAt are held,
// to send them ahead of the item's outcome.
func NewHoldingEmitter[In, Out any](n *Node[In, Out], full func(), fullAt int) *Emitter[Out] {
	w := &Emitter[Out]{}
	w.init(&n.stageBase, nil, true, nil)
	w.onFull, w.fullAt = full, fullAt
	return w
}

// TakeHeld hands the held emits, in order, to f (to is the index of a To target, -1 for
// Emit), and forgets them.
func (w *Emitter[Out]) TakeHeld(f func(to int, v Out)) {
	for _, p := range w.pend {
		f(p.to, p.v)
	}
	w.discard()
}

// DiscardHeld drops the held emits (a failed attempt's).
func (w *Emitter[Out]) DiscardHeld() { w.discard() }

// SetFullAt sets how many held emits make the Emitter call its full function.
func (w *Emitter[Out]) SetFullAt(n int) { w.fullAt = n }

// Held returns how many emits are held, and the first of them.
func (w *Emitter[Out]) Held() (n int, first Out) {
	if len(w.pend) > 0 {
		first = w.pend[0].v
	}
	return len(w.pend), first
}
