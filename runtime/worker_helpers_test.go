package mgrt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// The worker-process tests run real worker processes: the test binary itself, which TestMain
// turns into a worker when it was started as one (as the init function of a generated file
// does). Their pipelines are registered below, like generated code registers its own.

func TestMain(m *testing.M) {
	if os.Getenv("MGRT_TEST_NOOP") != "" {
		os.Exit(0) // the reference child of the process_per_batch benchmark: start and exit
	}
	ServeWorker()
	os.Exit(m.Run())
}

// wp is the pipeline type of the worker tests. Its parameters name a scenario; its build
// function makes the scenario's graph, in the test and in the workers alike.
type wp struct {
	P wpParams

	// merge state (scenario "state")
	Sum  int
	Seen []int
	Set  map[int]bool
	Max  int
	Min  int
	// worker-local, no merge rule
	tries       map[int]int
	forkedGraph int
	forkedStage int
	forkOrder   string

	// parent side
	got        collector[wpOut]
	gotA, gotB collector[int]
	strs       collector[string]
	dead       collector[Failed[int]]
	beforeFork atomic.Int64
	onItem     func(n int) // called by the consumer with the number of items so far
	seen       atomic.Int64
}

type wpParams struct {
	Scenario  string
	N         int    // items 1..N
	Batch     int    // batch size before a process_per_batch stage
	Kind      string // "ppb" or "pool"
	IPC       string
	Procs     int
	Recycle   int
	Retry     int
	Ordered   bool
	Mult      int
	MultLater int // set by before_run: what the workers must see
	PanicAt   int // the item (or the batch holding it) that panics
	FailAt    int // the item that returns an error
	Sleep     time.Duration
	IgnoreCtx bool   // sleeping items ignore cancellation
	Size      int    // scenario "big": bytes per string
	Exit      int    // the item whose worker exits (os.Exit(3)) the first time
	Marker    string // a file that says the worker for Exit died already; with IgnoreCtx, that an item sleeps
	DeadLet   bool   // failed items go to a dead-letter stage
	Print     bool   // items print to stdout and stderr
	ForkErr   bool   // the after_fork hook fails
	Consumer  bool   // scenario "state": the process stage is a consumer
	RR        bool   // scenario "route": round robin
	Timeout   time.Duration
	SlowAt    int // this item sleeps SlowFor
	SlowFor   time.Duration
	Spawn     string // item 1 starts "sleep 60" on the worker's stdout and writes its pid here
	PIDDir    string // scenario "batches": a batch's worker makes a file named by its pid here
}

// wpOut is what the test stages emit.
type wpOut struct {
	V, PID, Graph, Stage int
	Order                string
	T0, T1               int64 // scenario "batches": when the batch's body started and ended (unix ns)
}

var _ = RegisterPipeline[wp](func(params []byte) (*Graph, error) {
	p := &wp{}
	if err := Decode(params, &p.P); err != nil {
		return nil, err
	}
	return p.graph()
})

var wpScenarios map[string]func(p *wp, g *Graph)

func init() {
	wpScenarios = map[string]func(p *wp, g *Graph){
		"items":   wpItems,
		"batches": wpBatches,
		"big":     wpBig,
		"state":   wpStateScenario,
		"route":   wpRoute,
		"chain":   wpChain,
	}
}

func (p *wp) graph() (*Graph, error) {
	build := wpScenarios[p.P.Scenario]
	if build == nil {
		return nil, fmt.Errorf("no scenario %q", p.P.Scenario)
	}
	g := NewGraph(GraphConfig{
		Pipeline: "wp",
		Worker:   WorkerKey[wp](),
		Params:   func() ([]byte, error) { return Encode(p.P) },
	})
	g.BeforeRun(func(context.Context) error {
		if p.P.MultLater != 0 {
			p.P.Mult = p.P.MultLater
		}
		return nil
	})
	build(p, g)
	return g, nil
}

// newWP returns the test's pipeline value and its graph, with worker output and work
// directories under the test's control.
func newWP(t *testing.T, prm wpParams) (*wp, *Graph) {
	t.Helper()
	p := &wp{P: prm}
	g, err := p.graph()
	if err != nil {
		t.Fatal(err)
	}
	setConfig(g, func(c *GraphConfig) { c.WorkDir = t.TempDir() })
	return p, g
}

