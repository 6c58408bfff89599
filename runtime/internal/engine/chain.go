package engine

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Chains (DESIGN 5, W1a). The compiler finds the one-to-one runs of inline stages: each stage
// after the first has exactly one input, the previous stage's only output, and no retry,
// timeout, dead letter or concurrent emit. It declares such a run with Chain and writes its
// code so that each stage's emit calls the next stage's body directly, on the goroutine of
// the first stage: no queue, no goroutine and no channel per item between them. Each stage of
// a chain keeps what it has in process: its stats (counters per item, latency sampled), its
// hooks, its failures (on_error, fail_fast), a panic recovered per item and stage, its end
// of stream (after the first stage's), cancellation.
//
// The generated code asks the first stage's Emitter for each later stage's FusedStage
// (Emitter.Chained) and brackets each call of a stage's body with it:
//
//	emitDouble := func(v int) {
//		s := 1
//		if !fDouble.Fast() {
//			if s = fDouble.Enter(); s == 0 {
//				return // the run stopped: the producer is unwound
//			}
//		}
//		ok := false
//		defer func() {
//			if !ok {
//				fDouble.Panic(v, recover())
//			}
//		}()
//		if err := p.mgStageDouble(ctx, v, emitInc); err != nil {
//			fDouble.Fail(v, err)
//		}
//		ok = true
//		if s == 2 {
//			fDouble.Leave()
//		}
//	}

// ChainMember is a stage of a chain (a *Node).
type ChainMember interface{ base() *stageBase }

// chainDecl is a chain of a graph.
type chainDecl struct {
	members []*stageBase
}

// Chain declares that the stages after the first run on the first one's goroutine, each
// called directly by the generated code from the emits of the stage before it. It is called
// after the stages are connected; Run checks the chain's shape.
func Chain(members ...ChainMember) {
	if len(members) < 2 {
		return
	}
	c := &chainDecl{}
	for _, m := range members {
		c.members = append(c.members, m.base())
	}
	g := c.members[0].graph
	g.chains = append(g.chains, c)
	for i, b := range c.members {
		b.chain, b.chainIndex = c, i
	}
}

// validateChains returns why a chain cannot run as declared.
func (g *Graph) validateChains() error {
	for _, c := range g.chains {
		for i, b := range c.members {
			fail := func(format string, args ...any) error {
				return &StageError{Stage: b.spec.Name, Pos: b.spec.Pos, Err: fmt.Errorf("chain: "+format, args...)}
			}
			if b.graph != g {
				return fail("a stage of another graph")
			}
			if i == 0 {
				if b.spec.Kind != KindProducer && b.spec.Strategy.goroutines() != 1 || !b.spec.Strategy.Kind.InProcess() {
					return fail("the first stage runs on more than one goroutine")
				}
				continue
			}
			prev := c.members[i-1]
			switch b.spec.Kind {
			case KindProcessor, KindConsumer, KindCustom:
			default:
				return fail("a %s cannot be chained", b.spec.Kind)
			}
			switch {
			case b.spec.Strategy.Kind != Inline:
				return fail("the stage is not inline")
			case len(b.ins) != 1 || b.ins[0] != prev || len(b.dlFrom) != 0:
				return fail("the stage has another input than %q", prev.spec.Name)
			case len(prev.outs) != 1 || prev.dlTo != nil:
				return fail("%q has another output than this stage", prev.spec.Name)
			case b.spec.Retry != 0 || b.spec.Timeout != 0 || b.spec.ConcurrentEmit || b.spec.Ordered || b.dlTo != nil && i < len(c.members)-1:
				return fail("the stage retries, times out, emits concurrently, is ordered or dead-letters")
			case i < len(c.members)-1 && (b.spec.Kind == KindConsumer || b.routing != RoutingBroadcast):
				return fail("the stage does not pass its items on one to one")
			}
		}
	}
	return nil
}

// planChains sets up each chain for a run: a FusedStage per stage after the first.
func (r *run) planChains() {
	for _, c := range r.g.chains {
		head := c.members[0]
		for i, b := range c.members[1:] {
			b.rt.chained = &FusedStage{
				st:       b.rt,
				up:       c.members[i].rt,
				canceled: &r.canceled,
				first:    i == 0 && head.spec.Kind == KindProducer,
			}
			head.rt.kids = append(head.rt.kids, b.rt)
		}
	}
}

// Chained returns the FusedStage of the k-th stage (k >= 1) of the chain that w's stage
// begins, for the goroutine w belongs to.
func (w *Emitter[Out]) Chained(k int) *FusedStage {
	c := w.stage.chain
	if c == nil || w.stage.chainIndex != 0 || k < 1 || k >= len(c.members) {
		panic(fmt.Sprintf("mgrt: stage %q: Chained(%d): no such stage in its chain", w.stage.spec.Name, k))
	}
	f := c.members[k].rt.chained
	if f.rn == nil {
		f.rn = w.rn
		w.rn.addStats(f)
	}
	return f
}

// ChainEmitter returns the Emitter of the last stage of f's chain (a processor or custom
// stage with downstreams of its own), on the chain's goroutine.
func ChainEmitter[T any](f *FusedStage) *Emitter[T] {
	w, ok := f.st.base.node.chainEmitter(f.rn).(*Emitter[T])
	if !ok {
		panic(fmt.Sprintf("mgrt: stage %q: ChainEmitter: the stage emits another type", f.st.base.spec.Name))
	}
	f.out = &w.ws
	return w
}

