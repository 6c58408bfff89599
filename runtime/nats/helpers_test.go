package mgnats_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
	mgnats "github.com/minigun-go/minigun/runtime/nats"
)

// The tests run real worker processes: the test binary itself, which TestMain turns into a
// worker when it was started as one, as the init function of a generated file does; with
// MGTEST_SERVE it serves the stage for every job, as `prog -worker double -nats URL` does.

func TestMain(m *testing.M) {
	mgrt.ServeWorker()
	if stage := os.Getenv("MGTEST_SERVE"); stage != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := mgnats.Serve(ctx, mgrt.WorkerKey[tp](), stage, mgnats.WorkerConfig{Config: mgnats.Config{URL: os.Getenv("MGTEST_URL"), Token: os.Getenv(mgnats.EnvToken)}})
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// A temporary directory of its own: the tests look for store directories left in it,
	// which other test processes (examples with remote stages) also make.
	tmp, err := os.MkdirTemp("", "mgnats-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("TMPDIR", tmp)
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// The fingerprint of the test pipeline: MGTEST_FP makes a worker that differs.
var _ = mgnats.Register(mgrt.WorkerKey[tp](), cmp.Or(os.Getenv("MGTEST_FP"), "fp-test"), "double")

// tp is the test pipeline: src 1..N -> double (remote: x*2, state Sum += x) -> sink.
type tp struct {
	P   tpParams
	Sum int // merge(sum)

	got        atomic.Int64 // the sink's sum of what double emitted
	count      atomic.Int64
	mu         sync.Mutex
	seen       map[int]int // with Track: how often each value reached the sink
	keys       []string
	order      []int        // with Ordered: what reached the sink, in order
	tries      int          // in a worker: attempts of FailOnce
	forked     bool         // in a worker: after_fork ran
	beforeFork atomic.Int64 // in the coordinator
	dead       atomic.Int64
}

type tpParams struct {
	N        int
	Procs    int
	Chunk    int
	InFlight int
	AckWait  time.Duration
	Retry    int
	Kill     int    // the item whose worker dies (os.Exit) the first time
	Marker   string // a file that says the worker for Kill died already
	Poison   int    // the item whose worker always dies
	Poisons  int    // also every item v with v%Poisons == Poison
	Sleep    time.Duration
	Track    bool // the sink records each value and the item keys
	Ordered  bool
	Dead     bool
	NoState  bool // no merge state (the benchmark)
	Big      int  // every item emits this many bytes more (in Key)
	Huge     int  // this item emits 2 MiB more: more than a message carries
	FailOnce int  // this item's first attempt returns an error
	Fail     int  // this item always returns an error
	Hooks    bool // before_fork counts in the coordinator; after_fork must run in each worker
	NoCtx    bool // the stage says its body does not read ctx (as the compiler does)
}

var _ = mgrt.RegisterPipeline[tp](func(params []byte) (*mgrt.Graph, error) {
	p := &tp{}
	if err := mgrt.Decode(params, &p.P); err != nil {
		return nil, err
	}
	return p.graph(), nil
})

func (p *tp) graph() *mgrt.Graph {
	g := mgrt.NewGraph(mgrt.GraphConfig{Pipeline: "tp", Worker: mgrt.WorkerKey[tp](),
		Params: func() ([]byte, error) { return mgrt.Encode(p.P) }})
	src := mgrt.Producer(g, mgrt.StageSpec{Name: "src"}, func(w *mgrt.Emitter[int]) func(context.Context) error {
		return func(ctx context.Context) error {
			for i := 1; i <= p.P.N; i++ {
				if ctx.Err() != nil {
					return nil
				}
				w.Emit(i)
			}
			return nil
		}
	})
	spec := mgrt.StageSpec{Name: "double", Pos: mgrt.Pos{File: "tp.mg", Line: 3, Col: 2},
		Strategy: mgrt.Strategy{Kind: mgrt.Remote, N: p.P.Procs, Chunk: p.P.Chunk, AckWait: p.P.AckWait, InFlight: p.P.InFlight},
		Retry:    p.P.Retry, Ordered: p.P.Ordered, NoCtx: p.P.NoCtx}
	if !p.P.NoState {
		spec.State = mgrt.NewState(mgrt.MergeSum("Sum", &p.Sum))
	}
	type out struct {
		V   int
		Key string
	}
	double := mgrt.Processor(g, spec, func(w *mgrt.Emitter[out]) func(context.Context, int) error {
		return func(ctx context.Context, v int) error {
			if p.P.Sleep > 0 {
				time.Sleep(p.P.Sleep)
			}
			if p.P.Hooks && !p.forked {
				return errors.New("after_fork did not run in this worker")
			}
			if v == p.P.FailOnce {
				if p.tries++; p.tries == 1 {
					return errors.New("first attempt fails")
				}
			}
			if v == p.P.Fail {
				return fmt.Errorf("item %d fails", v)
			}
			if v == p.P.Poison || p.P.Poisons > 0 && v%p.P.Poisons == p.P.Poison {
				os.Exit(7)
			}
			if v == p.P.Kill {
				if _, err := os.Stat(p.P.Marker); err != nil {
					_ = os.WriteFile(p.P.Marker, nil, 0o600)
					os.Exit(7)
				}
			}
			if !p.P.NoState {
				p.Sum += v
			}
			o := out{V: v * 2}
			if p.P.Track {
				o.Key = mgrt.ItemKey(ctx)
			}
			if p.P.Big > 0 {
				o.Key = strings.Repeat("x", p.P.Big)
			}
			if v == p.P.Huge {
				o.Key = strings.Repeat("x", 2<<20)
			}
			w.Emit(o)
			return nil
		}
	})
	sink := mgrt.Consumer(g, mgrt.StageSpec{Name: "sink"}, func(*mgrt.Emitter[mgrt.Nothing]) func(context.Context, out) error {
		return func(_ context.Context, o out) error {
			p.got.Add(int64(o.V))
			p.count.Add(1)
			if p.P.Ordered {
				p.mu.Lock()
				p.order = append(p.order, o.V/2)
				p.mu.Unlock()
			}
			if p.P.Track {
				p.mu.Lock()
				if p.seen == nil {
					p.seen = map[int]int{}
				}
				p.seen[o.V/2]++
				p.keys = append(p.keys, o.Key)
				p.mu.Unlock()
			}
			return nil
		}
	})
	if p.P.Hooks {
		g.BeforeFork(func(context.Context) error { p.beforeFork.Add(1); return nil })
		double.AfterFork(func(context.Context) error { p.forked = true; return nil })
	}
	mgrt.Connect(src, double)
	mgrt.Connect(double, sink)
	if p.P.Dead {
		dl := mgrt.Consumer(g, mgrt.StageSpec{Name: "dead"}, func(*mgrt.Emitter[mgrt.Nothing]) func(context.Context, mgrt.Failed[int]) error {
			return func(_ context.Context, f mgrt.Failed[int]) error {
				if f.Item == p.P.Fail && f.Attempts == p.P.Retry+1 && strings.Contains(f.Err.Error(), "fails") {
					p.dead.Add(1)
				}
				return nil
			}
		})
		mgrt.DeadLetter(double, dl)
	}
	return g
}

func newTP(t *testing.T, prm tpParams) (*tp, *mgrt.Graph) {
	t.Helper()
	p := &tp{P: prm}
	g := p.graph()
	return p, g
}

func wantSum(n int) int64 { return int64(n) * int64(n+1) }

func stage(t *testing.T, res mgrt.Result, name string) mgrt.StageStats {
	t.Helper()
	s, ok := res.Stage(name)
	if !ok {
		t.Fatalf("no stage %q in %v", name, res.Stages)
	}
	return s
}

// noLeak fails the test if goroutines, child processes or store directories it started are
// left at its end.
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	dirs := storeDirs()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			kids := childPIDs()
			left := slices.DeleteFunc(storeDirs(), func(d string) bool { return slices.Contains(dirs, d) })
			if n <= before && len(kids) == 0 && len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				if n > before {
					buf := make([]byte, 1<<20)
					buf = buf[:runtime.Stack(buf, true)]
					t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
				}
				if len(kids) > 0 {
					t.Errorf("child processes left: %v", kids)
				}
				if len(left) > 0 {
					t.Errorf("store directories left: %v", left)
				}
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func storeDirs() []string {
	ents, _ := os.ReadDir(os.TempDir())
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "minigun-nats-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// childPIDs returns the processes whose parent is this one.
func childPIDs() []int { return childrenOf(os.Getpid()) }

// childrenOf lists the live child processes of pid.
func childrenOf(me int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) >= 2 && f[1] == strconv.Itoa(me) {
			out = append(out, pid)
		}
	}
	return out
}

var errTimeout = errors.New("timeout")
