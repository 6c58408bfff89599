package engine

import (
	"strconv"
	"strings"
	"time"
)

// Pos is a position in a .mg file: file name, 1-based line and 1-based byte column.
type Pos struct {
	File      string
	Line, Col int
}

// IsValid reports whether p names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "file:line:col" ("file:line" when Col is 0), or "-" for the zero Pos.
func (p Pos) String() string {
	if !p.IsValid() && p.File == "" {
		return "-"
	}
	if p.Col == 0 {
		return p.File + ":" + strconv.Itoa(p.Line)
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// StageKind says what a stage does with items. The constructors (Producer, Processor, ...)
// set it; the value in a StageSpec given to them is ignored.
type StageKind int

// The stage kinds.
const (
	KindProducer StageKind = iota
	KindProcessor
	KindConsumer
	KindAccumulator
	KindCustom
)

var kindNames = [...]string{"producer", "processor", "consumer", "accumulator", "custom"}

// String returns the kind's .mg keyword: "producer", "processor", "consumer", "accumulator" or
// "custom".
func (k StageKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "StageKind(" + strconv.Itoa(int(k)) + ")"
}

// StrategyKind is how a stage's body is executed.
type StrategyKind int

// The execution strategies. The zero value is Inline.
const (
	Inline          StrategyKind = iota // one goroutine
	Threads                             // N goroutines reading one queue
	ProcessPerBatch                     // a fresh worker process per item
	Processes                           // N persistent worker processes
	Remote                              // worker processes fed through a message engine, here or elsewhere
)

var strategyNames = [...]string{"inline", "threads", "process_per_batch", "processes", "remote"}

// String returns the strategy's .mg name: "inline", "threads", "process_per_batch",
// "processes" or "remote".
func (k StrategyKind) String() string {
	if k >= 0 && int(k) < len(strategyNames) {
		return strategyNames[k]
	}
	return "StrategyKind(" + strconv.Itoa(int(k)) + ")"
}

// InProcess reports whether stages with this strategy run on goroutines of the calling process.
func (k StrategyKind) InProcess() bool { return k == Inline || k == Threads }

// Strategy is a stage's execution strategy with its arguments. The zero value is Inline.
type Strategy struct {
	Kind    StrategyKind `json:"kind"`
	N       int          `json:"n,omitempty"`       // Threads: goroutines; ProcessPerBatch: max processes at once; Processes: workers
	IPC     string       `json:"ipc,omitempty"`     // ProcessPerBatch: "pipe" (default) or "tempfile"
	Recycle int          `json:"recycle,omitempty"` // Processes: replace a worker after this many items; 0 = never

	// Remote: items per chunk, how long a worker may hold a chunk without a sign of life,
	// chunks in flight, deliveries of a chunk before its items are retried one by one (0 =
	// the transport's default for each).
	Chunk      int           `json:"chunk,omitempty"`
	AckWait    time.Duration `json:"ack_wait_ns,omitempty"`
	InFlight   int           `json:"in_flight,omitempty"`
	MaxDeliver int           `json:"max_deliver,omitempty"`
}

// String returns the strategy in .mg syntax: "inline", "threads(4)",
// "process_per_batch(max: 4, ipc: tempfile)", "processes(4, recycle: 100)".
func (s Strategy) String() string {
	var b strings.Builder
	switch s.Kind {
	case Inline:
		return "inline"
	case Threads:
		b.WriteString("threads(")
		b.WriteString(strconv.Itoa(s.N))
	case ProcessPerBatch:
		b.WriteString("process_per_batch(max: ")
		b.WriteString(strconv.Itoa(s.N))
		if s.IPC != "" {
			b.WriteString(", ipc: ")
			b.WriteString(s.IPC)
		}
	case Processes:
		b.WriteString("processes(")
		b.WriteString(strconv.Itoa(s.N))
		if s.Recycle > 0 {
			b.WriteString(", recycle: ")
			b.WriteString(strconv.Itoa(s.Recycle))
		}
	case Remote:
		b.WriteString("remote(")
		b.WriteString(strconv.Itoa(s.N))
		if s.Chunk > 0 {
			b.WriteString(", chunk: ")
			b.WriteString(strconv.Itoa(s.Chunk))
		}
		if s.AckWait > 0 {
			b.WriteString(", ack_wait: ")
			b.WriteString(s.AckWait.String())
		}
		if s.InFlight > 0 {
			b.WriteString(", in_flight: ")
			b.WriteString(strconv.Itoa(s.InFlight))
		}
		if s.MaxDeliver > 0 {
			b.WriteString(", max_deliver: ")
			b.WriteString(strconv.Itoa(s.MaxDeliver))
		}
	default:
		b.WriteString(s.Kind.String())
		b.WriteString("(")
		b.WriteString(strconv.Itoa(s.N))
	}
	b.WriteString(")")
	return b.String()
}

// goroutines is the number of goroutines that run the bodies of a stage with this strategy.
func (s Strategy) goroutines() int {
	if s.Kind == Threads && s.N > 1 {
		return s.N
	}
	return 1
}

// StageSpec describes one stage: its name, position and options. Generated code fills it from
// the .mg file. Producers ignore Strategy, QueueSize, Ordered, Retry, Backoff and Timeout (a
// producer's body runs once and its error fails the run); accumulators ignore Strategy and
// Ordered (they run on one goroutine).
type StageSpec struct {
	Name      string        // qualified stage name, e.g. "double" or "ingest.parse"
	Kind      StageKind     // set by the constructor
	Pos       Pos           // the stage's position in the .mg file
	Strategy  Strategy      // zero value = Inline; ignored for producers and accumulators
	QueueSize int           // input queue capacity in items; 0 = the graph's default; -1 = unbounded
	Ordered   bool          // with Threads: emits leave the stage in input order
	Retry     int           // extra attempts for a failing item (for an accumulator, batch)
	Backoff   time.Duration // delay before the first retry, doubled for each further attempt
	Timeout   time.Duration // deadline of each attempt, through the body's ctx
	Total     int64         // producers: how many items it declares it will emit (total(N)), for progress; 0 unknown

	// ConcurrentEmit says that the body may call emit and to.x from goroutines it starts
	// (the compiler decides it): the stage's Emitter serializes them, and refuses one after
	// the body returned.
	ConcurrentEmit bool

	// NoCtx says that the body never reads its context (the compiler decides it: the body does
	// not name ctx): a remote worker does not make the item's context, which carries its
	// ItemKey, for each item.
	NoCtx bool

	// State is how the merge state of the pipeline value that owns the stage's body crosses
	// back from worker processes (the process strategies); nil if it has none.
	State *StateSpec
}

// Routing is how Emitter.Emit spreads values over a stage's static downstreams.
type Routing int

// The routing modes.
const (
	// RoutingBroadcast sends each emitted value to every static downstream (the default).
	RoutingBroadcast Routing = iota
	// RoutingRoundRobin sends each emitted value to one downstream in turn, starting with the
	// first in Connect order.
	RoutingRoundRobin
)

// String returns "broadcast" or "round_robin".
func (r Routing) String() string {
	switch r {
	case RoutingBroadcast:
		return "broadcast"
	case RoutingRoundRobin:
		return "round_robin"
	}
	return "Routing(" + strconv.Itoa(int(r)) + ")"
}
