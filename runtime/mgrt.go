package mgrt

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/engine"
	"github.com/minigun-go/minigun/runtime/internal/procexec"
	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// The graph, its stages and their settings (runtime/internal/engine).
type (
	// Graph is a pipeline: stages, edges between them and hooks. Build it once, then Run it
	// or Start it; a graph runs once at a time.
	Graph = engine.Graph
	// GraphConfig holds a pipeline's run-wide settings.
	GraphConfig = engine.GraphConfig
	// GraphInfo describes a graph's shape; StageInfo one stage, EdgeInfo one edge.
	GraphInfo = engine.GraphInfo
	StageInfo = engine.StageInfo
	EdgeInfo  = engine.EdgeInfo
	// Node is one stage of a graph, receiving In and emitting Out.
	Node[In, Out any] = engine.Node[In, Out]
	// Emitter is the emit handle of one goroutine of a stage, handed to the stage's bind
	// function: its Emit and To send values downstream.
	Emitter[Out any] = engine.Emitter[Out]
	// StageSpec describes one stage: its name, position and options.
	StageSpec = engine.StageSpec
	// StageKind says what a stage does with items.
	StageKind = engine.StageKind
	// Strategy is a stage's execution strategy; StrategyKind its kind.
	Strategy     = engine.Strategy
	StrategyKind = engine.StrategyKind
	// Routing is how Emit spreads values over a stage's static downstreams.
	Routing = engine.Routing
	// Pos is a position in a .mg file: file name, 1-based line and 1-based byte column.
	Pos = engine.Pos
	// Nothing is the input type of producers and the output type of consumers.
	Nothing = engine.Nothing
	// Failed is what a dead-letter stage receives: an item that failed for good.
	Failed[In any] = engine.Failed[In]
	// Stage is implemented by the Go values bound to custom stages (`stage x = GoValue`).
	Stage[In, Out any] = engine.Stage[In, Out]
	// StateSpec is how state fields with merge rules cross back from worker processes.
	StateSpec = engine.StateSpec
)

// The stage kinds.
const (
	KindProducer    = engine.KindProducer
	KindProcessor   = engine.KindProcessor
	KindConsumer    = engine.KindConsumer
	KindAccumulator = engine.KindAccumulator
	KindCustom      = engine.KindCustom
)

// The execution strategies.
const (
	Inline          = engine.Inline
	Threads         = engine.Threads
	ProcessPerBatch = engine.ProcessPerBatch
	Processes       = engine.Processes
	Remote          = engine.Remote
)

// The routing modes.
const (
	RoutingBroadcast  = engine.RoutingBroadcast
	RoutingRoundRobin = engine.RoutingRoundRobin
)

// Runs and what they did.
type (
	// Handle is a run started with Start.
	Handle = engine.Handle
	// Result is what a run did; Status how it ended; StageStats one stage's counters.
	Result     = engine.Result
	Status     = engine.Status
	StageStats = engine.StageStats
	// Failure is an item that failed for good.
	Failure = engine.Failure
	// PanicError is a panic recovered in a stage body or a hook.
	PanicError = engine.PanicError
	// StageError is a fatal error attributed to a stage; HookError one of a run-level hook.
	StageError = engine.StageError
	HookError  = engine.HookError
	// ParamError is a parameter whose value is out of range for an option that reads it.
	ParamError = engine.ParamError
	// BudgetError is the fatal error of a run whose items failed more than its failure
	// budget allows.
	BudgetError = engine.BudgetError
	// RemoteError is an item's failure in a worker process.
	RemoteError = remote.RemoteError
)

// The run statuses.
const (
	StatusSucceeded             = engine.StatusSucceeded
	StatusCompletedWithFailures = engine.StatusCompletedWithFailures
	StatusFailed                = engine.StatusFailed
	StatusCanceled              = engine.StatusCanceled
)

// NewGraph returns an empty graph.
func NewGraph(cfg GraphConfig) *Graph { return engine.NewGraph(cfg) }

// Producer adds a producer: bind is called once, on the producer's goroutine, and the function
// it returns runs once and emits through w. Its error (or panic) fails the run.
func Producer[Out any](g *Graph, spec StageSpec, bind func(w *Emitter[Out]) func(ctx context.Context) error) *Node[Nothing, Out] {
	return engine.Producer(g, spec, bind)
}

