// Package ir resolves and checks parsed .mg files into a Program: every name
// resolved, every edge known, every type and strategy decided, in source
// order. The code generator reads only this model.
package ir

import (
	"go/types"

	"github.com/minigun-go/minigun/dsl"
)

// Program is the checked model of one or more .mg files of one package.
type Program struct {
	Files []*File

	// gopkg is the Go package the generated code belongs to, loaded when the
	// program was checked with Go types; CheckGenerated type-checks in it.
	gopkg *goPackage
	// diags are the checker's own diagnostics, which Go's are deduplicated against.
	diags dsl.Diagnostics
}

// File is one checked .mg file.
type File struct {
	Name      string // as given to dsl.Parse
	Package   string // the package clause, "" when the file has none
	Imports   []Import
	GoBlocks  []GoBlock
	Pipelines []*Pipeline // top-level pipelines in source order
}

// Import is a Go import of the file.
type Import struct {
	Alias   string
	Path    string
	Pos     dsl.Pos // the import spec (its alias, if any)
	PathPos dsl.Pos // the quoted path
}

// GoBlock is a file-level block of verbatim Go declarations.
type GoBlock struct {
	Pos  dsl.Pos // position of the first byte after "{"
	Text string
}

// Type is a Go type as it is spelled in the generated file.
type Type struct {
	Go      string   // e.g. "int", "[]Order", "map[string]int"
	Imports []string // import paths the spelling needs beyond the file's own imports
	Pos     dsl.Pos  // where the type was written or inferred
	// Shape is what the type is underneath, from go/types (UnknownShape when
	// Go types were not loaded, or the type does not type-check).
	Shape TypeShape

	src string     // the type as written in the .mg, "" when inferred
	gt  types.Type // the type from go/types, nil when unknown
}

// TypeShape is what a type is underneath its name (its go/types Underlying):
// the facts that merge rules and flags depend on, decided once in ir so that
// nothing reads them off a type's spelling.
type TypeShape uint8

// Type shapes.
const (
	UnknownShape TypeShape = iota // not type-checked
	SliceShape
	MapShape
	NumberShape  // an integer or floating-point type: ordered, and merge(sum) adds it
	OrderedShape // a string type: ordered, not a number
	BoolShape
	OtherShape
)

// Ordered reports whether values of the shape compare with < (cmp.Ordered).
func (s TypeShape) Ordered() bool { return s == NumberShape || s == OrderedShape }

var shapeNames = [...]string{"unknown", "a slice", "a map", "a number", "a string", "a bool", "another type"}

// String describes the shape in words: "a slice", "a number".
func (s TypeShape) String() string { return shapeNames[s] }

// IsZero reports whether the type is absent.
func (t Type) IsZero() bool { return t.Go == "" }

// SliceOf is the type []t: an accumulator's batch of t.
func SliceOf(t Type) Type {
	s := Type{Go: "[]" + t.Go, Imports: t.Imports, Pos: t.Pos, Shape: SliceShape}
	if t.gt != nil {
		s.gt = types.NewSlice(t.gt)
	}
	return s
}

// Pipeline is a top-level pipeline: a Go type with parameters, state,
// stage bodies and hooks, and the graph it runs.
type Pipeline struct {
	Name    string
	Doc     string // its doc comment in the .mg file, without the slashes
	Pos     dsl.Pos
	Extends *Pipeline // parent, or nil

	Params []*Param       // own and inherited, parent's first; a redeclared default replaces the parent's
	State  []*StateField  // own fields only (a parent's fields are reached through embedding)
	Decls  []*Stage       // stages declared in this pipeline (including inline sub-pipelines), source order
	Hooks  []*Hook        // hooks declared in this pipeline (including inline sub-pipelines)
	Nested []*NestedField // nested pipeline values this pipeline owns

	// Pipeline settings; a zero Value is unset. QueueSize -1 is unbounded.
	QueueSize    Value
	MaxThreads   Value
	MaxProcesses Value
	MaxFailures  *Value // the failure budget (DESIGN 3.6); nil = none
	FailFast     bool

	// Graph is the run graph: own, inherited and nested stages flattened, edges resolved.
	Graph *Graph
	// Runs reports whether the pipeline has a producer anywhere (built mains run it).
	Runs bool
	// AllParams are the parameters its value reaches: its own and inherited,
	// then those of its nested pipelines, depth first in source order.
	AllParams []ParamRef
	// NeedsGob reports whether a value that its worker processes exchange (an item, an emit,
	// a parameter, a merge field's value) may not be made of plain values (PlainValues), so
	// that it crosses through encoding/gob: the generated code then links it (GobcodecPath).
	// Always true with process stages when Go types were not loaded.
	NeedsGob bool
}

