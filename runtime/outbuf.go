package mgrt

import (
	"sync"
	"sync/atomic"
	"time"
)

// outBuf is a sender's partial chunk for one downstream queue.
//
// A private buffer belongs to one goroutine, which flushes it when the chunk is full, when the
// receiver has asked (flushReq, set when the receiver is about to wait), when it is about to
// wait for its own input, and when it ends. A shared buffer (producers, ordered stages) is
// guarded by mu, so that the receiver can also send its partial chunk itself when it is idle:
// a producer may sit in user code for a long time between emits.
type outBuf[T any] struct {
	q      *queue[T]
	buf    []T
	req    *flushRequest
	shared bool
	mu     sync.Mutex
	owner  *runner      // the goroutine that fills a private buffer, nil for ordered stages
	ws     *workerStats // blocked-out time of the owner, or nil
	st     *stageStats  // blocked-out time when there is no single owner
}

// newOutBuf adds a sender buffer to q; r is the goroutine that fills it (nil for the shared
// buffers of an ordered stage, which every goroutine of the stage fills under the reorder lock).
func (q *queue[T]) newOutBuf(r *runner, ws *workerStats, st *stageStats, shared bool) *outBuf[T] {
	b := &outBuf[T]{q: q, shared: shared, owner: r, ws: ws, st: st, req: new(flushRequest)}
	q.bufs = append(q.bufs, b)
	if shared {
		q.shared = append(q.shared, b)
	}
	if r != nil {
		r.addFlusher(b, &b.req.flush)
	}
	return b
}

func (b *outBuf[T]) put(v T) {
	if b.shared {
		b.putShared(v)
		return
	}
	if b.buf == nil {
		b.buf = b.q.getChunk()
	}
	b.buf = append(b.buf, v)
	if len(b.buf) == cap(b.buf) || b.req.flush.Load() {
		b.send()
	}
}

func (b *outBuf[T]) putShared(v T) {
	b.mu.Lock()
	if b.buf == nil {
		b.buf = b.q.getChunk()
	}
	b.buf = append(b.buf, v)
	if len(b.buf) == cap(b.buf) || b.req.flush.Load() {
		b.send()
	}
	b.mu.Unlock()
	// The receiver may have asked while we held the lock and could not flush itself.
	if b.req.flush.Load() {
		b.mu.Lock()
		b.send()
		b.mu.Unlock()
	}
}

// flush sends the partial chunk (the flusher interface).
func (b *outBuf[T]) flush() {
	if !b.shared {
		b.send()
		return
	}
	b.mu.Lock()
	b.send()
	b.mu.Unlock()
}

// send sends the chunk, waiting for room if the queue is full. The request flag is cleared
// before the send so that a request made after it is not lost.
func (b *outBuf[T]) send() {
	c := b.buf
	if len(c) == 0 {
		return
	}
	b.buf = nil
	if b.req.flush.Load() {
		b.req.flush.Store(false)
	}
	select {
	case b.q.in <- c:
		return
	default:
	}
	// The queue is full: wait, giving back a max_threads slot meanwhile so that a downstream
	// Threads stage can run.
	slot := b.owner != nil && b.owner.slot
	if slot {
		b.owner.releaseSlot()
	}
	t0 := time.Now()
	b.q.in <- c
	d := int64(time.Since(t0))
	if b.ws != nil {
		b.ws.blockedOut += d
	} else {
		b.st.blockedOut.Add(d)
	}
	if slot {
		b.owner.acquireSlot()
	}
}

// remoteFlush is called by the receiver when it is idle: if the buffer is free, its partial
// chunk is sent now (without waiting: the receiver is the one who would make room).
func (b *outBuf[T]) remoteFlush() {
	if !b.mu.TryLock() {
		return
	}
	if len(b.buf) > 0 {
		select {
		case b.q.in <- b.buf:
			b.buf = nil
			b.req.flush.Store(false)
		default:
		}
	}
	b.mu.Unlock()
}

// flushRequest is set by a receiver about to wait, and read by its sender at each emit. It
// sits on a cache line of its own so that the receiver touching it does not slow down the
// sender's writes to the buffer.
type flushRequest struct {
	_     [64]byte
	flush atomic.Bool
	_     [63]byte
}
