package remote

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"github.com/minigun-go/minigun/runtime/internal/engine"
)

// Workers are this same executable started again (DESIGN 3.3): generated code registers each
// top-level pipeline type that has process stages with RegisterPipeline, and calls
// ServeWorker from an init function; ServeWorker finds, in the environment, the pipeline and
// stage the process was started to serve and the transport that started it, and serves.

// The environment variables that make this executable a worker.
const (
	EnvWorker          = "MINIGUN_WORKER"           // the pipeline's WorkerKey
	EnvWorkerStage     = "MINIGUN_WORKER_STAGE"     // the stage's qualified name
	EnvWorkerTransport = "MINIGUN_WORKER_TRANSPORT" // the transport that started it: "exec" if unset
	// EnvWorkerCloseFDs lists the descriptors the parent held without close-on-exec, which
	// the worker inherited but must not keep (a supervisor's pipe, a lock file).
	EnvWorkerCloseFDs = "MINIGUN_WORKER_CLOSE_FDS"
)

// BuildFunc builds a registered pipeline's graph with the parameters a worker was started
// with (nil: the defaults).
type BuildFunc func(params []byte) (*engine.Graph, error)

// registry holds the pipelines registered with RegisterPipeline, by WorkerKey, and the
// transports that serve workers, by name.
var registry struct {
	mu         sync.Mutex
	builds     map[string]BuildFunc
	transports map[string]ServeFunc
}

// ServeFunc serves a worker started by a transport: it connects to the stage, builds the
// pipeline with build and the parameters it receives, serves the stage (Serve), and returns
// the process's exit status.
type ServeFunc func(key, stage string, build BuildFunc) int

// RegisterTransport makes a transport able to serve the workers it starts (name is the value
// of MINIGUN_WORKER_TRANSPORT it sets).
func RegisterTransport(name string, serve ServeFunc) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.transports == nil {
		registry.transports = map[string]ServeFunc{}
	}
	registry.transports[name] = serve
}

// RegisterPipeline registers the build function of the top-level pipeline type P, so that a
// worker can build P's graph with the parameters it was started with and serve one of its
// stages. Generated code calls it in a package-level var initializer, so that every pipeline
// of a package is registered before the package's init functions run. Registering P twice
// panics.
func RegisterPipeline[P any](build BuildFunc) struct{} {
	key := WorkerKey[P]()
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.builds == nil {
		registry.builds = map[string]BuildFunc{}
	}
	if registry.builds[key] != nil {
		panic("mgrt: pipeline " + key + " registered twice")
	}
	registry.builds[key] = build
	return struct{}{}
}

func registered(key string) BuildFunc {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.builds[key]
}

// WorkerKey returns the key that names the pipeline type P to its workers: its package path
// and name, e.g. "example.com/shop.Orders".
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

// KeyPackage returns the package path of a WorkerKey (type arguments aside).
func KeyPackage(key string) string {
	if i := strings.IndexByte(key, '['); i >= 0 {
		key = key[:i]
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return key
}

// FuncPackage returns the package path of a function name as the runtime reports it
// ("example.com/shop.init.0", "main.main"); the linker writes dots of the last path element
// as %2e.
func FuncPackage(name string) string {
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return name
	}
	pkg := name[:slash+1+dot]
	return strings.ReplaceAll(pkg, "%2e", ".")
}

// ServeWorker turns this process into a worker if it was started as one; callerPkg is the
// package path of the code calling it (the generated file's init).
//
// If the process was started as a worker for a pipeline that is registered (by the calling
// package, or by one initialised before it), ServeWorker serves the stage and exits: it never
// returns. If the pipeline is not registered yet and belongs to another package than the
// caller's, it returns (that package's init will serve); if it belongs to the caller's
// package, it exits with an error rather than let a worker fall through to main. Outside a
// worker it returns at once.
func ServeWorker(callerPkg string) {
	ServeWorkerFrom(func() string { return callerPkg })
}

