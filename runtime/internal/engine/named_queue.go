package engine

import "context"

// Queue creates a named queue: a stage that passes each item on to one of its
// downstreams (its subscribers), in turn. Stages send to it like to any stage;
// the subscribers share its items.
func Queue[T any](g *Graph, spec StageSpec) *Node[T, T] {
	n := Processor(g, spec, func(w *Emitter[T]) func(ctx context.Context, in T) error {
		emit := w.Emit
		return func(_ context.Context, in T) error {
			emit(in)
			return nil
		}
	})
	n.SetRouting(RoutingRoundRobin)
	return n
}
