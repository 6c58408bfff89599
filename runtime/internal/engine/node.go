package engine

import (
	"context"
	"fmt"
	"time"
)

// Nothing is the input type of producers and the output type of consumers.
type Nothing struct{}

// Failed is what a dead-letter stage receives: an item that failed for good in Stage.
type Failed[In any] struct {
	Item     In     // the item (for an accumulator, one item of the failed batch)
	Err      error  // the last attempt's error, exactly as the body returned it, or a *PanicError
	Stage    string // qualified name of the stage where it failed
	Attempts int    // how many times the body ran for it
}

// Stage is implemented by the Go values bound to custom stages (`stage x = GoValue`).
// Process handles one item and may call emit any number of times; it is called from every
// goroutine of the stage (Threads(N) shares one value between N goroutines).
type Stage[In, Out any] interface {
	Process(ctx context.Context, in In, emit func(Out)) error
}

// stageBase is the part of a stage that does not depend on its item types.
type stageBase struct {
	graph      *Graph
	node       stageNode
	index      int
	spec       StageSpec
	routing    Routing
	before     []func(context.Context) error
	after      []func(context.Context) error
	onError    []func(context.Context, error, any) error
	beforeFork []func(context.Context) error // process stages: parent, before each worker starts
	afterFork  []func(context.Context) error // process stages: worker, at its start
	outs       []*stageBase                  // static downstreams, in Connect order
	ins        []*stageBase                  // static upstreams
	dlTo       *stageBase                    // dead-letter downstream
	dlFrom     []*stageBase                  // stages whose dead letters come here
	batchSize  int                           // accumulators
	maxWait    time.Duration
	chain      *chainDecl // the chain the stage is part of, or nil
	chainIndex int        // its place in it
	rt         *stageRun  // the current run's state of this stage
}

// queueSize returns the stage's effective input queue capacity (-1 unbounded).
func (b *stageBase) queueSize() int {
	if b.spec.QueueSize != 0 {
		return b.spec.QueueSize
	}
	if b.graph.cfg.QueueSize != 0 {
		return b.graph.cfg.QueueSize
	}
	return defaultQueueSize
}

// stageNode is what a Graph knows of a typed stage (*Node[In, Out]).
type stageNode interface {
	base() *stageBase
	// prepare makes the stage's typed per-run state: its input queue unless it is chained.
	prepare(r *run)
	// inputCloser returns the stage's input queue, for its senders to say they ended.
	inputCloser() queueCloser
	// driver returns what runs the stage's bodies (not called for chained stages).
	driver() stageDriver
	// validateExternal checks the Runner of a stage run outside the engine.
	validateExternal() error
	// runner returns the Runner of a stage run outside the engine, or nil.
	runner() any
	// chainEmitter makes the Emitter of a chained stage on its chain's goroutine.
	chainEmitter(r *runner) any
	// abandonOrder stops an ordered stage's goroutines that wait for room (ordered.go).
	abandonOrder()
}

// Node is one stage of a graph, receiving In and emitting Out.
type Node[In, Out any] struct {
	stageBase
	targets []inlet[Out]      // static downstreams, in Connect order
	dead    inlet[Failed[In]] // dead-letter downstream

	produce    func(w *Emitter[Out]) func(ctx context.Context) error
	each       func(w *Emitter[Out]) func(ctx context.Context, in In) error
	accumulate func(w *Emitter[Out]) func(ctx context.Context, batch []In) error
	external   Runner[In, Out] // process strategies: what runs the bodies

	// per run
	q   *queue[In]
	ord *reorder[Out]
}

// inlet is a stage seen by its senders: it receives T.
type inlet[T any] interface {
	base() *stageBase
	// sinkFor returns where a goroutine of the sending stage from puts the items it sends to
	// this stage: a buffer of this stage's input queue (none when this stage is chained to
	// its sender, which calls it directly).
	sinkFor(from *stageRun, r *runner, ws *workerStats, mode bufMode) sink[T]
}

