// Package viewtest builds the runs the live views' tests watch.
package viewtest

import (
	"context"
	"errors"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// Names are the stages of Start's run.
var Names = []string{"generate_orders_from_a_source_with_a_very_long_name", "enrich_each_order_with_the_customer_details_it_needs", "validate", "save"}

// Start starts a run of n items through a slow threads(4) stage (delay per item) and a
// stage that fails every 97th item; the producer declares its total. release, if not nil,
// holds the producer after half of its items until it is closed.
func Start(n int, delay time.Duration, release <-chan struct{}) *mgrt.Handle {
	g := mgrt.NewGraph(mgrt.GraphConfig{Pipeline: "Views"})
	src := mgrt.Producer(g, mgrt.StageSpec{Name: Names[0], Total: int64(n)}, func(w *mgrt.Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := range n {
				if i == n/2 && release != nil {
					<-release
				}
				w.Emit(i)
			}
			return nil
		}
	})
	enrich := mgrt.Processor(g, mgrt.StageSpec{Name: Names[1], Strategy: mgrt.Strategy{Kind: mgrt.Threads, N: 4}}, func(w *mgrt.Emitter[int]) func(context.Context, int) error {
		return func(_ context.Context, v int) error {
			time.Sleep(delay)
			w.Emit(v)
			return nil
		}
	})
	validate := mgrt.Processor(g, mgrt.StageSpec{Name: Names[2]}, func(w *mgrt.Emitter[int]) func(context.Context, int) error {
		return func(_ context.Context, v int) error {
			if v%97 == 0 {
				return errors.New("bad")
			}
			w.Emit(v)
			return nil
		}
	})
	save := mgrt.Consumer(g, mgrt.StageSpec{Name: Names[3]}, func(*mgrt.Emitter[mgrt.Nothing]) func(context.Context, int) error {
		return func(context.Context, int) error { return nil }
	})
	mgrt.Connect(src, enrich)
	mgrt.Connect(enrich, validate)
	mgrt.Connect(validate, save)
	return mgrt.Start(context.Background(), g)
}
