package engine

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// defaultQueueSize is the input queue capacity of a stage when neither the graph nor the stage
// sets one.
const defaultQueueSize = 1000

// GraphConfig holds a pipeline's run-wide settings.
type GraphConfig struct {
	Pipeline     string // pipeline name, for results and errors
	QueueSize    int    // default input queue capacity in items; 0 => 1000; -1 => unbounded
	MaxThreads   int    // cap on the bodies of all Threads stages running at once; 0 => no cap
	MaxProcesses int    // cap on the worker processes of all process stages at once; 0 => no cap
	FailFast     bool   // the first item that fails for good (not dead-lettered) fails and cancels the run

	// MaxProcessesAt is where the pipeline sets max_processes, and MaxProcessesParam the
	// parameter it reads ("" for a literal): a cap too small for the stages is reported there.
	MaxProcessesAt    Pos
	MaxProcessesParam string

	// Budget gives the run a failure budget (DESIGN 3.6): up to MaxFailures items may fail
	// for good and the run still succeeds; one more fails the run with a *BudgetError and
	// cancels it, as FailFast does (MaxFailures 0 is FailFast). Without a budget a run whose
	// items failed ends as StatusCompletedWithFailures. WithFailureBudget on the run's context
	// overrides Budget, MaxFailures and FailFast.
	Budget      bool
	MaxFailures int
	// KeepFailures is how many failed items Result.Failures holds, the first ones (every
	// failure is counted all the same); 0 => 1000; -1 => none. WithKeepFailures on the run's
	// context overrides it.
	KeepFailures int

	// Worker process settings (worker_proc.go). Worker is WorkerKey[P]() of the top-level
	// pipeline type whose registered build function worker processes use ("" when the graph
	// has no process stage); Params encodes the pipeline's parameters, called when each worker
	// process starts (after before_run); nil sends none.
	Worker string
	Params func() ([]byte, error)
	// ShutdownTimeout is how long worker processes get to finish once asked to (end of input,
	// cancellation) before they are killed; 0 => the value of WithShutdownTimeout on the run's
	// context, else 10s.
	ShutdownTimeout time.Duration
	// Stdout and Stderr receive the lines worker processes write, prefixed with
	// "[stage pid] "; nil => os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
	// WorkDir is where process_per_batch(ipc: tempfile) work directories and spilled emits go;
	// "" => os.TempDir().
	WorkDir string
}

// Graph is a pipeline: stages, edges between them and hooks. Build it once, then Run it or
// Start it; a graph runs once at a time (a second Run while one is going returns an error).
type Graph struct {
	cfg            GraphConfig
	stages         []stageNode
	edges          []EdgeInfo
	edgeSet        map[[2]int]bool
	beforeRun      []func(context.Context) error
	afterRun       []func(context.Context, *Result) error
	afterProducers []func(context.Context) error
	beforeFork     []func(context.Context) error
	afterFork      []func(context.Context) error
	buildErrs      []error
	chains         []*chainDecl
	running        atomic.Bool
}

// NewGraph returns an empty graph.
func NewGraph(cfg GraphConfig) *Graph {
	return &Graph{cfg: cfg, edgeSet: map[[2]int]bool{}}
}

// Config returns the graph's settings.
func (g *Graph) Config() GraphConfig { return g.cfg }

// SetConfig replaces the graph's settings; it must not be called while the graph runs.
func (g *Graph) SetConfig(cfg GraphConfig) { g.cfg = cfg }

// BeforeRun registers f to run once, before any stage starts. If it fails, no stage runs and
// the run fails.
func (g *Graph) BeforeRun(f func(ctx context.Context) error) {
	g.beforeRun = append(g.beforeRun, f)
}

// AfterRun registers f to run once, after every stage ended, with the run's result so far
// (stats and failures). Its error fails the run.
func (g *Graph) AfterRun(f func(ctx context.Context, r *Result) error) {
	g.afterRun = append(g.afterRun, f)
}