// bufMode says who fills a sender buffer.
type bufMode int

const (
	bufPrivate  bufMode = iota // one goroutine of a processor, consumer, custom stage or accumulator
	bufProducer                // a producer: the receiver may take the buffer's items (prodBuf)
	bufShared                  // the goroutines of an ordered stage, under a lock
)

func newNode[In, Out any](g *Graph, spec StageSpec, kind StageKind) *Node[In, Out] {
	spec.Kind = kind
	n := &Node[In, Out]{}
	n.stageBase = stageBase{graph: g, node: n, spec: spec}
	n.index = g.addStage(n)
	return n
}

func (n *Node[In, Out]) base() *stageBase { return &n.stageBase }

// Name returns the stage's qualified name.
func (n *Node[In, Out]) Name() string { return n.spec.Name }

// Spec returns the stage's spec.
func (n *Node[In, Out]) Spec() StageSpec { return n.spec }

// Producer adds a producer: bind is called once, on the producer's goroutine, and the function
// it returns runs once and emits through w. Its error (or panic) fails the run.
func Producer[Out any](g *Graph, spec StageSpec, bind func(w *Emitter[Out]) func(ctx context.Context) error) *Node[Nothing, Out] {
	n := newNode[Nothing, Out](g, spec, KindProducer)
	n.produce = bind
	return n
}

// Processor adds a processor: bind is called once per goroutine that runs the stage (N times
// for Threads(N)) and returns the function called for each item.
func Processor[In, Out any](g *Graph, spec StageSpec, bind func(w *Emitter[Out]) func(ctx context.Context, in In) error) *Node[In, Out] {
	n := newNode[In, Out](g, spec, KindProcessor)
	n.each = bind
	return n
}

// Consumer adds a consumer: like a processor with no output.
func Consumer[In any](g *Graph, spec StageSpec, bind func(w *Emitter[Nothing]) func(ctx context.Context, in In) error) *Node[In, Nothing] {
	n := newNode[In, Nothing](g, spec, KindConsumer)
	n.each = bind
	return n
}

// Accumulator adds an accumulator: it collects size items and calls the function returned by
// bind with the batch; a partial batch is flushed at end of stream (also when the run is
// canceled) and, with maxWait > 0, when its oldest item has waited maxWait. It runs on one
// goroutine whatever its strategy. A failed batch goes to the dead-letter stage item by item.
func Accumulator[In, Out any](g *Graph, spec StageSpec, size int, maxWait time.Duration, bind func(w *Emitter[Out]) func(ctx context.Context, batch []In) error) *Node[In, Out] {
	n := newNode[In, Out](g, spec, KindAccumulator)
	n.batchSize, n.maxWait = size, maxWait
	n.accumulate = bind
	return n
}

// Batch adds an accumulator without body: it sends each batch of size items on.
func Batch[In any](g *Graph, spec StageSpec, size int, maxWait time.Duration) *Node[In, []In] {
	return Accumulator(g, spec, size, maxWait, func(w *Emitter[[]In]) func(context.Context, []In) error {
		return func(_ context.Context, batch []In) error {
			w.Emit(batch)
			return nil
		}
	})
}

// Custom adds a custom stage: s.Process is called for each item.
func Custom[In, Out any](g *Graph, spec StageSpec, s Stage[In, Out]) *Node[In, Out] {
	n := newNode[In, Out](g, spec, KindCustom)
	n.each = func(w *Emitter[Out]) func(context.Context, In) error {
		emit := w.Emit
		return func(ctx context.Context, in In) error { return s.Process(ctx, in, emit) }
	}
	return n
}

// Connect adds a static edge from -> to. Connecting the same pair twice makes one edge. The
// order of the Connect calls from a stage is the order of its downstreams for Emitter.To and
// round robin.
func Connect[A, T, B any](from *Node[A, T], to *Node[T, B]) {
	g := from.graph
	if g != to.graph {
		g.buildErrs = append(g.buildErrs, fmt.Errorf("connect %q -> %q: stages of different graphs", from.spec.Name, to.spec.Name))
		return
	}
	if !g.addEdge(&from.stageBase, &to.stageBase, false) {
		return
	}
	from.targets = append(from.targets, to)
	from.outs = append(from.outs, &to.stageBase)
	to.ins = append(to.ins, &from.stageBase)
}