func (p *wp) strategy() Strategy {
	if p.P.Kind == "ppb" {
		return Strategy{Kind: ProcessPerBatch, N: p.P.Procs, IPC: p.P.IPC}
	}
	return Strategy{Kind: Processes, N: p.P.Procs, Recycle: p.P.Recycle}
}

func (p *wp) workSpec() StageSpec {
	s := spec("work")
	s.Strategy = p.strategy()
	s.Retry = p.P.Retry
	s.Ordered = p.P.Ordered
	s.Timeout = p.P.Timeout
	return s
}

func (p *wp) producer(g *Graph) *Node[Nothing, int] {
	return Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := 1; i <= p.P.N; i++ {
				w.Emit(i)
			}
			return nil
		}
	})
}

// forkHooks counts before_fork in the parent and records the after_fork hooks in the worker.
func (p *wp) forkHooks(g *Graph, n interface {
	BeforeFork(func(context.Context) error)
	AfterFork(func(context.Context) error)
}) {
	g.BeforeFork(func(context.Context) error {
		p.beforeFork.Add(1)
		return nil
	})
	g.AfterFork(func(context.Context) error {
		if p.P.ForkErr {
			return errors.New("no database")
		}
		p.forkedGraph++
		p.forkOrder += "g"
		return nil
	})
	n.AfterFork(func(context.Context) error {
		p.forkedStage++
		p.forkOrder += "s"
		return nil
	})
}

// item is the body of the test stages for one value: it may sleep, print, panic, fail or
// exit as the parameters say.
func (p *wp) item(ctx context.Context, v int) error {
	if os.Getenv(remote.EnvWorker) != "" || os.Getenv(remote.EnvWorkerStage) != "" {
		return errors.New("the worker variables are visible to user code")
	}
	if p.P.Sleep > 0 {
		if p.P.IgnoreCtx {
			if p.P.Marker != "" {
				_ = os.WriteFile(p.P.Marker, nil, 0o600) // a worker holds an item
			}
			time.Sleep(p.P.Sleep)
		} else if !sleepCtx(ctx, p.P.Sleep) {
			return ctx.Err()
		}
	}
	if v == p.P.SlowAt {
		time.Sleep(p.P.SlowFor)
	}
	if v == 1 && p.P.Spawn != "" {
		cmd := exec.Command("sleep", "60")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		_ = os.WriteFile(p.P.Spawn, []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
	}
	if p.P.Print {
		fmt.Printf("out %d\n", v)
		fmt.Fprintf(os.Stderr, "err %d\n", v)
	}
	if v == p.P.PanicAt {
		panic(fmt.Sprintf("boom at %d", v))
	}
	if v == p.P.FailAt {
		return fmt.Errorf("item %d failed", v)
	}
	if v == p.P.Exit {
		// The first worker to run it dies (every one, without a marker file); the marker file
		// tells the next one.
		if _, err := os.Stat(p.P.Marker); p.P.Marker == "" || err != nil {
			_ = os.WriteFile(p.P.Marker, nil, 0o600)
			os.Exit(3)
		}
	}
	return nil
}

func (p *wp) out(v int) wpOut {
	return wpOut{V: v * max(p.P.Mult, 1), PID: os.Getpid(), Graph: p.forkedGraph, Stage: p.forkedStage, Order: p.forkOrder}
}

func (p *wp) consumer(g *Graph) *Node[wpOut, Nothing] {
	return Consumer(g, spec("sink"), func(*Emitter[Nothing]) func(context.Context, wpOut) error {
		return func(_ context.Context, v wpOut) error {
			p.got.add(v)
			if p.onItem != nil {
				p.onItem(int(p.seen.Add(1)))
			}
			return nil
		}
	})
}

func (p *wp) deadLetters(g *Graph, from *Node[int, wpOut]) {
	d := Consumer(g, spec("dead"), func(*Emitter[Nothing]) func(context.Context, Failed[int]) error {
		return func(_ context.Context, f Failed[int]) error {
			p.dead.add(f)
			return nil
		}
	})
	DeadLetter(from, d)
}

// wpItems: src 1..N -> work (process stage on each int) -> sink.
func wpItems(p *wp, g *Graph) {
	src := p.producer(g)
	work := Processor(g, p.workSpec(), func(w *Emitter[wpOut]) func(context.Context, int) error {
		return func(ctx context.Context, v int) error {
			if err := p.item(ctx, v); err != nil {
				return err
			}
			w.Emit(p.out(v))
			return nil
		}
	})
	p.forkHooks(g, work)
	sink := p.consumer(g)
	Connect(src, work)
	Connect(work, sink)
	if p.P.DeadLet {
		p.deadLetters(g, work)
	}
}

// wpRoute: src 1..N -> work -> a, b. Odd items go to b only (To(1)), even ones are emitted
// (to both, or in turn with RR).
func wpRoute(p *wp, g *Graph) {
	src := p.producer(g)
	work := Processor(g, p.workSpec(), func(w *Emitter[int]) func(context.Context, int) error {
		toB := w.To(1)
		return func(_ context.Context, v int) error {
			if v%2 == 1 {
				toB(v)
			} else {
				w.Emit(v)
			}
			return nil
		}
	})
	if p.P.RR {
		work.SetRouting(RoutingRoundRobin)
	}
	for _, c := range []*collector[int]{&p.gotA, &p.gotB} {
		sink := Consumer(g, spec("sink"+strconv.Itoa(len(g.Info().Stages))), func(*Emitter[Nothing]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				c.add(v)
				return nil
			}
		})
		Connect(work, sink)
	}
	Connect(src, work)
}

