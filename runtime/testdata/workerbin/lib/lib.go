// Package lib stands for a package generated with go generate: it registers its pipeline and
// serves worker processes from its init function, and a user's main uses it.
package lib

import (
	"context"
	"fmt"
	"os"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// Squares squares 1..N in worker processes and multiplies by Mult.
type Squares struct {
	N, Mult int
	Got     []string
}

type params struct{ N, Mult int }

var _ = mgrt.RegisterPipeline[Squares](func(data []byte) (*mgrt.Graph, error) {
	var prm params
	if err := mgrt.Decode(data, &prm); err != nil {
		return nil, err
	}
	p := &Squares{N: prm.N, Mult: prm.Mult}
	return p.Graph(), nil
})

func init() { mgrt.ServeWorker() }

// Graph returns the pipeline's graph.
func (p *Squares) Graph() *mgrt.Graph {
	g := mgrt.NewGraph(mgrt.GraphConfig{
		Pipeline: "squares",
		Worker:   mgrt.WorkerKey[Squares](),
		Params:   func() ([]byte, error) { return mgrt.Encode(params{p.N, p.Mult}) },
	})
	src := mgrt.Producer(g, mgrt.StageSpec{Name: "src"}, func(w *mgrt.Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := 1; i <= p.N; i++ {
				w.Emit(i)
			}
			return nil
		}
	})
	sq := mgrt.Processor(g, mgrt.StageSpec{Name: "square", Strategy: mgrt.Strategy{Kind: mgrt.Processes, N: 2}},
		func(w *mgrt.Emitter[string]) func(context.Context, int) error {
			return func(_ context.Context, x int) error {
				if os.Getenv("MINIGUN_WORKER") != "" {
					return fmt.Errorf("the worker variable is visible to user code")
				}
				w.Emit(fmt.Sprintf("%d pid=%d", x*x*p.Mult, os.Getpid()))
				return nil
			}
		})
	sink := mgrt.Consumer(g, mgrt.StageSpec{Name: "sink"}, func(*mgrt.Emitter[mgrt.Nothing]) func(context.Context, string) error {
		return func(_ context.Context, s string) error {
			p.Got = append(p.Got, s)
			return nil
		}
	})
	mgrt.Connect(src, sq)
	mgrt.Connect(sq, sink)
	return g
}
