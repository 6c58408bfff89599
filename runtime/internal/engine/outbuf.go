package engine

import "sync"

// outBuf is a sender's partial chunk for one downstream queue, filled by a processor,
// consumer, custom stage or accumulator.
//
// A private buffer belongs to one goroutine, which flushes it when the chunk is full, when the
// receiver has asked (req, set when the receiver is about to wait), between items when the
// receiver has asked, when it is about to wait for its own input, and when it ends. A shared
// buffer (the output of an ordered Threads stage) is filled by any of the stage's goroutines
// and guarded by mu.
type outBuf[T any] struct {
	_      cacheLinePad
	q      *queue[T]
	buf    []T
	req    *flushRequest
	served uint64 // the request epoch of the last flush
	shared bool
	mu     sync.Mutex
	owner  *runner      // the goroutine that fills a private buffer
	ws     *workerStats // blocked-out time of the owner, or nil
	st     *stageStats  // blocked-out time when there is no single owner
	_      cacheLinePad
}

// newOutBuf adds a sender buffer to q; r is the goroutine that fills it (nil for the shared
// buffers of an ordered stage).
func (q *queue[T]) newOutBuf(r *runner, ws *workerStats, st *stageStats, shared bool) *outBuf[T] {
	b := &outBuf[T]{q: q, shared: shared, owner: r, ws: ws, st: st, req: new(flushRequest)}
	q.bufs = append(q.bufs, b)
	if r != nil {
		r.addFlusher(b)
	}
	return b
}

func (b *outBuf[T]) put(v T) {
	if b.shared {
		b.mu.Lock()
		b.add(v)
		b.mu.Unlock()
		return
	}
	b.add(v)
}

func (b *outBuf[T]) add(v T) {
	if b.buf == nil {
		b.buf = b.q.getChunk()
	}
	b.buf = append(b.buf, v)
	if len(b.buf) == cap(b.buf) || b.req.epoch.Load() != b.served {
		b.send()
	}
}

// flushIfAsked sends the partial chunk if the receiver asked for it (the flusher interface).
func (b *outBuf[T]) flushIfAsked() {
	if b.shared {
		b.mu.Lock()
		if b.req.epoch.Load() != b.served {
			b.send()
		}
		b.mu.Unlock()
		return
	}
	if b.req.epoch.Load() != b.served {
		b.send()
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

func (b *outBuf[T]) send() {
	c := b.buf
	if len(c) == 0 {
		return
	}
	b.buf = nil
	b.served = b.req.epoch.Load()
	b.q.send(chunk[T]{items: c, src: -1}, b.owner, b.ws, b.st)
}