// ParamRef is a parameter reached from a pipeline value.
type ParamRef struct {
	Param  *Param
	Path   []string // fields from the pipeline value to the one that holds it: none, or mgNestedT, ...
	Mirror string   // its field in the worker processes' parameter mirror (exported, for gob)
}

// Param is a pipeline parameter: an exported field with a default and a flag.
type Param struct {
	Name       string // Go field name (exported)
	Decl       string // the name as declared
	Doc        string // its doc comment: the field's Go doc and its flag's usage
	Flag       string // flag name in built binaries
	Type       Type
	Default    string  // Go expression, "" = zero value
	DefaultPos dsl.Pos // where the default was written
	Pos        dsl.Pos
	Owner      *Pipeline // pipeline whose struct holds the field
	// DefaultFrom is the pipeline whose declaration gave the default: the
	// owner, or a child that redeclared the parameter.
	DefaultFrom *Pipeline
}

// MergeKind is how a state field written in a worker process comes back.
type MergeKind int

// Merge kinds.
const (
	MergeNone MergeKind = iota
	MergeAppend
	MergeSum
	MergeMax
	MergeMin
	MergeUnion
	MergeFunc
)

var mergeNames = map[string]MergeKind{"append": MergeAppend, "sum": MergeSum, "max": MergeMax, "min": MergeMin, "union": MergeUnion}

// String returns the rule's name as written in merge(...).
func (k MergeKind) String() string {
	for n, v := range mergeNames {
		if v == k {
			return n
		}
	}
	if k == MergeFunc {
		return "func"
	}
	return "none"
}

// StateField is one per-process field of a pipeline.
type StateField struct {
	Name      string
	Type      Type
	Merge     MergeKind
	MergeFunc string  // for MergeFunc: the Go function
	MergePos  dsl.Pos // the rule in merge(...)
	Pos       dsl.Pos
}

// NestedField is a nested pipeline value held by its embedding pipeline.
type NestedField struct {
	Field    string    // Go field name, e.g. "mgNestedTransform"
	Accessor string    // the exported method that returns it, e.g. "NestedTransform"
	Type     *Pipeline // the nested pipeline
	Stage    *Stage    // the `nested` declaration
}

// StageKind is the kind of a stage declaration.
type StageKind int

// Stage kinds.
const (
	Producer StageKind = iota
	Processor
	Consumer
	Accumulator
	Custom
	Nested
	Queue // a named queue: fed by to(NAME), shared by the stages that take from(NAME)
)

var kindNames = [...]string{"producer", "processor", "consumer", "accumulator", "stage", "nested", "queue"}

// String returns the kind as written in .mg.
func (k StageKind) String() string { return kindNames[k] }

// HasInput reports whether stages of the kind receive items.
func (k StageKind) HasInput() bool { return k != Producer }

// StrategyKind is how a stage's bodies run.
type StrategyKind int

// Strategy kinds.
const (
	Inline StrategyKind = iota
	Threads
	ProcessPerBatch
	Processes
	Remote // workers fed through NATS JetStream (DESIGN 3.7)
)

