package mgrt

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The worker-process benchmarks of DESIGN §5 (here the test binary is the worker):
//
//	W3  batch 100 → process_per_batch(max: 4) → sum   vs bare os/exec of a child that does
//	    nothing, 4 at a time (this test binary told to exit at once, and a minimal Go binary)
//	W4  processes(4), x*2 → sum                        items/s (target ≥ 1M/s on 2 cores)
//
// Run with: go test -run x -bench 'W3|W4' ./runtime/

// benchPipe is the pipeline type of the worker benchmarks.
type benchPipe struct {
	P     benchParams
	total int
}

type benchParams struct {
	N, Batch, Procs int
	PerBatch        bool
}

var _ = RegisterPipeline[benchPipe](func(params []byte) (*Graph, error) {
	p := &benchPipe{}
	if err := Decode(params, &p.P); err != nil {
		return nil, err
	}
	return p.graph(), nil
})

func (p *benchPipe) graph() *Graph {
	g := NewGraph(GraphConfig{Pipeline: "bench", Worker: WorkerKey[benchPipe](), Params: func() ([]byte, error) { return Encode(p.P) }})
	src := Producer(g, StageSpec{Name: "src"}, func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := range p.P.N {
				w.Emit(i)
			}
			return nil
		}
	})
	sum := Consumer(g, StageSpec{Name: "sum"}, func(*Emitter[Nothing]) func(context.Context, int) error {
		return func(_ context.Context, x int) error {
			p.total += x
			return nil
		}
	})
	if p.P.PerBatch {
		b := Batch[int](g, StageSpec{Name: "batch"}, p.P.Batch, 0)
		work := Processor(g, StageSpec{Name: "work", Strategy: Strategy{Kind: ProcessPerBatch, N: p.P.Procs}},
			func(w *Emitter[int]) func(context.Context, []int) error {
				return func(_ context.Context, batch []int) error {
					s := 0
					for _, x := range batch {
						s += x
					}
					w.Emit(s)
					return nil
				}
			})
		Connect(src, b)
		Connect(b, work)
		Connect(work, sum)
		return g
	}
	work := Processor(g, StageSpec{Name: "work", Strategy: Strategy{Kind: Processes, N: p.P.Procs}},
		func(w *Emitter[int]) func(context.Context, int) error {
			emit := w.Emit
			return func(_ context.Context, x int) error {
				emit(double(x))
				return nil
			}
		})
	Connect(src, work)
	Connect(work, sum)
	return g
}

func runBenchPipe(b *testing.B, prm benchParams) {
	b.Helper()
	p := &benchPipe{P: prm}
	res, err := Run(context.Background(), p.graph())
	if err != nil {
		b.Fatal(err)
	}
	want := 0
	for i := range prm.N {
		if prm.PerBatch {
			want += i
		} else {
			want += 2 * i
		}
	}
	if p.total != want {
		b.Fatalf("sum %d, want %d (%+v)", p.total, want, res.Stages)
	}
}

// BenchmarkW3ProcessPerBatch: one op is one batch of 100 ints in a fresh worker process.
func BenchmarkW3ProcessPerBatch(b *testing.B) {
	runBenchPipe(b, benchParams{N: 100 * b.N, Batch: 100, Procs: 4, PerBatch: true})
}

// BenchmarkW3ReferenceExec: one op is one bare os/exec of this test binary told to exit at
// once, 4 at a time.
func BenchmarkW3ReferenceExec(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Skip(err)
	}
	benchExec(b, exe, append(os.Environ(), "MGRT_TEST_NOOP=1"))
}

// BenchmarkW3ReferenceExecSmall: the same with a minimal Go binary (func main() {}).
func BenchmarkW3ReferenceExecSmall(b *testing.B) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go command")
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "noop")
	cmd := exec.Command(goTool, "build", "-o", bin, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GO111MODULE=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("go build: %v\n%s", err, out)
	}
	b.ResetTimer()
	benchExec(b, bin, os.Environ())
}

func benchExec(b *testing.B, exe string, env []string) {
	var wg sync.WaitGroup
	jobs := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				cmd := exec.Command(exe)
				cmd.Env = env
				if err := cmd.Run(); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for range b.N {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
}

// BenchmarkW4Processes: one op is one item through processes(4) x*2.
func BenchmarkW4Processes(b *testing.B) {
	runBenchPipe(b, benchParams{N: b.N, Procs: 4})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
