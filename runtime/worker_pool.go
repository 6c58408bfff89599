package mgrt

import (
	"context"
	"sync"
	"time"
)

// feederPoll is how long a feeder waits for input before it checks that its worker is alive.
const feederPoll = 20 * time.Millisecond

// poolDriver runs a Processes(N) stage: N persistent worker processes, started at once, each
// served by a slot (worker_slot.go). A slot's feeder goroutine takes items from the stage's
// input as long as its worker has room in its window and sends them in frames (large when the
// input is backed up); the slot's goroutine reads the results. A worker that dies is replaced
// and its unfinished items go to the next one (the one it was running counts as an attempt);
// with recycle K, a worker is replaced after K items.
type poolDriver[In, Out any] struct{ n *Node[In, Out] }

func (d poolDriver[In, Out]) goroutines(r *run) []func() {
	n := d.n
	ps := newProcStage(r, n)
	fns := make([]func(), 0, ps.workers)
	for range ps.workers {
		sl := ps.newSlot(r)
		fns = append(fns, func() {
			sl.runPool()
			n.rt.exit(sl.rn)
		})
	}
	return fns
}

// runPool runs the slot's worker processes until the input has ended and every item is
// settled. The first worker starts at once; a replacement (of a worker that died or was
// recycled) starts when there is work for it.
func (sl *procSlot[In, Out]) runPool() {
	ps := sl.ps
	r := ps.r
	inputDone := false
	for first := true; ; first = false {
		if r.canceled.Load() {
			sl.ended(&proc{}, nil, nil) // drops what waits
			if !inputDone {
				sl.drainInput()
			}
			return
		}
		if !first && !sl.pending() {
			if inputDone || !sl.claimFirst() {
				return
			}
			continue // canceled meanwhile, or items to send
		}
		p, err := ps.start(wireIn{})
		if err != nil {
			r.failRun(err)
			continue
		}
		stopWatch := context.AfterFunc(r.ctx, p.stop)
		sl.mu.Lock()
		sl.procDead = false
		sl.mu.Unlock()
		var fed sync.WaitGroup
		fed.Add(1)
		go func() {
			defer fed.Done()
			if sl.feed(p) {
				inputDone = true
			}
		}()
		readErr := sl.readLoop(p, p.dec)
		sl.mu.Lock()
		sl.procDead = true
		sl.mu.Unlock()
		sl.room.Broadcast()
		p.stop() // wakes a feeder blocked on the pipe
		fed.Wait()
		waitErr := p.wait()
		stopWatch()
		if err := sl.startError(p, readErr, waitErr); err != nil {
			r.failRun(err)
		}
		sl.ended(p, readErr, waitErr)
		sl.mu.Lock()
		a := int32(1)
		if len(sl.isolate) > 0 {
			a = sl.isolate[0].attempt
		}
		sl.mu.Unlock()
		sl.retryWait(a)
	}
}

// claimFirst takes the first items for a replacement worker; false once the input ended.
func (sl *procSlot[In, Out]) claimFirst() bool {
	ps := sl.ps
	var ow roomWaiter
	if ps.ord != nil {
		ow = ps.ord
	}
	buf := make([]In, 0, maxChunk)
	limit := min(int(ps.window.Load()), maxFrame)
	if r := ps.n.spec.Strategy.Recycle; r > 0 {
		limit = min(limit, r)
	}
	items, seq, ok := ps.in.claimUpTo(sl.rn, &sl.w.ws, buf, limit, ow, true, 0)
	if !ok {
		return false
	}
	fl := make([]flight[In], len(items))
	for i, v := range items {
		fl[i] = flight[In]{v: v, attempt: 1, seq: seq + uint64(i)}
	}
	sl.mu.Lock()
	sl.retry = append(sl.retry, fl...)
	sl.mu.Unlock()
	return true
}

