package engine

import "sync"

// reorder releases the emits of an ordered Threads stage in input order. Each item's emits are
// held by its worker (Emitter.buffering) and committed with the item's sequence number; the
// items that are complete from the next expected one on are released, under the lock, to
// buffers shared by the stage's goroutines. The window bounds how far ahead of the oldest
// unfinished item the workers may claim, so a slow item cannot make the held emits grow
// without bound.
type reorder[Out any] struct {
	mu      sync.Mutex
	room    sync.Cond
	waiters int
	next    uint64 // sequence number of the next item to release
	window  uint64
	slots   []reorderSlot[Out]
	w       Emitter[Out] // routes released emits to the shared buffers
	broken  bool         // a goroutine of the stage ended without committing its items
}

type reorderSlot[Out any] struct {
	done  bool
	emits []pendingEmit[Out]
}

// newReorder makes the reorder buffer of n and its shared output buffers.
func newReorder[In, Out any](n *Node[In, Out], workers int) *reorder[Out] {
	return newReorderWindow(n, 2*n.q.chunkMax+2*workers+8)
}

// newReorderWindow makes a reorder buffer that lets items run up to window items ahead of
// the oldest unfinished one.
func newReorderWindow[In, Out any](n *Node[In, Out], window int) *reorder[Out] {
	st := n.rt
	o := &reorder[Out]{window: uint64(window), slots: make([]reorderSlot[Out], window)}
	o.room.L = &o.mu
	var sinks []sink[Out]
	for _, t := range n.targets {
		sinks = append(sinks, t.sinkFor(st, nil, nil, bufShared))
	}
	o.w.init(&n.stageBase, sinks, false, nil)
	o.w.ws.st = &st.stats
	o.w.sharedRR = nil
	return o
}

// attach makes goroutine r flush the shared buffers before it waits and when it ends.
func (o *reorder[Out]) attach(r *runner) {
	for _, s := range o.w.sinks {
		if b, ok := s.(*outBuf[Out]); ok {
			r.addFlusher(b)
		}
	}
}

// waitRoom waits until items seq..seq+n-1 fit in the window; false if the window can no
// longer move (abandon): the run failed, and the stage's goroutines drop what they take.
func (o *reorder[Out]) waitRoom(r *runner, seq uint64, n int) bool {
	o.mu.Lock()
	if seq+uint64(n) <= o.next+o.window {
		o.mu.Unlock()
		return true
	}
	o.mu.Unlock()
	r.idle()
	o.mu.Lock()
	defer o.mu.Unlock()
	for seq+uint64(n) > o.next+o.window && !o.broken {
		o.waiters++
		o.room.Wait()
		o.waiters--
	}
	return !o.broken
}

// abandon wakes the goroutines waiting for room, which then stop: a goroutine of the stage
// ended (runtime.Goexit in a body) with items it never committed, and the run failed.
func (o *reorder[Out]) abandon() {
	o.mu.Lock()
	o.broken = true
	o.room.Broadcast()
	o.mu.Unlock()
}

func (n *Node[In, Out]) abandonOrder() {
	if n.ord != nil {
		n.ord.abandon()
	}
}

// tryRoom reports whether items seq..seq+n-1 fit in the window now.
func (o *reorder[Out]) tryRoom(seq uint64, n int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return seq+uint64(n) <= o.next+o.window
}

// commit records the emits held by w for item seq (none if it failed or was dropped) and
// releases every item that is now next in order.
func (o *reorder[Out]) commit(w *Emitter[Out], seq uint64) {
	o.mu.Lock()
	if o.broken {
		o.mu.Unlock()
		w.discard()
		return
	}
	s := &o.slots[seq%o.window]
	s.emits, w.pend = w.pend, s.emits[:0]
	s.done = true
	released := false
	for {
		s := &o.slots[o.next%o.window]
		if !s.done {
			break
		}
		for _, p := range s.emits {
			o.w.ws.out++
			o.w.route(p.to, p.v)
		}
		clear(s.emits)
		s.emits = s.emits[:0]
		s.done = false
		o.next++
		released = true
	}
	if o.w.ws.out != 0 {
		o.w.ws.st.out.Add(o.w.ws.out)
		o.w.ws.out = 0
	}
	if released && o.waiters > 0 {
		o.room.Broadcast()
	}
	o.mu.Unlock()
}