// chainEmitter makes the Emitter of a chained stage with downstreams of its own. In a chain
// that a producer heads, its buffers are a producer's, which an idle receiver may take from:
// the chain runs on the producer's goroutine, which may sit in user code for a long time
// after an emit, and has no time between items to send them.
func (n *Node[In, Out]) chainEmitter(r *runner) any {
	w := &Emitter[Out]{rn: r}
	w.ws.st = &n.rt.stats
	r.addStats(&w.ws)
	mode := bufPrivate
	if n.chain.members[0].spec.Kind == KindProducer {
		mode = bufProducer
	}
	var sinks []sink[Out]
	for _, t := range n.targets {
		sinks = append(sinks, t.sinkFor(n.rt, r, &w.ws, mode))
	}
	w.init(&n.stageBase, sinks, false, nil)
	return w
}

// FusedStage is one run of a chained stage: what its generated caller reports, per item, on
// the chain's goroutine.
type FusedStage struct {
	_        cacheLinePad
	seen     uint64 // items entered (counted once published); also the sampling clock
	mask     uint64 // an item is timed when seen&mask == 0 (or when its caller is timed)
	done     uint64 // seen, as of the last publish
	sampled  uint64 // seen, as of the last timed item
	canceled *atomic.Bool
	started  bool
	timed    bool
	first    bool // the first stage after a producer: an emit after cancellation unwinds it
	st       *stageRun
	up       *stageRun // the stage before it: its emits are this stage's items
	rn       *runner
	t0       time.Time
	saved    time.Duration
	out      *workerStats // the counters of its emits to queues (the chain's last stage), or nil
	blocked  int64        // out.blockedOut when the timed item started
	_        cacheLinePad
}

// Fast is called first for each item the stage before emits to this one: it counts the item
// and reports true in the common case, where the body just runs. It is small enough to be
// inlined into the generated code. When it reports false, call Enter. The stage after a
// producer calls FastFirst instead, which also stops the producer once the run stopped:
// items past that stage are in flight, and finish.
func (f *FusedStage) Fast() bool {
	f.seen++
	return f.seen&f.mask != 0 && f.rn.timing == 0 // the first item takes Enter: mask starts at 0
}

// FastFirst is Fast for the stage after a producer.
func (f *FusedStage) FastFirst() bool {
	f.seen++
	return f.seen&f.mask != 0 && f.rn.timing == 0 && !f.canceled.Load()
}

// Enter is Fast's slow way, for an item that is sampled, comes after the run stopped, is
// called by a timed item, or is the stage's first. It returns 1 to run the body, and 2 to run
// it timed: call Leave after it. (After a producer, once the run stopped, it unwinds the
// producer's body instead.)
func (f *FusedStage) Enter() int {
	if f.first && f.canceled.Load() {
		return f.refuse()
	}
	if !f.started {
		f.start()
	}
	if f.seen&f.mask == 0 || f.rn.timing > 0 {
		f.timeStart()
		return 2
	}
	return 1
}

// refuse stops the producer before the stage: its emit after the run stopped is refused, as
// the producer's own emit would be (counted there, and its body unwound).
func (f *FusedStage) refuse() int {
	f.seen--
	f.up.stats.dropped.Add(1)
	panic(stopProducer{})
}

func (f *FusedStage) start() {
	f.started = true
	f.st.begin()
	f.st.stats.firstNs.CompareAndSwap(0, time.Now().UnixNano())
}

// timeStart times this item: the time spent in the stages it calls is not its own.
func (f *FusedStage) timeStart() {
	r := f.rn
	f.saved = r.nested
	r.nested = 0
	r.timing++
	f.timed = true
	if f.out != nil {
		f.blocked = f.out.blockedOut
	}
	f.t0 = time.Now()
}

// Leave ends a timed item.
func (f *FusedStage) Leave() {
	d := f.untime()
	if d < 0 {
		return
	}
	f.st.stats.addSample(d, int64(f.seen-f.sampled))
	f.sampled = f.seen
	switch {
	case d < 200*time.Nanosecond:
		f.mask = 1023
	case d < 2*time.Microsecond:
		f.mask = 63
	case d < 20*time.Microsecond:
		f.mask = 7
	default:
		f.mask = 0
	}
	f.publish()
}

// untime ends the timing of an item and returns its own time (-1 if it was not timed).
func (f *FusedStage) untime() time.Duration {
	if !f.timed {
		return -1
	}
	f.timed = false
	r := f.rn
	el := time.Since(f.t0)
	own := el - r.nested
	if f.out != nil {
		if b := f.out.blockedOut - f.blocked; b > 0 {
			own -= time.Duration(b) // waiting for room downstream is not time in the body
		}
	}
	r.timing--
	r.nested = f.saved + el
	return own
}

// Fail records an item whose body returned an error: it failed for good (chained stages do
// not retry).
func (f *FusedStage) Fail(item any, err error) {
	f.st.itemFailed(item, err, 1)
}

// Panic records an item whose body panicked with p (what recover returned in the deferred
// call of the generated code; nil, for runtime.Goexit, is not a failure).
func (f *FusedStage) Panic(item any, p any) {
	if p == nil {
		return
	}
	if _, ok := p.(stopProducer); ok {
		panic(p) // a producer unwinding after cancellation: not this stage's business
	}
	f.untime()
	f.st.itemFailed(item, newPanicError(p), 1)
}

// publish adds the stage's counters to its stats (the publisher interface): its items, which
// are also the emits of the stage before it.
func (f *FusedStage) publish() {
	if n := int64(f.seen - f.done); n != 0 {
		f.st.stats.in.Add(n)
		f.up.stats.out.Add(n)
		f.done = f.seen
	}
}
