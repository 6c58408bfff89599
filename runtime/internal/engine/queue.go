package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// maxChunk is the largest number of items an edge carries per channel operation. A queue is
// cut into at least 4 chunks, so that a sender can fill one while the receiver works on others.
const maxChunk = 256

// maxQueueChunks bounds the chunks a queue's channel holds: past it, a queue of more items
// than that, fed one item per chunk, holds that many items.
const maxQueueChunks = 1 << 16

// queue is a stage's bounded input queue. It carries chunks of items: a sender fills a chunk
// in its buffer and sends it whole, which costs one channel operation per chunk instead of one
// per item. The capacity counts items, whatever the size of the chunks (a trickle sends
// chunks of one item): a sender takes room for its chunk's items before it sends it, waiting
// while there is too little, and the receiver gives the room back as it takes the chunks.
// Each sender may hold one more partial chunk.
//
// The queue counts its senders (static and dead-letter edges); the last one to end closes it,
// and the receiving stage ends once it has drained it.
//
// One goroutine at a time receives (the stage's goroutine, or the one holding a Threads
// stage's input lock); the fields under "receiver" are its own.
type queue[T any] struct {
	in       chan chunk[T] // senders send here
	out      chan chunk[T] // receivers receive here; the same channel unless unbounded
	chunkMax int
	free     chan []T // recycled chunk buffers
	senders  atomic.Int32
	bufs     []*outBuf[T]  // buffers of other stages: asked to flush when the receiver is idle
	prods    []*prodBuf[T] // producer buffers: asked to flush, and taken when the receiver is idle

	// room is how many more items the queue takes (bounded queues, of size items); a sender
	// that finds too little waits on roomCond.
	bounded     bool
	size        int64        // bounded: the capacity in items
	held        atomic.Int64 // unbounded: the items the pump holds, for stats
	room        atomic.Int64
	roomWaiters atomic.Int32
	roomMu      sync.Mutex
	roomCond    sync.Cond

	// receiver
	expect  []uint64 // per producer buffer: sequence number of its next chunk
	pending []chunk[T]
}

// chunk is what travels through a queue's channel. A chunk from a producer carries the
// producer buffer's index and the chunk's sequence number, so that a chunk the receiver took
// from the producer directly (prodBuf.steal) is processed in the producer's order.
type chunk[T any] struct {
	items   []T
	src     int // index in queue.prods, or -1
	seq     uint64
	counted bool // sent through the channel: it holds room
}

// queueCloser is a queue seen by a sending stage when it ends.
type queueCloser interface {
	senderDone()
}

func newQueue[T any](r *run, size, senders int) *queue[T] {
	q := &queue[T]{}
	if size < 0 {
		q.chunkMax = maxChunk
		q.in = make(chan chunk[T], 8)
		q.out = make(chan chunk[T], 1)
		q.free = make(chan []T, 16)
		r.pumps = append(r.pumps, q.pump)
	} else {
		q.chunkMax = min(max(size/4, 1), maxChunk)
		// The room counts items; the channel must hold as many chunks as the room allows
		// when each has one item (a trickle), up to a bound on what a queue allocates.
		n := min(size+senders+1, maxQueueChunks)
		q.in = make(chan chunk[T], n)
		q.out = q.in
		q.free = make(chan []T, (size+q.chunkMax-1)/q.chunkMax+8)
		q.bounded = true
		q.size = int64(size)
		q.room.Store(int64(size))
		q.roomCond.L = &q.roomMu
	}
	q.senders.Store(int32(senders))
	if senders == 0 {
		close(q.in)
	}
	return q
}

// senderDone records the end of one sending stage; the last one closes the queue.
func (q *queue[T]) senderDone() {
	if q.senders.Add(-1) == 0 {
		close(q.in)
	}
}

// queued is how many items wait in the queue (the queueGauge interface): sent and not yet
// taken by the receiver.
func (q *queue[T]) queued() int {
	if q.bounded {
		return int(max(q.size-q.room.Load(), 0))
	}
	return int(q.held.Load())
}