// AfterProducers registers f to run once, when every producer has finished (at once if the
// graph has no producer).
func (g *Graph) AfterProducers(f func(ctx context.Context) error) {
	g.afterProducers = append(g.afterProducers, f)
}

// Invalid records why the graph cannot run: Run and Start then fail with err before any stage
// starts. Generated code reports this way a parameter whose value is out of range for the
// option that reads it (a *ParamError).
func (g *Graph) Invalid(err error) {
	if err != nil {
		g.buildErrs = append(g.buildErrs, err)
	}
}

// ParamError is a parameter whose value, read when the run starts, is out of range for an option
// or a pipeline setting that names it (threads(Workers), max_failures Budget).
type ParamError struct {
	Param  string // the parameter's name
	Value  any    // its value
	Stage  string // the stage whose option reads it; "" for a pipeline setting
	Pos    Pos    // where the option names the parameter
	Option string // the option as written: "threads(Workers)"
	Want   string // the range: "at least 1"
}

// Error returns `file:line:col: stage "x": threads(Workers): parameter Workers is 0, want at least 1`.
func (e *ParamError) Error() string {
	where := ""
	if e.Stage != "" {
		where = fmt.Sprintf("stage %q: ", e.Stage)
	}
	return fmt.Sprintf("%s%s%s: parameter %s is %v, want %s", posPrefix(e.Pos), where, e.Option, e.Param, e.Value, e.Want)
}

// GraphInfo describes a graph's shape.
//
// Its JSON form is the schema documented in stats_json.go.
type GraphInfo struct {
	Pipeline string      `json:"pipeline"`
	Stages   []StageInfo `json:"stages"` // in creation order
	Edges    []EdgeInfo  `json:"edges"`  // in creation order
}

// StageInfo describes one stage.
type StageInfo struct {
	Name      string    `json:"name"`
	Kind      StageKind `json:"kind"`
	Pos       Pos       `json:"pos"`
	Strategy  Strategy  `json:"strategy"`
	QueueSize int       `json:"queue_size"`      // effective input queue capacity; -1 unbounded; 0 for producers
	Total     int64     `json:"total,omitempty"` // producers: the items it declares it will emit (total(N)); 0 unknown
}

// EdgeInfo describes one edge.
type EdgeInfo struct {
	From       string `json:"from"`
	To         string `json:"to"`
	DeadLetter bool   `json:"dead_letter,omitempty"` // a dead-letter edge (failed items of From go to To)
}

// Info returns the graph's stages and edges.
func (g *Graph) Info() GraphInfo {
	gi := GraphInfo{Pipeline: g.cfg.Pipeline, Stages: []StageInfo{}, Edges: append([]EdgeInfo{}, g.edges...)}
	for _, n := range g.stages {
		b := n.base()
		qs := 0
		if b.spec.Kind != KindProducer {
			qs = b.queueSize()
		}
		gi.Stages = append(gi.Stages, StageInfo{
			Name: b.spec.Name, Kind: b.spec.Kind, Pos: b.spec.Pos, Strategy: b.spec.Strategy, QueueSize: qs, Total: b.spec.Total,
		})
	}
	return gi
}

// addStage registers a new stage and returns its index.
func (g *Graph) addStage(n stageNode) int {
	g.stages = append(g.stages, n)
	return len(g.stages) - 1
}

// addEdge records an edge for Info and for the run; it reports false if the edge exists.
func (g *Graph) addEdge(from, to *stageBase, deadLetter bool) bool {
	key := [2]int{from.index, to.index}
	if deadLetter {
		key[0] = -1 - from.index
	}
	if g.edgeSet[key] {
		return false
	}
	g.edgeSet[key] = true
	g.edges = append(g.edges, EdgeInfo{From: from.spec.Name, To: to.spec.Name, DeadLetter: deadLetter})
	return true
}