// feed sends items to worker p while it has room, until the input ends (true), the worker
// is recycled or gone (false): first the items to run one at a time, then those left by the
// previous worker, then the input. Items taken after the run was canceled are dropped.
func (sl *procSlot[In, Out]) feed(p *proc) (inputDone bool) {
	ps := sl.ps
	r := ps.r
	defer sl.frn.idle()
	recycle := ps.n.spec.Strategy.Recycle
	sent := 0
	for {
		sl.mu.Lock()
		if len(sl.isolate) == 0 {
			sl.mu.Unlock()
			break
		}
		f := sl.isolate[0]
		sl.isolate = sl.isolate[1:]
		sl.mu.Unlock()
		if !sl.send(p, []flight[In]{f}, sl.fdead, &sl.fw, &sl.fws) {
			return false
		}
		sent++
		sl.mu.Lock()
		for len(sl.flights) > 0 && !sl.procDead {
			sl.room.Wait()
		}
		dead := sl.procDead
		sl.mu.Unlock()
		if dead {
			return false
		}
	}
	sl.mu.Lock()
	retry := sl.retry
	sl.retry = nil
	if recycle > 0 && len(retry) > recycle-sent {
		sl.retry = retry[max(recycle-sent, 0):]
		retry = retry[:max(recycle-sent, 0)]
	}
	sl.mu.Unlock()
	if len(retry) > 0 {
		if r.canceled.Load() {
			for _, f := range retry {
				sl.drop(f, &sl.fw, &sl.fws)
			}
		} else {
			ps.st.begin()
			sl.fws.markFirst()
			if !sl.send(p, retry, sl.fdead, &sl.fw, &sl.fws) {
				return false
			}
			sent += len(retry)
		}
	}
	var ow roomWaiter
	if ps.ord != nil {
		ow = ps.ord
	}
	buf := make([]In, 0, maxChunk)
	var fl []flight[In]
	for {
		if recycle > 0 && sent >= recycle {
			sl.finish(p)
			return false
		}
		room := sl.waitRoom()
		if room == 0 {
			return false
		}
		if recycle > 0 {
			room = min(room, recycle-sent)
		}
		room = min(room, maxFrame)
		fl = fl[:0]
		ended := false
		for wait := true; len(fl) < room; wait = false {
			// A feeder waiting for input looks up now and then: its worker may be gone.
			items, seq, ok := ps.in.claimUpTo(sl.frn, &sl.fws, buf, room-len(fl), ow, wait, feederPoll)
			if !ok {
				ended = true
				break
			}
			if len(items) == 0 {
				break
			}
			for i, v := range items {
				fl = append(fl, flight[In]{v: v, attempt: 1, seq: seq + uint64(i)})
			}
			clear(items)
		}
		if len(fl) > 0 {
			if r.canceled.Load() {
				for _, f := range fl {
					sl.drop(f, &sl.fw, &sl.fws)
				}
			} else {
				ps.st.begin()
				sl.fws.markFirst()
				if !sl.send(p, fl, sl.fdead, &sl.fw, &sl.fws) {
					return ended
				}
				sent += len(fl)
			}
			clear(fl)
		}
		if ended {
			sl.finish(p)
			return true
		}
		sl.frn.afterItems()
	}
}

// waitRoom waits until the worker has room for more items and returns how many; 0 when the
// worker is gone.
func (sl *procSlot[In, Out]) waitRoom() int {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	idled := false
	for {
		if sl.procDead {
			return 0
		}
		if n := int(sl.ps.window.Load()) - len(sl.flights); n > 0 {
			return n
		}
		if !idled {
			idled = true
			sl.mu.Unlock()
			sl.frn.idle()
			sl.mu.Lock()
			continue
		}
		sl.room.Wait()
	}
}

// finish waits until every item sent to p is settled, then tells p to stop.
func (sl *procSlot[In, Out]) finish(p *proc) {
	sl.mu.Lock()
	for len(sl.flights) > 0 && !sl.procDead {
		sl.room.Wait()
	}
	sl.mu.Unlock()
	p.stop()
}

// drainInput takes what is left of the input after cancellation and counts it as dropped.
func (sl *procSlot[In, Out]) drainInput() {
	ps := sl.ps
	var ow roomWaiter
	if ps.ord != nil {
		ow = ps.ord
	}
	rn, w, ws := sl.rn, &sl.w, &sl.w.ws
	buf := make([]In, 0, maxChunk)
	for {
		items, seq, ok := ps.in.claimUpTo(rn, ws, buf, maxChunk, ow, true, 0)
		if !ok {
			return
		}
		for i := range items {
			sl.drop(flight[In]{seq: seq + uint64(i)}, w, ws)
		}
		clear(items)
	}
}
