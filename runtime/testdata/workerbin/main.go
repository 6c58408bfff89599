// Command workerbin is a built binary with worker processes, for TestWorkerBinary: a pipeline
// of an imported package and one of package main.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	mgrt "github.com/minigun-go/minigun/runtime"
	"github.com/minigun-go/minigun/runtime/testdata/workerbin/lib"
)

type batches struct{}

var _ = mgrt.RegisterPipeline[batches](func([]byte) (*mgrt.Graph, error) { return batchGraph(nil), nil })

func init() { mgrt.ServeWorker() }

// batchGraph sums batches of 1..100 in a process per batch; each worker says hello.
func batchGraph(sums *[]int) *mgrt.Graph {
	g := mgrt.NewGraph(mgrt.GraphConfig{Pipeline: "batches", Worker: mgrt.WorkerKey[batches]()})
	src := mgrt.Producer(g, mgrt.StageSpec{Name: "src"}, func(w *mgrt.Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := 1; i <= 100; i++ {
				w.Emit(i)
			}
			return nil
		}
	})
	b := mgrt.Batch[int](g, mgrt.StageSpec{Name: "batch"}, 25, 0)
	sum := mgrt.Processor(g, mgrt.StageSpec{Name: "sum", Strategy: mgrt.Strategy{Kind: mgrt.ProcessPerBatch, N: 2}},
		func(w *mgrt.Emitter[int]) func(context.Context, []int) error {
			return func(_ context.Context, batch []int) error {
				fmt.Println("hello from a worker")
				s := 0
				for _, x := range batch {
					s += x
				}
				w.Emit(s)
				return nil
			}
		})
	sink := mgrt.Consumer(g, mgrt.StageSpec{Name: "sink"}, func(*mgrt.Emitter[mgrt.Nothing]) func(context.Context, int) error {
		return func(_ context.Context, s int) error {
			*sums = append(*sums, s)
			return nil
		}
	})
	mgrt.Connect(src, b)
	mgrt.Connect(b, sum)
	mgrt.Connect(sum, sink)
	return g
}

func main() {
	fmt.Printf("main ran in %d\n", os.Getpid())
	sq := &lib.Squares{N: 10, Mult: 3}
	if _, err := mgrt.Run(context.Background(), sq.Graph()); err != nil {
		fmt.Println("squares:", err)
		os.Exit(1)
	}
	total, workers := 0, map[string]bool{}
	for _, s := range sq.Got {
		var v int
		var pid string
		fmt.Sscanf(s, "%d %s", &v, &pid)
		total += v
		workers[pid] = true
	}
	// processes(2): both workers start, but under load one may take every item.
	inWorkers := len(workers) >= 1 && len(workers) <= 2 && !workers[fmt.Sprintf("pid=%d", os.Getpid())]
	fmt.Printf("squares total %d, all in worker processes: %v\n", total, inWorkers)
	var sums []int
	if _, err := mgrt.Run(context.Background(), batchGraph(&sums)); err != nil {
		fmt.Println("batches:", err)
		os.Exit(1)
	}
	t := 0
	for _, s := range sums {
		t += s
	}
	fmt.Printf("batches total %d in %d batches\n", t, len(sums))
	if strings.Contains(os.Getenv("MINIGUN_WORKER"), ".") {
		fmt.Println("main sees the worker variable")
	}
}