// pump moves chunks of an unbounded queue from in to out, holding as many as needed. It runs
// on its own goroutine and ends once in is closed and everything went out.
func (q *queue[T]) pump() {
	var pending []chunk[T]
	for {
		if len(pending) == 0 {
			c, ok := <-q.in
			if !ok {
				close(q.out)
				return
			}
			q.held.Add(int64(len(c.items)))
			pending = append(pending, c)
			continue
		}
		select {
		case c, ok := <-q.in:
			if !ok {
				for _, c := range pending {
					q.out <- c
					q.held.Add(-int64(len(c.items)))
				}
				close(q.out)
				return
			}
			q.held.Add(int64(len(c.items)))
			pending = append(pending, c)
		case q.out <- pending[0]:
			q.held.Add(-int64(len(pending[0].items)))
			pending[0] = chunk[T]{}
			pending = pending[1:]
		}
	}
}

// getChunk returns an empty chunk buffer with room for chunkMax items.
func (q *queue[T]) getChunk() []T {
	select {
	case c := <-q.free:
		return c
	default:
		return make([]T, 0, q.chunkMax)
	}
}

// recycle returns a processed chunk buffer to the free list. A buffer taken from a producer
// before it was full is not reused: the producer may still write past its end.
func (q *queue[T]) recycle(c []T) {
	if cap(c) != q.chunkMax {
		return
	}
	clear(c)
	select {
	case q.free <- c[:0]:
	default:
	}
}

// send sends a full or flushed chunk, waiting for room if the queue is full. r (if not nil) is
// the sending goroutine, which gives back its max_threads slot while it waits; the time spent
// waiting is added to ws, or to st when the buffer has no single owner.
func (q *queue[T]) send(c chunk[T], r *runner, ws *workerStats, st *stageStats) {
	if q.bounded {
		c.counted = true
		if n := int64(len(c.items)); !q.takeRoom(n) {
			q.waitRoom(n, r, ws, st)
		}
	}
	select {
	case q.in <- c:
		return
	default:
	}
	slot := r != nil && r.slot
	if slot {
		r.releaseSlot()
	}
	t0 := time.Now()
	q.in <- c
	d := int64(time.Since(t0))
	if ws != nil {
		ws.blockedOut += d
	} else {
		st.blockedOut.Add(d)
	}
	if slot {
		r.acquireSlot()
	}
}

// takeRoom takes room for n items if there is that much. A chunk never has more items than
// the queue's size, so a sender that finds too little room finds items in the queue, which
// the receiver takes: senders cannot wait on each other.
func (q *queue[T]) takeRoom(n int64) bool {
	for {
		cur := q.room.Load()
		if cur < n {
			return false
		}
		if q.room.CompareAndSwap(cur, cur-n) {
			return true
		}
	}
}

// waitRoom waits until it can take room for n items: until the receiver has taken enough. The
// time it waits counts as blocked.
func (q *queue[T]) waitRoom(n int64, r *runner, ws *workerStats, st *stageStats) {
	slot := r != nil && r.slot
	if slot {
		r.releaseSlot()
	}
	t0 := time.Now()
	q.roomMu.Lock()
	q.roomWaiters.Add(1)
	for !q.takeRoom(n) {
		q.roomCond.Wait()
	}
	q.roomWaiters.Add(-1)
	q.roomMu.Unlock()
	d := int64(time.Since(t0))
	if ws != nil {
		ws.blockedOut += d
	} else {
		st.blockedOut.Add(d)
	}
	if slot {
		r.acquireSlot()
	}
}

// release gives back the room of a chunk the receiver took, and wakes the senders waiting
// for it.
func (q *queue[T]) release(n int) {
	if q.room.Add(int64(n)); q.roomWaiters.Load() > 0 {
		q.roomMu.Lock()
		q.roomCond.Broadcast()
		q.roomMu.Unlock()
	}
}