// ServeWorkerFrom is ServeWorker with the caller's package found only if it is needed.
func ServeWorkerFrom(callerPkg func() string) {
	key := os.Getenv(EnvWorker)
	if key == "" {
		return
	}
	build := registered(key)
	if build == nil {
		if callerPkg() != KeyPackage(key) {
			return
		}
		fmt.Fprintf(os.Stderr, "minigun worker: pipeline %s is not registered (RegisterPipeline)\n", key)
		os.Exit(ExitSetup)
	}
	stage := os.Getenv(EnvWorkerStage)
	name := os.Getenv(EnvWorkerTransport)
	if name == "" {
		name = "exec"
	}
	// User code must not see the variables: a program it starts would become a worker.
	os.Unsetenv(EnvWorker)
	os.Unsetenv(EnvWorkerStage)
	os.Unsetenv(EnvWorkerTransport)
	registry.mu.Lock()
	serve := registry.transports[name]
	registry.mu.Unlock()
	if serve == nil {
		fmt.Fprintf(os.Stderr, "minigun worker: no transport %q in this program\n", name)
		os.Exit(ExitSetup)
	}
	os.Exit(serve(key, stage, build))
}

// StartedAsWorker reports whether the environment says this process is a worker (which
// ServeWorker then checks).
func StartedAsWorker() bool { return os.Getenv(EnvWorker) != "" }

// FramePackage returns the package path of the function of a program counter returned by
// runtime.Callers.
func FramePackage(pc uintptr) string {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return FuncPackage(f.Function)
}

// CallerPackage returns the package path of the function skip frames above its caller.
func CallerPackage(skip int) string {
	if pc, _, _, ok := runtime.Caller(skip + 1); ok {
		if f := runtime.FuncForPC(pc); f != nil {
			return FuncPackage(f.Name())
		}
	}
	return ""
}

// InUnservedWorker reports whether this process was started as a worker and not served:
// ServeWorker unsets the variables before it serves.
func InUnservedWorker() bool { return os.Getenv(EnvWorker) != "" }

func keyOfUnservedWorker() string { return os.Getenv(EnvWorker) }

// Child is a stage as a worker serves it.
type Child interface {
	ServeChild(conn ChildConn, hello *ToWorker) int
}

// BuildChild builds a registered pipeline's graph in a worker and returns its stage called
// stage, ready to serve.
func BuildChild(key, stage string, build BuildFunc, params []byte) (Child, error) {
	g, err := callBuild(build, params)
	if err != nil {
		return nil, fmt.Errorf("building pipeline %s: %w", key, err)
	}
	r, ok := g.StageRunner(stage)
	if !ok {
		return nil, fmt.Errorf("pipeline %s has no stage %q", key, stage)
	}
	c, ok := r.(Child)
	if !ok {
		return nil, fmt.Errorf("stage %q of pipeline %s does not run in workers", stage, key)
	}
	return c, nil
}

func callBuild(build BuildFunc, params []byte) (g *engine.Graph, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	g, err = build(params)
	if err == nil && g == nil {
		err = fmt.Errorf("the build function returned no graph")
	}
	return g, err
}

// RemoteError is an item's failure in a worker: the body's error or panic, or the death of
// the worker while it ran the item. Errors do not cross processes as values: errors.Is and
// errors.As see only the RemoteError.
type RemoteError struct {
	Msg   string // the error's text in the worker (or the panic value, or how the worker died)
	Panic bool
	Stack string // the worker's stack for a panic; the end of its stderr when it died
	// At is the line of the .mg file that panicked, from the stack (see engine.PanicPos); the
	// zero Pos when the failure is not a panic or the stack has no frame in a .mg file.
	At   engine.Pos
	PID  int
	Host string // the worker's machine, when it was not this one
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
		if e.At.IsValid() {
			msg += " (panicked at " + e.At.String() + ")"
		}
	}
	if e.WorkDir != "" {
		msg += " (work dir kept: " + e.WorkDir + ")"
	}
	return msg
}

// PanicAt returns At: the .mg line of a panic in the worker (see engine.Failure.PanickedAt).
func (e *RemoteError) PanicAt() engine.Pos { return e.At }

// Encode encodes v (parameters in generated code, state values): nothing for a value of a
// type of size zero (Decode leaves such a value as it is), plain values (numbers, strings,
// and arrays, slices and structs of them) in the raw codec of codec.go, anything else with
// encoding/gob.
func Encode(v any) ([]byte, error) {
	if t := reflect.TypeOf(v); t != nil && t.Size() == 0 {
		return nil, nil
	}
	if b, ok := encodeRawValue(v); ok {
		return b, nil
	}
	var b bytes.Buffer
	if err := newGobEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Decode decodes data, made by Encode, into v (a pointer). Empty data leaves v unchanged.
func Decode(data []byte, v any) error {
	if len(data) == 0 {
		return nil
	}
	if data[0] == 0 {
		return decodeRawValue(data, v)
	}
	return newGobDecoder(bytes.NewReader(data)).Decode(v)
}