// DeadLetter makes to the dead-letter stage of from: an item that failed for good in from
// (after its last retry) is sent to to as a Failed value instead of being recorded in
// Result.Failures. A stage has at most one dead-letter stage.
func DeadLetter[In, X, Y any](from *Node[In, X], to *Node[Failed[In], Y]) {
	g := from.graph
	switch {
	case g != to.graph:
		g.buildErrs = append(g.buildErrs, fmt.Errorf("dead letter %q -> %q: stages of different graphs", from.spec.Name, to.spec.Name))
		return
	case from.dlTo == &to.stageBase:
		return
	case from.dlTo != nil:
		g.buildErrs = append(g.buildErrs, &StageError{Stage: from.spec.Name, Pos: from.spec.Pos,
			Err: fmt.Errorf("two dead-letter stages: %q and %q", from.dlTo.spec.Name, to.spec.Name)})
		return
	}
	g.addEdge(&from.stageBase, &to.stageBase, true)
	from.dead = to
	from.dlTo = &to.stageBase
	to.dlFrom = append(to.dlFrom, &from.stageBase)
}

// SetRouting sets how Emitter.Emit spreads values over the stage's static downstreams.
func (n *Node[In, Out]) SetRouting(r Routing) { n.routing = r }

// Before registers f to run once before the stage's first item (for a producer, before its
// body); if no item ever arrives, at the stage's end just before its After hooks.
func (n *Node[In, Out]) Before(f func(ctx context.Context) error) { n.before = append(n.before, f) }

// After registers f to run once after the stage's last item, also when the stage failed.
func (n *Node[In, Out]) After(f func(ctx context.Context) error) { n.after = append(n.after, f) }

// OnError registers f to run for each item that failed for good in the stage (not for items
// sent to a dead-letter stage). item is the item (for an accumulator, the batch).
func (n *Node[In, Out]) OnError(f func(ctx context.Context, err error, item any) error) {
	n.onError = append(n.onError, f)
}

// prepare makes the stage's input queue for this run.
func (n *Node[In, Out]) prepare(r *run) {
	n.q, n.ord = nil, nil
	if n.spec.Kind == KindProducer || n.rt.chained != nil {
		return
	}
	n.q = newQueue[In](r, n.queueSize(), len(n.ins)+len(n.dlFrom))
	n.rt.gauge.Store(queueGauge(n.q))
}

func (n *Node[In, Out]) inputCloser() queueCloser {
	if n.q == nil {
		return nil
	}
	return n.q
}

func (n *Node[In, Out]) sinkFor(from *stageRun, r *runner, ws *workerStats, mode bufMode) sink[In] {
	switch {
	case n.rt.chained != nil:
		return noSink[In]{} // its sender calls it directly
	case mode == bufProducer:
		return n.q.newProdBuf(r, ws)
	case mode == bufShared:
		return n.q.newOutBuf(nil, nil, &from.stats, true)
	}
	return n.q.newOutBuf(r, ws, &from.stats, false)
}

func (n *Node[In, Out]) validateExternal() error {
	switch n.spec.Kind {
	case KindProcessor, KindConsumer, KindCustom:
	default:
		return fmt.Errorf("a %s cannot run in worker processes", n.spec.Kind)
	}
	if n.external == nil {
		return fmt.Errorf("no runner for the strategy (the stage was not made by package mgrt)")
	}
	return n.external.Validate()
}

// GraphConfig returns the settings of the stage's graph.
func (n *Node[In, Out]) GraphConfig() GraphConfig { return n.graph.cfg }

func (n *Node[In, Out]) runner() any {
	if n.external == nil {
		return nil
	}
	return n.external
}
