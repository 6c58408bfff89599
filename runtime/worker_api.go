package mgrt

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
)

// This file is what generated code calls for worker processes (DESIGN 3.3): registration,
// ServeWorker, the fork hooks, the merge-state contract and the gob helpers. How workers are
// started and spoken to is in worker_proc.go and worker_wire.go, the worker side in
// worker_child.go, and the drivers in worker_pool.go and worker_batch.go.

// StateSpec is how `state` fields with merge(...) rules cross back from worker processes.
// Generated code implements the closures; the runtime calls them at the moments named. A delta
// from an attempt that failed, or whose worker died before reporting it, is never folded.
type StateSpec struct {
	// Start runs in the parent before each worker process starts: the start values (max, min
	// and union fields).
	Start func() ([]byte, error)
	// Init runs in the worker at its start, before the after_fork hooks: set the start values,
	// empty the sum, append and func fields, allocate maps.
	Init func(start []byte) error
	// Mark runs in the worker before each attempt: remember what a failed attempt must undo.
	Mark func()
	// Undo runs in the worker after a failed attempt: drop its changes.
	Undo func()
	// Take runs in the worker: encode what was added since the last Take, and reset. It is
	// called after the after_fork hooks (that delta is always kept) and after each successful
	// item.
	Take func() ([]byte, error)
	// Fold runs in the parent: fold one delta into the pending merge. The runtime never calls
	// Fold concurrently for one StateSpec.
	Fold func(delta []byte) error
	// Apply runs in the parent once per StateSpec, after every stage ended and before the
	// after_run hooks: merge the pending deltas into the fields.
	Apply func()
}

// RemoteError is an item's failure in a worker process: the body's error or panic, or the
// death of the process while it ran the item. Errors do not cross processes as values:
// errors.Is and errors.As see only the RemoteError.
type RemoteError struct {
	Msg   string // the error's text in the worker (or the panic value, or how the worker died)
	Panic bool
	Stack string // the worker's stack for a panic; the end of its stderr when it died
	PID   int
	// WorkDir is the kept work directory of a process_per_batch(ipc: tempfile) item, for
	// post-mortem; "" otherwise.
	WorkDir string
}

// Error returns the worker's error text ("panic: " and the value for a panic), with the
// work directory when one was kept.
func (e *RemoteError) Error() string {
	msg := e.Msg
	if e.Panic {
		msg = "panic: " + msg
	}
	if e.WorkDir != "" {
		msg += " (work dir kept: " + e.WorkDir + ")"
	}
	return msg
}

// Encode encodes v with encoding/gob (parameters and state mirrors in generated code).
func Encode(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Decode decodes data, made by Encode, into v (a pointer). Empty data leaves v unchanged.
func Decode(data []byte, v any) error {
	if len(data) == 0 {
		return nil
	}
	return gob.NewDecoder(bytes.NewReader(data)).Decode(v)
}

// BeforeFork registers f to run in the parent before each worker process of any process stage
// of the graph starts (before the stage's own BeforeFork hooks). Its error fails the run.
func (g *Graph) BeforeFork(f func(ctx context.Context) error) {
	g.beforeFork = append(g.beforeFork, f)
}

// AfterFork registers f to run in each worker process of any process stage of the graph, at
// its start, before its first item (before the stage's own AfterFork hooks). Its error fails
// the run.
func (g *Graph) AfterFork(f func(ctx context.Context) error) {
	g.afterFork = append(g.afterFork, f)
}

// BeforeFork registers f to run in the parent before each worker process of this stage starts.
func (n *Node[In, Out]) BeforeFork(f func(ctx context.Context) error) {
	n.beforeFork = append(n.beforeFork, f)
}

// AfterFork registers f to run in each worker process of this stage, at its start.
func (n *Node[In, Out]) AfterFork(f func(ctx context.Context) error) {
	n.afterFork = append(n.afterFork, f)
}

// registry holds the pipelines registered with RegisterPipeline, by WorkerKey.
var registry struct {
	mu     sync.Mutex
	builds map[string]func(params []byte) (*Graph, error)
}

// RegisterPipeline registers the build function of the top-level pipeline type P, so that a
// worker process (this executable started again) can build P's graph with the parent's
// parameters and serve one of its stages. Generated code calls it in a package-level var
// initializer, so that every pipeline of a package is registered before the package's init
// functions run. Registering P twice panics.
func RegisterPipeline[P any](build func(params []byte) (*Graph, error)) struct{} {
	key := WorkerKey[P]()
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.builds == nil {
		registry.builds = map[string]func([]byte) (*Graph, error){}
	}
	if registry.builds[key] != nil {
		panic("mgrt: pipeline " + key + " registered twice")
	}
	registry.builds[key] = build
	return struct{}{}
}

func registered(key string) func([]byte) (*Graph, error) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.builds[key]
}