// recv returns the next chunk's items, ok=false once the queue is closed and drained, or
// fired=true when timer fires first. Before it waits, the receiving goroutine flushes its own
// outputs, asks its senders to flush theirs, and takes what producers hold, so that no item
// stays buffered while the stage is idle. The time spent waiting is added to ws.blockedIn.
func (q *queue[T]) recv(r *runner, ws *workerStats, timer <-chan time.Time) (items []T, ok, fired bool) {
	r.run.checkCanceled()
	if items, ok := q.nextPending(); ok {
		return items, true, false
	}
	select {
	case c, ok := <-q.out:
		if !ok {
			return q.drainPending()
		}
		return q.accept(c), true, false
	default:
	}
	r.idle()
	q.requestFlush()
	if items, ok := q.steal(); ok {
		return items, true, false
	}
	t0 := ws.st.beginWait()
	c, ok, fired := q.wait(timer)
	ws.st.endWait(t0)
	r.run.checkCanceled()
	switch {
	case fired:
		return nil, false, true
	case !ok:
		return q.drainPending()
	}
	return q.accept(c), true, false
}

// wait waits for the next chunk. It first yields the processor a few times, checking the
// channel in between: a sender running on another processor usually delivers within that
// time, and parking and waking a goroutine costs much more than a few yields.
func (q *queue[T]) wait(timer <-chan time.Time) (c chunk[T], ok, fired bool) {
	for range spinWait {
		runtime.Gosched()
		select {
		case c, ok = <-q.out:
			return c, ok, false
		default:
		}
	}
	select {
	case c, ok = <-q.out:
	case <-timer:
		fired = true
	}
	return c, ok, fired
}

// spinWait is how many times a goroutine yields before it parks waiting for input.
const spinWait = 16

// accept notes the sequence number of a chunk from a producer.
func (q *queue[T]) accept(c chunk[T]) []T {
	if c.counted {
		q.release(len(c.items))
	}
	if c.src >= 0 {
		q.expect[c.src] = c.seq + 1
	}
	return c.items
}

// nextPending returns a chunk taken from a producer once every older chunk of that producer
// has been received.
func (q *queue[T]) nextPending() ([]T, bool) {
	for i, c := range q.pending {
		if q.expect[c.src] == c.seq {
			q.pending = append(q.pending[:i], q.pending[i+1:]...)
			return q.accept(c), true
		}
	}
	return nil, false
}

// drainPending returns what is left once the channel is closed: every chunk has arrived, so
// the pending ones are next.
func (q *queue[T]) drainPending() ([]T, bool, bool) {
	if items, ok := q.nextPending(); ok {
		return items, true, false
	}
	return nil, false, false
}

// requestFlush asks every sender to send its partial chunk at its next emit.
func (q *queue[T]) requestFlush() {
	for _, b := range q.bufs {
		b.req.ask()
	}
	for _, b := range q.prods {
		b.req.ask()
	}
}

// steal takes the partial chunks producers hold: a producer may sit in user code for a long
// time after an emit. It returns one chunk that can be processed now; the others wait in
// pending for their turn.
func (q *queue[T]) steal() ([]T, bool) {
	for i, b := range q.prods {
		if items, seq, ok := b.steal(); ok {
			q.pending = append(q.pending, chunk[T]{items: items, src: i, seq: seq})
		}
	}
	return q.nextPending()
}

// flushRequest is how a receiver about to wait asks a sender to send its partial chunk: the
// receiver moves the epoch on, and the sender flushes at its next emit (or between items) when
// the epoch differs from the one it last served. An epoch rather than a flag, so that a
// request made while the sender is flushing is never lost. It sits on a cache line of its own
// so that the receiver touching it does not slow down the sender's writes to its buffer.
type flushRequest struct {
	_     [64]byte
	epoch atomic.Uint64
	_     [56]byte
}

func (f *flushRequest) ask() { f.epoch.Add(1) }