// wpBatches: src 1..N -> batch -> work (process stage on each batch) -> sink.
func wpBatches(p *wp, g *Graph) {
	src := p.producer(g)
	b := Batch[int](g, spec("batch"), p.P.Batch, 0)
	work := Processor(g, p.workSpec(), func(w *Emitter[wpOut]) func(context.Context, []int) error {
		return func(ctx context.Context, batch []int) error {
			if p.P.PIDDir != "" {
				_ = os.WriteFile(filepath.Join(p.P.PIDDir, strconv.Itoa(os.Getpid())), nil, 0o600)
			}
			t0 := time.Now().UnixNano()
			for _, v := range batch {
				if err := p.item(ctx, v); err != nil {
					return err
				}
			}
			t1 := time.Now().UnixNano()
			for _, v := range batch {
				o := p.out(v)
				o.T0, o.T1 = t0, t1
				w.Emit(o)
			}
			return nil
		}
	})
	p.forkHooks(g, work)
	sink := p.consumer(g)
	Connect(src, b)
	Connect(b, work)
	Connect(work, sink)
}

// wpChain: src 1..N -> work (process stage, emits Mult copies of each item) -> again (a
// process stage of the same strategy) -> sink: process stages that feed each other.
func wpChain(p *wp, g *Graph) {
	src := p.producer(g)
	work := Processor(g, p.workSpec(), func(w *Emitter[int]) func(context.Context, int) error {
		return func(ctx context.Context, v int) error {
			if err := p.item(ctx, v); err != nil {
				return err
			}
			for range max(p.P.Mult, 1) {
				w.Emit(v)
			}
			return nil
		}
	})
	s := p.workSpec()
	s.Name = "again"
	s.QueueSize = 4 // "work" blocks on it soon
	again := Processor(g, s, func(w *Emitter[wpOut]) func(context.Context, int) error {
		return func(ctx context.Context, v int) error {
			if err := p.item(ctx, v); err != nil {
				return err
			}
			w.Emit(wpOut{V: v, PID: os.Getpid()})
			return nil
		}
	})
	sink := p.consumer(g)
	Connect(src, work)
	Connect(work, again)
	Connect(again, sink)
}

// wpBig: one item, for which the worker emits N strings of Size bytes (each starts with its
// index).
func wpBig(p *wp, g *Graph) {
	src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			w.Emit(1)
			return nil
		}
	})
	work := Processor(g, p.workSpec(), func(w *Emitter[string]) func(context.Context, int) error {
		return func(_ context.Context, v int) error {
			pad := strings.Repeat("x", p.P.Size)
			for i := range p.P.N {
				w.Emit(strconv.Itoa(i) + ":" + pad)
			}
			if v == p.P.FailAt {
				return errors.New("failed after emitting")
			}
			return nil
		}
	})
	sink := Consumer(g, spec("sink"), func(*Emitter[Nothing]) func(context.Context, string) error {
		return func(_ context.Context, s string) error {
			p.strs.add(s)
			return nil
		}
	})
	Connect(src, work)
	Connect(work, sink)
}