// Processor adds a processor: bind is called once per goroutine (or worker process) that runs
// the stage and returns the function called for each item.
func Processor[In, Out any](g *Graph, spec StageSpec, bind func(w *Emitter[Out]) func(ctx context.Context, in In) error) *Node[In, Out] {
	return withRunner(engine.Processor(g, spec, bind))
}

// Consumer adds a consumer: like a processor with no output.
func Consumer[In any](g *Graph, spec StageSpec, bind func(w *Emitter[Nothing]) func(ctx context.Context, in In) error) *Node[In, Nothing] {
	return withRunner(engine.Consumer(g, spec, bind))
}

// Accumulator adds an accumulator: it collects size items and calls the function returned by
// bind with the batch; a partial batch is flushed at end of stream and, with maxWait > 0,
// when its oldest item has waited maxWait. It runs on one goroutine whatever its strategy.
func Accumulator[In, Out any](g *Graph, spec StageSpec, size int, maxWait time.Duration, bind func(w *Emitter[Out]) func(ctx context.Context, batch []In) error) *Node[In, Out] {
	return engine.Accumulator(g, spec, size, maxWait, bind)
}

// Batch adds an accumulator without body: it sends each batch of size items on.
func Batch[In any](g *Graph, spec StageSpec, size int, maxWait time.Duration) *Node[In, []In] {
	return engine.Batch[In](g, spec, size, maxWait)
}

// Custom adds a custom stage: s.Process is called for each item.
func Custom[In, Out any](g *Graph, spec StageSpec, s Stage[In, Out]) *Node[In, Out] {
	return withRunner(engine.Custom(g, spec, s))
}

// Queue creates a named queue: a stage that passes each item on to one of its subscribers in
// turn.
func Queue[T any](g *Graph, spec StageSpec) *Node[T, T] { return engine.Queue[T](g, spec) }

// Connect adds a static edge from -> to.
func Connect[A, T, B any](from *Node[A, T], to *Node[T, B]) { engine.Connect(from, to) }

// DeadLetter makes to the dead-letter stage of from.
func DeadLetter[In, X, Y any](from *Node[In, X], to *Node[Failed[In], Y]) {
	engine.DeadLetter(from, to)
}

// Chains (DESIGN 5): a one-to-one run of inline stages that the generated code calls directly.
type (
	// ChainMember is a stage of a chain.
	ChainMember = engine.ChainMember
	// FusedStage is one run of a chained stage, called on its chain's goroutine.
	FusedStage = engine.FusedStage
)

// Chain declares that the stages after the first run on the first one's goroutine, each
// called directly by the generated code from the emits of the stage before it.
func Chain(members ...ChainMember) { engine.Chain(members...) }

// ChainEmitter returns the Emitter of the last stage of f's chain.
func ChainEmitter[T any](f *FusedStage) *Emitter[T] { return engine.ChainEmitter[T](f) }

// Run runs g until every stage has ended and returns what happened.
func Run(ctx context.Context, g *Graph) (Result, error) { return engine.Run(ctx, g) }

// Start starts running g in the background.
func Start(ctx context.Context, g *Graph) *Handle { return engine.Start(ctx, g) }

// WithShutdownTimeout returns a context that gives runs started with it a worker-process
// shutdown deadline of d, for graphs whose GraphConfig.ShutdownTimeout is 0.
func WithShutdownTimeout(ctx context.Context, d time.Duration) context.Context {
	return engine.WithShutdownTimeout(ctx, d)
}

// WithFailureBudget returns a context that gives runs started with it a failure budget of n
// items, overriding their max_failures and fail_fast (n < 0: no budget).
func WithFailureBudget(ctx context.Context, n int) context.Context {
	return engine.WithFailureBudget(ctx, n)
}

// WithKeepFailures returns a context that makes runs started with it keep the first n failed
// items in Result.Failures (every failure is counted all the same).
func WithKeepFailures(ctx context.Context, n int) context.Context {
	return engine.WithKeepFailures(ctx, n)
}

// PanicPos returns the innermost frame of a stack trace that is in a .mg file.
func PanicPos(stack []byte) Pos { return engine.PanicPos(stack) }

// withRunner gives a stage of a process strategy its runner: the worker stage of package
// remote over the transport of the strategy.
func withRunner[In, Out any](n *Node[In, Out]) *Node[In, Out] {
	switch n.Spec().Strategy.Kind {
	case ProcessPerBatch, Processes:
		remote.New(n, procexec.Transport)
	case Remote:
		t := remote.RemoteTransport()
		if t == nil {
			t = noRemoteTransport{}
		}
		remote.New(n, t)
	}
	return n
}

