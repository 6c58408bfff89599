package mgrt

import (
	"sync/atomic"
	"time"
)

// maxChunk is the largest number of items an edge carries per channel operation.
const maxChunk = 64

// queue is a stage's bounded input queue. It carries chunks of items: a sender fills a chunk
// in its outBuf and sends it whole, which costs one channel operation per chunk instead of one
// per item. The capacity in items is about the configured size (rounded up to whole chunks);
// each sender may hold one more partial chunk.
//
// The queue counts its senders (static and dead-letter edges); the last one to end closes it,
// and the receiving stage ends once it has drained it.
type queue[T any] struct {
	in       chan []T // senders send here
	out      chan []T // receivers receive here; the same channel unless unbounded
	chunkMax int
	free     chan []T // recycled chunks
	senders  atomic.Int32
	bufs     []*outBuf[T] // every sender buffer, to ask for a flush when the receiver is idle
	shared   []*outBuf[T] // the buffers the receiver may flush itself (producers, ordered stages)
}

// queueCloser is a queue seen by a sending stage when it ends.
type queueCloser interface {
	senderDone()
}

func newQueue[T any](r *run, size, senders int) *queue[T] {
	q := &queue[T]{}
	if size < 0 {
		q.chunkMax = maxChunk
		q.in = make(chan []T, 8)
		q.out = make(chan []T, 1)
		q.free = make(chan []T, 16)
		r.wg.Add(1)
		go q.pump(r)
	} else {
		q.chunkMax = min(max(size/16, 1), maxChunk)
		n := (size + q.chunkMax - 1) / q.chunkMax
		q.in = make(chan []T, n)
		q.out = q.in
		q.free = make(chan []T, n+8)
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

// pump moves chunks of an unbounded queue from in to out, holding as many as needed.
func (q *queue[T]) pump(r *run) {
	defer r.wg.Done()
	var pending [][]T
	for {
		if len(pending) == 0 {
			c, ok := <-q.in
			if !ok {
				close(q.out)
				return
			}
			pending = append(pending, c)
			continue
		}
		select {
		case c, ok := <-q.in:
			if !ok {
				for _, c := range pending {
					q.out <- c
				}
				close(q.out)
				return
			}
			pending = append(pending, c)
		case q.out <- pending[0]:
			pending[0] = nil
			pending = pending[1:]
		}
	}
}

// getChunk returns an empty chunk with room for chunkMax items.
func (q *queue[T]) getChunk() []T {
	select {
	case c := <-q.free:
		return c
	default:
		return make([]T, 0, q.chunkMax)
	}
}

// recycle returns a processed chunk to the free list.
func (q *queue[T]) recycle(c []T) {
	clear(c)
	select {
	case q.free <- c[:0]:
	default:
	}
}

// recv returns the next chunk, ok=false once the queue is closed and drained, or fired=true
// when timer fires first. Before it waits, the receiving goroutine flushes its own outputs and
// asks its senders to flush theirs, so that no item stays buffered while the stage is idle.
// The time spent waiting is added to ws.blockedIn.
func (q *queue[T]) recv(r *runner, ws *workerStats, timer <-chan time.Time) (c []T, ok, fired bool) {
	select {
	case c, ok = <-q.out:
		return c, ok, false
	default:
	}
	r.idle()
	q.requestFlush()
	t0 := time.Now()
	select {
	case c, ok = <-q.out:
	case <-timer:
		fired = true
	}
	ws.blockedIn += int64(time.Since(t0))
	return c, ok, fired
}

// requestFlush asks every sender to send its partial chunk at its next emit, and sends the
// partial chunks of the buffers the receiver may flush itself.
func (q *queue[T]) requestFlush() {
	for _, b := range q.bufs {
		if !b.req.flush.Load() {
			b.req.flush.Store(true)
		}
	}
	for _, b := range q.shared {
		b.remoteFlush()
	}
}