// wpStateScenario: src 1..N -> work (merge state) -> sink. Items divisible by 7, and item 1,
// fail after changing the state; items divisible by 5 fail on their first attempt only.
func wpStateScenario(p *wp, g *Graph) {
	src := p.producer(g)
	s := p.workSpec()
	s.State = p.stateSpec()
	body := func(v int) error {
		p.Sum += v
		p.Seen = append(p.Seen, v)
		p.Set[v%10] = true
		p.Max = max(p.Max, v)
		p.Min = min(p.Min, v)
		if v%7 == 0 || v == 1 {
			return fmt.Errorf("item %d fails", v)
		}
		if v%5 == 0 {
			if p.tries == nil {
				p.tries = map[int]int{}
			}
			p.tries[v]++
			if p.tries[v] == 1 {
				return fmt.Errorf("item %d fails once", v)
			}
		}
		return nil
	}
	g.BeforeFork(func(context.Context) error {
		p.beforeFork.Add(1)
		return nil
	})
	afterFork := func(context.Context) error {
		p.Seen = append(p.Seen, -1)
		p.Sum += 1000
		return nil
	}
	if p.P.Consumer {
		work := Consumer(g, s, func(*Emitter[Nothing]) func(context.Context, int) error {
			return func(_ context.Context, v int) error { return body(v) }
		})
		work.AfterFork(afterFork)
		Connect(src, work)
		return
	}
	work := Processor(g, s, func(w *Emitter[wpOut]) func(context.Context, int) error {
		return func(_ context.Context, v int) error {
			if err := body(v); err != nil {
				return err
			}
			w.Emit(p.out(v))
			return nil
		}
	})
	work.AfterFork(afterFork)
	sink := p.consumer(g)
	Connect(src, work)
	Connect(work, sink)
}

// stateSpec is written as the generator writes it: Sum merge(sum), Seen merge(append), Set
// merge(union), Max merge(max), Min merge(min).
func (p *wp) stateSpec() *StateSpec {
	return NewState(
		MergeSum("Sum", &p.Sum),
		MergeAppend("Seen", &p.Seen),
		MergeUnion("Set", &p.Set),
		MergeMax("Max", &p.Max),
		MergeMin("Min", &p.Min),
	)
}

// noProcLeak checks, at the end of the test, that no child process of the test is left and
// that no file descriptor opened during the test stayed open.
func noProcLeak(t *testing.T) {
	t.Helper()
	// The first pipe sets up the runtime's poller, whose descriptors stay: do it before counting.
	r, w, err := os.Pipe()
	if err == nil {
		r.Close()
		w.Close()
	}
	before := openFDs(t)
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			kids := childPIDs()
			after := openFDs(t)
			if len(kids) == 0 && len(after) <= len(before) {
				return
			}
			if time.Now().After(deadline) {
				if len(kids) > 0 {
					t.Errorf("child processes left: %v", kids)
				}
				if len(after) > len(before) {
					t.Errorf("descriptors leaked: %d open before, %d after:\nbefore %v\nafter  %v", len(before), len(after), before, after)
				}
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// openFDs lists this process's open descriptors with what they are.
func openFDs(t *testing.T) []string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	var out []string
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory being read
		}
		out = append(out, e.Name()+"="+target)
	}
	return out
}

// childPIDs returns the processes whose parent is this one.
func childPIDs() []int {
	me := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok && ppid == me {
			out = append(out, pid)
		}
	}
	slices.Sort(out)
	return out
}

func parentOf(pid int) (int, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// lockedBuffer is a concurrency-safe buffer for worker output.
type lockedBuffer struct {
	mu  chan struct{}
	buf []byte
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{mu: make(chan struct{}, 1)} }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	b.buf = append(b.buf, p...)
	<-b.mu
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return string(b.buf)
}