// ItemKey returns a deterministic key of the item a body runs, "<job>/<stage>/<chunk>/<index>",
// in the body's ctx in the workers of a remote stage, and "" elsewhere. The body of a remote
// stage runs at least once per item and may run again after a worker died (its effects in the
// pipeline happen once): a side effect keyed by ItemKey (an upsert, a conditional write) is
// idempotent across those runs.
func ItemKey(ctx context.Context) string { return remote.ItemKey(ctx) }

// noRemoteTransport refuses remote stages in a program that does not link the transport of
// remote stages (runtime/nats registers itself with remote.SetRemoteTransport; generated code
// imports it for pipelines that have remote stages).
type noRemoteTransport struct{}

func (noRemoteTransport) Slots(StageSpec) int { return 1 }
func (noRemoteTransport) Check(StageSpec) error {
	return fmt.Errorf("remote stages need the NATS transport, which this program does not link (import github.com/minigun-go/minigun/runtime/nats)")
}
func (noRemoteTransport) Open(remote.Run) (remote.Session, error) {
	return nil, fmt.Errorf("remote stages need a transport this program does not include")
}

// Worker processes.

// RegisterPipeline registers the build function of the top-level pipeline type P, so that a
// worker process can build P's graph with the parameters it was started with and serve one of
// its stages. Generated code calls it in a package-level var initializer.
func RegisterPipeline[P any](build func(params []byte) (*Graph, error)) struct{} {
	return remote.RegisterPipeline[P](build)
}

// WorkerKey returns the key that names the pipeline type P to its worker processes.
func WorkerKey[P any]() string { return remote.WorkerKey[P]() }

// ServeWorker turns this process into a worker if it was started as one: it serves the stage
// and exits. Generated code calls it from an init function; outside a worker it returns at
// once. It is not inlined: the frame runtime.Callers skips to is its caller's.
//
//go:noinline
func ServeWorker() {
	if !remote.StartedAsWorker() {
		return
	}
	var pc [1]uintptr
	runtime.Callers(2, pc[:])
	remote.ServeWorkerFrom(func() string { return remote.FramePackage(pc[0]) })
}

// KillWorkers kills every worker process this process started that still runs. A program
// that must exit at once calls it first, so that no worker outlives it.
func KillWorkers() { procexec.KillAll() }

// Encode encodes v for a worker process (parameters in generated code): plain values in a
// compact encoding of the runtime's, anything else with encoding/gob.
func Encode(v any) ([]byte, error) { return remote.Encode(v) }

// Decode decodes data, made by Encode, into v (a pointer). Empty data leaves v unchanged.
func Decode(data []byte, v any) error { return remote.Decode(data, v) }

// Merge state.

// MergeField is one state field with a merge rule; the Merge functions make them.
type MergeField = remote.MergeField

// Number is what merge(sum) adds.
type Number = remote.Number

// NewState returns the StateSpec of a pipeline value's merge fields.
func NewState(fields ...MergeField) *StateSpec { return remote.NewState(fields...) }

// MergeSum is merge(sum): the values workers add are added to the parent's field.
func MergeSum[T Number](name string, field *T) MergeField { return remote.MergeSum(name, field) }

// MergeAppend is merge(append): the elements workers append are appended to the parent's field.
func MergeAppend[S ~[]E, E any](name string, field *S) MergeField {
	return remote.MergeAppend(name, field)
}

// MergeUnion is merge(union): the keys workers set are set in the parent's map.
func MergeUnion[M ~map[K]V, K comparable, V any](name string, field *M) MergeField {
	return remote.MergeUnion(name, field)
}

// MergeMax is merge(max): the parent's field becomes the largest value any worker held.
func MergeMax[T cmp.Ordered](name string, field *T) MergeField { return remote.MergeMax(name, field) }

// MergeMin is merge(min): the parent's field becomes the smallest value any worker held.
func MergeMin[T cmp.Ordered](name string, field *T) MergeField { return remote.MergeMin(name, field) }

// MergeFunc is merge(FUNC): each worker's additions are combined with f(into, from).
func MergeFunc[T any](name string, field *T, f func(into, from T) T) MergeField {
	return remote.MergeFunc(name, field, f)
}
