package engine

import "sync/atomic"

// prodBuf is a producer's partial chunk for one downstream queue.
//
// A producer may sit in user code for a long time after an emit (waiting for a network read,
// a timer...), so the items it emitted must be reachable while it does: when the receiving
// stage is idle, it takes the partial chunk itself (steal). Each emit publishes the item with
// one compare-and-swap on the chunk's state, which the receiver's steal also uses; there is no
// lock. A chunk carries a sequence number, so that the receiver processes a stolen chunk after
// the producer's older chunks still in the channel, and before its newer ones.
type prodBuf[T any] struct {
	_       cacheLinePad
	q       *queue[T]
	idx     int // index in q.prods
	cur     *pchunk[T]
	n       uint64 // items written in cur
	nextSeq uint64
	spare   *pchunk[T] // a flushed chunk header, reused
	pub     atomic.Pointer[pchunk[T]]
	req     *flushRequest
	served  uint64 // the request epoch of the last flush
	ws      *workerStats
	_       cacheLinePad
}

// pchunk is a producer's chunk: items are published by state (their count), and stolenBit
// marks a chunk the producer or the receiver has taken (whoever set it owns the items).
type pchunk[T any] struct {
	_     cacheLinePad
	items []T // len == cap == chunkMax
	seq   uint64
	state atomic.Uint64
	_     cacheLinePad
}

const stolenBit = 1 << 63

// newProdBuf adds a producer buffer to q.
func (q *queue[T]) newProdBuf(r *runner, ws *workerStats) *prodBuf[T] {
	b := &prodBuf[T]{q: q, idx: len(q.prods), ws: ws, req: new(flushRequest)}
	q.prods = append(q.prods, b)
	q.expect = append(q.expect, 0)
	r.addFlusher(b)
	return b
}

func (b *prodBuf[T]) put(v T) {
	for {
		c := b.cur
		if c == nil {
			c = b.start()
		}
		n := b.n
		c.items[n] = v
		if c.state.CompareAndSwap(n, n+1) {
			b.n = n + 1
			break
		}
		b.cur = nil // the receiver took the chunk: v goes into a new one
	}
	if b.n == uint64(len(b.cur.items)) || b.req.epoch.Load() != b.served {
		b.flush()
	}
}

// start begins a new chunk.
func (b *prodBuf[T]) start() *pchunk[T] {
	c := b.spare
	if c != nil {
		b.spare = nil
		c.state.Store(0) // from here on the receiver sees nothing to take until the first put
	} else {
		c = new(pchunk[T])
	}
	c.items = b.q.getChunk()[:b.q.chunkMax]
	// Once per chunk the producer's counters are published, so that live stats see it
	// emit (a chunk is at most maxChunk items; the receiver taking partial chunks when it
	// is idle makes them smaller only while the producer is slower than it).
	b.ws.publish()
	c.seq = b.nextSeq
	b.nextSeq++
	b.cur, b.n = c, 0
	b.pub.Store(c)
	return c
}

// flush sends the chunk unless the receiver took it (the flusher interface).
func (b *prodBuf[T]) flush() {
	c, n := b.cur, b.n
	if c == nil || n == 0 {
		return
	}
	b.cur, b.n = nil, 0
	// The request epoch is read before the items are taken back, so that a request made
	// after it is served by a later flush. If the receiver took the items first, the request
	// is not served: it may have been made after the receiver took them.
	epoch := b.req.epoch.Load()
	if !c.state.CompareAndSwap(n, n|stolenBit) {
		return // the receiver took it; the header stays with the receiver
	}
	b.served = epoch
	b.spare = c
	b.q.send(chunk[T]{items: c.items[:n], src: b.idx, seq: c.seq}, nil, b.ws, nil)
	b.ws.publish() // once per chunk: the producer's counts are live
}

// flushIfAsked is the flusher interface; a producer checks requests at each emit.
func (b *prodBuf[T]) flushIfAsked() {}

// steal takes the items of the producer's current chunk; called by the receiver when idle.
// A chunk taken before it was full is not recycled (see queue.recycle): the producer may still
// write the slot after the last item taken before it sees that the chunk is gone.
func (b *prodBuf[T]) steal() (items []T, seq uint64, ok bool) {
	c := b.pub.Load()
	if c == nil {
		return nil, 0, false
	}
	s := c.state.Load()
	if s == 0 || s&stolenBit != 0 || !c.state.CompareAndSwap(s, s|stolenBit) {
		return nil, 0, false
	}
	return c.items[:s:s], c.seq, true
}