// Strategy is a stage's execution strategy.
type Strategy struct {
	Kind    StrategyKind
	N       Value  // goroutines, processes at once, or workers
	IPC     string // process_per_batch: "pipe" or "tempfile"
	Recycle Value  // processes: replace a worker after this many items

	// remote: items per chunk, how long a chunk may go unacknowledged, chunks
	// in flight, deliveries of a chunk before its items are retried one by one.
	Chunk, AckWait, InFlight, MaxDeliver Value

	Pos dsl.Pos
}

// IsProcess reports whether the strategy runs bodies in worker processes.
func (s Strategy) IsProcess() bool {
	return s.Kind == ProcessPerBatch || s.Kind == Processes || s.Kind == Remote
}

// Routing is the fan-out mode of emit.
type Routing int

// Routing modes.
const (
	Broadcast Routing = iota
	RoundRobin
)

// NameRef is a reference to a stage by (possibly qualified) name.
type NameRef struct {
	Name string
	Pos  dsl.Pos
}

// Stage is a stage declaration.
type Stage struct {
	Kind   StageKind
	Name   string // as declared
	QName  string // qualified within its top-level pipeline: "parse", "ingest.parse"
	Doc    string // its doc comment in the .mg file
	Pos    dsl.Pos
	Owner  *Pipeline // the top-level pipeline that declares it
	Method string    // Go method holding the body or binding call, e.g. "mgStageSave"
	ToType string    // Go type of its dynamic routes (to.NAME), e.g. "mgToOrders_Save"

	InName string // the input parameter's name in the body
	In     Type   // input item type (zero for producers)
	Out    Type   // output item type (zero for consumers)

	Body *Body    // inline Go body, or nil
	Ref  *Binding // bound Go function or value, or nil

	// Accumulators and batches.
	BatchSize Value
	MaxWait   Value
	IsBatch   bool // `batch N`: no body, emits []In

	Total Value // producers: how many items it will emit, for progress; zero = unknown

	Strategy    Strategy // effective strategy (blocks, context, execution and own option applied)
	OwnStrategy bool     // the strategy was written on the stage itself
	To          []NameRef
	From        []NameRef
	Routing     Routing
	QueueSize   Value // zero = pipeline default, -1 = unbounded
	Ordered     bool
	Retry       Value
	Backoff     Value
	Timeout     Value
	DeadLetter  *NameRef
	NestedOf    *Pipeline // Kind == Nested: the embedded pipeline
	Sub         string    // name of the inline sub-pipeline holding it, "" at top level
	UsesTo      bool      // the body can call to.x
	// ConcurrentEmit: the body may emit from goroutines it starts (a go statement, emit in a
	// function literal or as a value), or the stage is bound to Go code the checker cannot see
	// into: its emits are serialized at run time.
	ConcurrentEmit bool
	// Locks: the body takes a lock (calls a method Lock or RLock). Its emits do not call the
	// next stage directly (a chain): that stage could wait for the lock the body holds.
	Locks bool
	// TailEmit: the body's last statement is its only emit, and nothing else in it can see a
	// panic of that emit's callee (no defer, no recover): a stage the body emits to directly
	// (a chain) may let its panics unwind this body to the recovery of a stage before it.
	TailEmit bool
	// UsesCtx: the body names ctx, or the stage is bound to Go code the checker cannot see
	// into: it may read its item's context (ItemKey, the attempt's deadline).
	UsesCtx bool
}

// BatchType is the type of the batch an accumulator receives: []In.
func (st *Stage) BatchType() Type { return SliceOf(st.In) }

// Body is an inline Go body.
type Body struct {
	Text       string
	Pos        dsl.Pos // position of the first byte after "{"
	Terminates bool    // the statements end in a terminating statement
}

// ShapeKind names the accepted shapes of a bound Go function (DESIGN 2.3).
type ShapeKind int