// validate returns the first reason the graph cannot run in this process.
func (g *Graph) validate() error {
	if len(g.buildErrs) > 0 {
		return g.buildErrs[0]
	}
	names := map[string]bool{}
	for _, n := range g.stages {
		b := n.base()
		s := b.spec
		fail := func(format string, args ...any) error {
			return &StageError{Stage: s.Name, Pos: s.Pos, Err: fmt.Errorf(format, args...)}
		}
		if names[s.Name] {
			return fail("duplicate stage name")
		}
		names[s.Name] = true
		if s.QueueSize < -1 {
			return fail("queue size %d is negative", s.QueueSize)
		}
		if s.Retry < 0 {
			return fail("retry %d is negative", s.Retry)
		}
		if s.Kind == KindProducer {
			if len(b.ins) > 0 || len(b.dlFrom) > 0 {
				return fail("a producer cannot receive items")
			}
			continue
		}
		if s.Kind == KindAccumulator && b.batchSize < 1 {
			return fail("accumulator size %d must be at least 1", b.batchSize)
		}
		switch s.Strategy.Kind {
		case Inline:
		case Threads:
			if s.Strategy.N < 1 && s.Kind != KindAccumulator {
				return fail("threads(%d) needs at least one goroutine", s.Strategy.N)
			}
		case ProcessPerBatch, Processes, Remote:
			if s.Kind != KindAccumulator {
				if s.Strategy.N < 1 && s.Strategy.Kind != Remote {
					return fail("%s needs at least one process", s.Strategy)
				}
				if err := n.validateExternal(); err != nil {
					return fail("%s: %v", s.Strategy, err)
				}
			}
		default:
			return fail("unknown strategy %s", s.Strategy)
		}
	}
	if g.cfg.Budget && g.cfg.MaxFailures < 0 {
		return fmt.Errorf("pipeline %q: max_failures %d is negative", g.cfg.Pipeline, g.cfg.MaxFailures)
	}
	if g.cfg.QueueSize < -1 {
		return fmt.Errorf("pipeline %q: queue size %d is negative", g.cfg.Pipeline, g.cfg.QueueSize)
	}
	if err := g.validateProcessBudget(); err != nil {
		return err
	}
	if err := g.validateChains(); err != nil {
		return err
	}
	return g.checkCycles()
}

// checkCycles returns an error naming a cycle of edges, if there is one: a cycle would never
// end.
func (g *Graph) checkCycles() error {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(g.stages))
	var stack []*stageBase
	var visit func(b *stageBase) error
	visit = func(b *stageBase) error {
		color[b.index] = grey
		stack = append(stack, b)
		next := b.outs
		if b.dlTo != nil {
			next = append(append([]*stageBase(nil), next...), b.dlTo)
		}
		for _, t := range next {
			switch color[t.index] {
			case grey:
				path := ""
				start := 0
				for i, s := range stack {
					if s == t {
						start = i
					}
				}
				for _, s := range stack[start:] {
					path += fmt.Sprintf("%q -> ", s.spec.Name)
				}
				path += fmt.Sprintf("%q", t.spec.Name)
				return &StageError{Stage: t.spec.Name, Pos: t.spec.Pos, Err: fmt.Errorf("cycle: %s", path)}
			case white:
				if err := visit(t); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[b.index] = black
		return nil
	}
	for _, n := range g.stages {
		if b := n.base(); color[b.index] == white {
			if err := visit(b); err != nil {
				return err
			}
		}
	}
	return nil
}

// StageRunner returns the Runner of the stage called name (nil when the engine runs the stage
// itself), and false if the graph has no such stage.
func (g *Graph) StageRunner(name string) (any, bool) {
	for _, n := range g.stages {
		if n.base().spec.Name == name {
			return n.runner(), true
		}
	}
	return nil, false
}

// StageNode returns the stage called name (a *Node[In, Out]), or nil.
func (g *Graph) StageNode(name string) any {
	for _, n := range g.stages {
		if n.base().spec.Name == name {
			return n
		}
	}
	return nil
}
