package engine

import (
	"context"
	"errors"
	"time"
)

// stageDriver executes the bodies of one stage. Run picks one per stage from its kind and
// strategy: the goroutine drivers of this file for producers, Inline and Threads stages,
// batchDriver for accumulators, and externalDriver for the process strategies, whose Runner
// (package remote) reads the same input queue and settles each item through the stage's sinks
// with the same failure handling (external.go).
type stageDriver interface {
	// goroutines builds the stage's workers for run r (calling bind functions) and returns the
	// functions to run on the stage's goroutines. Nothing runs until they are started.
	goroutines(r *run) []func()
}

func (n *Node[In, Out]) driver() stageDriver {
	switch {
	case n.spec.Kind == KindProducer:
		return producerDriver[In, Out]{n}
	case n.spec.Kind == KindAccumulator:
		return batchDriver[In, Out]{n}
	case !n.spec.Strategy.Kind.InProcess():
		return externalDriver[In, Out]{n, n.external}
	case n.spec.Strategy.goroutines() > 1:
		return threadsDriver[In, Out]{n}
	default:
		return inlineDriver[In, Out]{n}
	}
}

// producerDriver runs a producer's body once on one goroutine.
type producerDriver[In, Out any] struct{ n *Node[In, Out] }

func (d producerDriver[In, Out]) goroutines(r *run) []func() {
	n := d.n
	st := n.rt
	rn := r.newRunner()
	w := &Emitter[Out]{rn: rn}
	w.ws.st = &st.stats
	rn.addStats(&w.ws)
	var sinks []sink[Out]
	for _, t := range n.targets {
		sinks = append(sinks, t.sinkFor(st, rn, &w.ws, bufProducer))
	}
	w.init(&n.stageBase, sinks, false, &r.canceled)
	body := n.produce(w)
	return []func(){func() {
		st.begin()
		w.ws.markFirst()
		w.BodyStart()
		err := callProducer(r.ctx, body)
		w.BodyEnd()
		if err != nil && !(r.canceled.Load() && errors.Is(err, r.ctx.Err())) {
			r.setFatal(&StageError{Stage: n.spec.Name, Pos: n.spec.Pos, Err: err})
		}
		st.exit(rn)
	}}
}

// callProducer runs a producer body, recovering the panic that unwinds it after cancellation
// and turning any other panic into a *PanicError.
func callProducer(ctx context.Context, body func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(stopProducer); ok {
				err = nil
				return
			}
			err = newPanicError(p)
		}
	}()
	return body(ctx)
}

// inlineDriver runs a processor, consumer or custom stage on one goroutine (Inline, Threads(1)).
type inlineDriver[In, Out any] struct{ n *Node[In, Out] }

func (d inlineDriver[In, Out]) goroutines(r *run) []func() {
	n := d.n
	rn := r.newRunner()
	pw := n.newStageWorker(rn)
	return []func(){func() {
		q := n.q
		ws := &pw.w.ws
		for {
			c, ok, _ := q.recv(rn, ws, nil)
			if !ok {
				break
			}
			pw.processItems(c)
			q.recycle(c)
			rn.afterItems()
		}
		n.rt.exit(rn)
	}}
}

// threadsDriver runs a processor, consumer or custom stage on N goroutines sharing its input
// queue (Threads(N), N > 1). Workers claim items from the current chunk under a lock, a few at
// a time when items are cheap and one at a time when they are slow, so that no item waits
// behind a busy worker while another is free. With Ordered, emits are released in input order.
type threadsDriver[In, Out any] struct{ n *Node[In, Out] }

func (d threadsDriver[In, Out]) goroutines(r *run) []func() {
	n := d.n
	st := n.rt
	workers := n.spec.Strategy.goroutines()
	in := &sharedIn[In]{q: n.q, workers: workers}
	if n.spec.Ordered {
		n.ord = newReorder(n, workers)
	}
	var window windowWaiter // a nil interface unless ordered
	if n.ord != nil {
		window = n.ord
	}
	fns := make([]func(), 0, workers)
	for range workers {
		rn := r.newRunner()
		pw := n.newStageWorker(rn)
		if n.ord != nil {
			n.ord.attach(rn)
		}
		fns = append(fns, func() {
			buf := make([]In, 0, n.q.chunkMax)
			ws := &pw.w.ws
			for {
				items, seq, ok := in.claim(rn, ws, buf, window)
				if !ok {
					break
				}
				if n.ord == nil {
					pw.processItems(items)
				} else {
					for i := range items {
						pw.handle(items[i])
						n.ord.commit(&pw.w, seq+uint64(i))
					}
				}
				rn.afterItems()
				clear(items)
				buf = items[:0]
			}
			st.exit(rn)
		})
	}
	return fns
}

// sleepCtx sleeps for d or until ctx is done; false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