// Binding shapes.
const (
	ShapeProducerEmit      ShapeKind = iota // func(emit func(T))
	ShapeProducerCtxEmit                    // func(ctx, emit func(T)) error
	ShapeProducerSeq                        // func() iter.Seq[T]
	ShapeProcessorValue                     // func(T) U
	ShapeProcessorValueErr                  // func(T) (U, error)
	ShapeProcessorCtxValue                  // func(ctx, T) (U, error)
	ShapeProcessorEmit                      // func(T, emit func(U))
	ShapeProcessorCtxEmit                   // func(ctx, T, emit func(U)) error
	ShapeConsumer                           // func(T)
	ShapeConsumerErr                        // func(T) error
	ShapeConsumerCtx                        // func(ctx, T) error
	ShapeCustom                             // a value implementing mgrt.Stage[In, Out]
)

// Binding is a stage bound to Go code.
type Binding struct {
	Expr   string // the Go expression as written
	Pos    dsl.Pos
	Shape  ShapeKind
	Method bool // a method expression of the pipeline type: called with p as receiver
	Name   string
}

// HookKind is the kind of a hook.
type HookKind int

// Hook kinds.
const (
	BeforeRun HookKind = iota
	AfterRun
	AfterProducer
	BeforeStage
	AfterStage
	BeforeFork
	AfterFork
	OnError
)

var hookNames = [...]string{"before_run", "after_run", "after_producer", "before", "after", "before_fork", "after_fork", "on_error"}

// String returns the hook as written in .mg.
func (k HookKind) String() string { return hookNames[k] }

// Hook is a hook declaration.
type Hook struct {
	Kind   HookKind
	Target *NameRef // for stage hooks; nil for pipeline-wide ones
	Params []HookParam
	Body   Body
	Pos    dsl.Pos
	Owner  *Pipeline
	Sub    string
	Method string // Go method holding the body
}

// HookParam is a named parameter of an on_error hook.
type HookParam struct {
	Name string
	Type Type
}

// Graph is a pipeline's run graph.
type Graph struct {
	Nodes []*Node // source order: parent's first, then own; nested pipelines in place
	Edges []*Edge // source order of their senders
	Hooks []*HookRef
	// Chains are the maximal one-to-one inline runs of stages (see Chain), in
	// the order of their first nodes.
	Chains []*Chain
}

// Chain is a maximal run of two or more stages that pass each item one to
// one on one goroutine, so that the generator may call them directly (DESIGN
// 3.2). Each stage after the first is a processor, consumer or custom stage
// that runs inline, has no queue_size of its own, and has exactly one input:
// one static edge and no dead letters. Its sender has that edge as its only
// output (no dead_letter, no to.NAME routes, no round robin) and is a producer
// (which may only start a chain) or an inline processor or custom stage. No
// stage of a chain retries, times out, is ordered or emits from goroutines it
// starts: each emit can be a direct call of the next body.
type Chain struct {
	Nodes []*Node
}

// Node is one stage in a run graph.
type Node struct {
	Index int
	Name  string // qualified name, unique in the graph: "double", "transform.double", "ingest.parse"
	Decl  *Stage
	Var   string // its variable in the generated mgGraph
	Recv  string // Go expression of the value that owns Decl's method, from mgGraph's receiver (RecvVar)
	In    Type
	Out   Type

	Outs       []*Edge // static downstreams in to(...) order or by the sequential rule
	Routes     []Route // what the body's to.NAME sends to, one per to(...) name
	Ins        []*Edge
	DeadLetter *Edge
	Chain      *Chain // the chain it belongs to, or nil
}

// Route is one name of a stage's to(...): the body's to.FIELD(v) sends to
// every target node that still has an edge from the stage.
type Route struct {
	Field   string // the name the body uses: to.FIELD(v)
	Ref     NameRef
	Targets []*Node
}

// Edge is a static edge between two nodes.
type Edge struct {
	From, To   *Node
	DeadLetter bool
	Pos        dsl.Pos // where the edge was declared (the to/from, or the sender for the sequential rule)
}

// HookRef is a hook bound into a run graph.
type HookRef struct {
	Hook   *Hook
	Recv   string // Go expression of the value that owns the hook's method, from RecvVar
	Target *Node  // for stage hooks
}