// WorkerKey returns the key that names the pipeline type P to its worker processes: its
// package path and name, e.g. "example.com/shop.Orders".
func WorkerKey[P any]() string {
	t := reflect.TypeFor[P]()
	for t.Kind() == reflect.Pointer && t.Name() == "" {
		t = t.Elem()
	}
	if t.Name() == "" {
		return t.String()
	}
	return t.PkgPath() + "." + t.Name()
}

// keyPackage returns the package path of a WorkerKey (type arguments aside).
func keyPackage(key string) string {
	if i := strings.IndexByte(key, '['); i >= 0 {
		key = key[:i]
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return key
}

// funcPackage returns the package path of a function name as the runtime reports it
// ("example.com/shop.init.0", "main.main"); the linker writes dots of the last path element
// as %2e.
func funcPackage(name string) string {
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return name
	}
	pkg := name[:slash+1+dot]
	return strings.ReplaceAll(pkg, "%2e", ".")
}

// shutdownKey is the context key of WithShutdownTimeout.
type shutdownKey struct{}

// WithShutdownTimeout returns a context that gives runs started with it a worker-process
// shutdown deadline of d, for graphs whose GraphConfig.ShutdownTimeout is 0 (built binaries
// pass -shutdown-timeout this way).
func WithShutdownTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, shutdownKey{}, d)
}

// defaultShutdownTimeout is the worker-process shutdown deadline when nothing sets one.
const defaultShutdownTimeout = 10 * time.Second

// shutdownTimeout returns the run's worker-process shutdown deadline.
func (r *run) shutdownTimeout() time.Duration {
	if d := r.g.cfg.ShutdownTimeout; d > 0 {
		return d
	}
	if d, ok := r.userCtx.Value(shutdownKey{}).(time.Duration); ok && d > 0 {
		return d
	}
	return defaultShutdownTimeout
}

// validateProcessStage returns why stage b cannot run in worker processes, if it cannot.
func (g *Graph) validateProcessStage(b *stageBase) error {
	s := b.spec.Strategy
	if err := processSupport(); err != nil {
		return err
	}
	if s.N < 1 {
		return fmt.Errorf("needs at least one process")
	}
	if s.Kind == ProcessPerBatch && s.IPC != "" && s.IPC != "pipe" && s.IPC != "tempfile" {
		return fmt.Errorf("unknown ipc %q (want pipe or tempfile)", s.IPC)
	}
	if s.Recycle < 0 {
		return fmt.Errorf("recycle %d is negative", s.Recycle)
	}
	if g.cfg.Worker == "" {
		return fmt.Errorf("the graph names no registered pipeline (GraphConfig.Worker) for its worker processes to build")
	}
	if registered(g.cfg.Worker) == nil {
		return fmt.Errorf("pipeline %s is not registered (RegisterPipeline): worker processes could not build it", g.cfg.Worker)
	}
	if inUnservedWorker() {
		return fmt.Errorf("this process was started as a worker process but was never served: the package that registers %s must call ServeWorker from an init function", keyOfUnservedWorker())
	}
	return nil
}

// validateProcessBudget checks GraphConfig.MaxProcesses against the process stages: the
// persistent workers of Processes stages hold their processes for the whole stage, so they
// must fit, with at least one process left for the ProcessPerBatch stages.
func (g *Graph) validateProcessBudget() error {
	limit := g.cfg.MaxProcesses
	if limit <= 0 {
		return nil
	}
	pools, perBatch := 0, false
	var names []string
	for _, n := range g.stages {
		b := n.base()
		if b.spec.Kind == KindAccumulator || b.spec.Kind == KindProducer {
			continue
		}
		switch b.spec.Strategy.Kind {
		case Processes:
			pools += b.spec.Strategy.N
			names = append(names, fmt.Sprintf("%q %s", b.spec.Name, b.spec.Strategy))
		case ProcessPerBatch:
			perBatch = true
		}
	}
	need := pools
	if perBatch {
		need++
	}
	if need > limit {
		what := strings.Join(names, ", ")
		if perBatch {
			what += " and one process for the process_per_batch stages"
		}
		return fmt.Errorf("pipeline %q: max_processes %d is less than the %d worker processes its stages need at once (%s)", g.cfg.Pipeline, limit, need, what)
	}
	return nil
}
