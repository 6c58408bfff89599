package engine

import (
	"sync"
	"time"
)

// sharedIn is the input side of a stage run by several goroutines: the chunk being handed out
// and the next sequence number, under one lock. The goroutine holding the lock is the only one
// receiving from the queue; the others wait for the lock (after flushing their outputs).
type sharedIn[T any] struct {
	_       cacheLinePad
	mu      sync.Mutex
	q       *queue[T]
	cur     []T
	pos     int
	seq     uint64
	done    bool
	workers int
	_       cacheLinePad
}

// claim copies the next items into dst and returns them with the sequence number of the
// first; ok is false once the queue is closed and drained. A worker takes a share of what is
// left in the chunk that shrinks as the chunk empties (guided scheduling), so that the end of
// a chunk is still spread over the workers, but no fewer than grabFor(ws) items: cheap items
// are claimed many at a time, so that a claim, a lock operation that the other workers contend
// for, costs little per item; slow items one at a time. ord, if not nil, makes the claim wait
// until the reorder window has room.
func (s *sharedIn[T]) claim(r *runner, ws *workerStats, dst []T, ord windowWaiter) (items []T, seq uint64, ok bool) {
	if !s.mu.TryLock() {
		r.idle()
		t0 := ws.st.beginWait() // another goroutine holds the input: this one waits for it
		s.mu.Lock()
		ws.st.endWait(t0)
	}
	for s.pos >= len(s.cur) {
		if s.cur != nil {
			s.q.recycle(s.cur)
			s.cur, s.pos = nil, 0
		}
		if s.done {
			s.mu.Unlock()
			return dst[:0], 0, false
		}
		c, ok, _ := s.q.recv(r, ws, nil)
		if !ok {
			s.done = true
			continue
		}
		s.cur, s.pos = c, 0
	}
	left := len(s.cur) - s.pos
	g := min(max(left/(2*s.workers), grabFor(ws)), left)
	seq = s.seq
	if ord != nil {
		ord.waitRoom(r, seq, g) // false once abandoned: the items are then dropped (the run failed)
	}
	dst = append(dst[:0], s.cur[s.pos:s.pos+g]...)
	s.pos += g
	s.seq += uint64(g)
	s.mu.Unlock()
	return dst, seq, true
}

// grabFor is the fewest items a worker claims at once: about 10µs of work or more per claim,
// from the moving average of the stage's sampled latencies once there are enough samples to
// trust it (until then, and once items take 2µs, one at a time).
func grabFor(ws *workerStats) int {
	st := ws.st
	if st.latSeen.Load() < 32 {
		return 1
	}
	switch avg := time.Duration(st.latAvg.Load()); {
	case avg < 150*time.Nanosecond:
		return 64
	case avg < 1500*time.Nanosecond:
		return 8
	}
	return 1
}

// windowWaiter is the reorder buffer of an ordered stage, seen by the input side.
type windowWaiter interface {
	waitRoom(r *runner, seq uint64, n int) bool
}

// roomWaiter is the reorder buffer of an ordered process stage, seen by its input side.
type roomWaiter interface {
	windowWaiter
	tryRoom(seq uint64, n int) bool
}

// claimUpTo takes up to limit items of the current chunk (for worker processes, which take
// what a frame can hold rather than a share). With wait false it returns at once, with no
// items and ok, when none are ready or, ordered, when they do not fit the window; with a
// timeout, it returns so when none came within it.
func (s *sharedIn[T]) claimUpTo(r *runner, ws *workerStats, dst []T, limit int, ord roomWaiter, wait bool, timeout time.Duration) (items []T, seq uint64, ok bool) {
	if !s.mu.TryLock() {
		if !wait {
			return dst[:0], 0, true
		}
		r.idle()
		s.mu.Lock()
	}
	for s.pos >= len(s.cur) {
		if s.cur != nil {
			s.q.recycle(s.cur)
			s.cur, s.pos = nil, 0
		}
		if s.done {
			s.mu.Unlock()
			return dst[:0], 0, false
		}
		var c []T
		var got bool
		if wait {
			var timer <-chan time.Time
			if timeout > 0 {
				t := time.NewTimer(timeout)
				timer = t.C
				defer t.Stop()
			}
			var fired bool
			c, got, fired = s.q.recv(r, ws, timer)
			if fired {
				s.mu.Unlock()
				return dst[:0], 0, true
			}
		} else {
			var ready bool
			c, got, ready = s.q.tryRecv()
			if !ready {
				s.mu.Unlock()
				return dst[:0], 0, true
			}
		}
		if !got {
			s.done = true
			continue
		}
		s.cur, s.pos = c, 0
	}
	g := min(limit, len(s.cur)-s.pos)
	seq = s.seq
	if ord != nil {
		if !wait && !ord.tryRoom(seq, g) {
			s.mu.Unlock()
			return dst[:0], 0, true
		}
		ord.waitRoom(r, seq, g)
	}
	dst = append(dst[:0], s.cur[s.pos:s.pos+g]...)
	s.pos += g
	s.seq += uint64(g)
	s.mu.Unlock()
	return dst, seq, true
}

// tryRecv is recv without waiting: ready is false when no chunk is there.
func (q *queue[T]) tryRecv() (items []T, ok, ready bool) {
	if items, ok := q.nextPending(); ok {
		return items, true, true
	}
	select {
	case c, ok := <-q.out:
		if !ok {
			items, ok, _ := q.drainPending()
			return items, ok, true
		}
		return q.accept(c), true, true
	default:
		return nil, false, false
	}
}
