package procexec

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// pool serves a processes(N[, recycle: K]) stage: N persistent worker processes, started at
// once, each in a slot. Items go to the worker with the most room in its window of items in
// flight (a window sized from the item cost, so that cheap items travel in large frames and
// slow ones one at a time); each slot reads its worker's results as they come (a worker sends
// a result within flushAfter of finishing its item). A watchdog looks at what each worker
// runs (its status page): an item past its timeout(D), plus a grace period, has its worker
// killed and fails with a timeout error; when a worker idles while another one holds items
// behind a slow one, those items are revoked and go to the idle worker. A worker that dies is
// replaced; with recycle K, a worker is replaced after K items.
type pool struct {
	run       remote.Run
	n         int
	recycle   int
	timeout   time.Duration
	ordered   bool
	slots     []*poolSlot
	mu        sync.Mutex
	cond      sync.Cond
	closing   bool
	waiting   int   // Submit calls waiting for room
	starting  int   // slots whose first worker is not ready yet: items wait for every one
	replacing bool  // a replacement worker is starting: one at a time, while items wait
	failed    error // no worker can start: items are settled with it
	window    int
	avgNs     int64
	wg        sync.WaitGroup
	stopWait  func() bool
	stopTick  chan struct{}
}

// poolSlot is one worker position of a pool.
type poolSlot struct {
	pl       *pool
	i        int
	h        remote.Handler
	page     *page
	p        *proc    // the current worker; nil while none runs
	ready    bool     // p serves
	inflight []uint64 // ids sent to p, in order, not settled: a window into inbuf
	inbuf    []uint64 // the array of inflight, from its start
	sent     int      // items sent to p (recycle)
	revoked  bool     // a revoke is pending for p
	watch    watch    // what p runs, for the watchdog
}

// In-flight items per worker process. A worker gets enough to stay busy for windowTarget.
const (
	maxWindow    = 4096
	windowTarget = 2 * time.Millisecond
	maxFrame     = 1024 // items per frame to a worker
	watchEvery   = 10 * time.Millisecond
)

func openPool(run remote.Run) (*pool, error) {
	spec := run.Spec()
	pl := &pool{run: run, n: max(spec.Strategy.N, 1), recycle: spec.Strategy.Recycle, timeout: spec.Timeout,
		ordered: spec.Ordered, window: 1, stopTick: make(chan struct{})}
	pl.cond.L = &pl.mu
	for i := range pl.n {
		sl := &poolSlot{pl: pl, i: i, h: run.Handler(i), page: newPage(run.WorkDir())}
		pl.slots = append(pl.slots, sl)
	}
	pl.starting = pl.n
	pl.stopWait = context.AfterFunc(run.Context(), pl.cancel)
	pl.wg.Add(len(pl.slots) + 1)
	for _, sl := range pl.slots {
		go sl.loop()
	}
	go pl.watch()
	return pl, nil
}

func (pl *pool) ChunkSize() int { return maxFrame }

// cancel: the run stops; workers finish the item they run.
func (pl *pool) cancel() {
	pl.mu.Lock()
	pl.cond.Broadcast()
	var ps []*proc
	for _, sl := range pl.slots {
		if sl.p != nil {
			ps = append(ps, sl.p)
		}
	}
	pl.cond.Broadcast()
	pl.mu.Unlock()
	for _, p := range ps {
		p.stop()
	}
}

// Submit sends the chunk's items to the workers with room, waiting for room.
func (pl *pool) Submit(c *remote.Chunk, h remote.Handler) {
	for off := 0; off < c.Len(); {
		pl.mu.Lock()
		var best *poolSlot
		for {
			if pl.failed != nil || pl.run.Canceled() {
				err := pl.failed
				if err == nil {
					err = context.Canceled
				}
				pl.mu.Unlock()
				h.Lost(0, err, c.IDs[off:])
				return
			}
			best = nil
			room := 0
			if pl.starting == 0 {
				for _, sl := range pl.slots {
					if r := sl.room(); r > room {
						best, room = sl, r
					}
				}
			}
			if best != nil {
				break
			}
			pl.waiting++
			pl.cond.Broadcast() // a slot whose worker ended starts a new one
			pl.cond.Wait()
			pl.waiting--
		}
		k := min(best.room(), c.Len()-off, maxFrame)
		sub := c.Sub(off, off+k)
		best.addInflight(sub.IDs)
		best.sent += k
		p := best.p
		pl.mu.Unlock()
		if err := p.send(sub.Frame(), sub.Values); err != nil {
			var ee remote.EncodeError
			if errors.As(err, &ee) {
				best.sendOneByOne(p, sub, h)
			}
			// Otherwise the worker is gone: its slot settles the items when it has ended.
		}
		off += k
	}
}

// room is how many more items the slot's worker may take (under pl.mu).
func (sl *poolSlot) room() int {
	pl := sl.pl
	if sl.p == nil || !sl.ready || pl.closing {
		return 0
	}
	if pl.recycle > 0 && sl.sent >= pl.recycle {
		return 0
	}
	w := pl.window
	if pl.ordered {
		w = min(w, 256)
	}
	r := w - len(sl.inflight)
	if pl.recycle > 0 {
		r = min(r, pl.recycle-sl.sent)
	}
	return r
}

// sendOneByOne sends a chunk whose values could not all be encoded item by item: an item
// that cannot be encoded fails.
func (sl *poolSlot) sendOneByOne(p *proc, c *remote.Chunk, h remote.Handler) {
	for i := range c.Len() {
		one := c.Sub(i, i+1)
		err := p.send(one.Frame(), one.Values)
		var ee remote.EncodeError
		if errors.As(err, &ee) {
			sl.pl.mu.Lock()
			sl.forget(one.IDs[0])
			sl.pl.mu.Unlock()
			h.Refuse(one.IDs[0], fmt.Errorf("cannot send the item to a worker process: %w", ee.Err))
		}
	}
}

// addInflight appends ids to the slot's items in flight (under pl.mu), in the room that
// settled ones left at the front of the array when the end has none: items settle from the
// front, so the window slides along its array rather than growing a new one.
func (sl *poolSlot) addInflight(ids []uint64) {
	n := len(sl.inflight)
	if n+len(ids) > cap(sl.inflight) && n+len(ids) <= cap(sl.inbuf) {
		copy(sl.inbuf[:n], sl.inflight)
		sl.inflight = sl.inbuf[:n]
	}
	sl.inflight = append(sl.inflight, ids...)
	if cap(sl.inflight) > cap(sl.inbuf) {
		sl.inbuf = sl.inflight[:0] // grown: a new array, the window at its start
	}
}

// forget removes an id from the slot's items in flight (under pl.mu). A worker settles its
// items in the order it got them, so the id is almost always the first.
func (sl *poolSlot) forget(id uint64) {
	if len(sl.inflight) > 0 && sl.inflight[0] == id {
		sl.inflight[0] = 0
		sl.inflight = sl.inflight[1:]
		return
	}
	if i := slices.Index(sl.inflight, id); i >= 0 {
		sl.inflight = slices.Delete(sl.inflight, i, i+1)
	}
}

// Close stops the workers (every item is settled) and waits for them.
func (pl *pool) Close() {
	pl.mu.Lock()
	pl.closing = true
	var ps []*proc
	for _, sl := range pl.slots {
		if sl.p != nil {
			ps = append(ps, sl.p)
		}
	}
	pl.cond.Broadcast()
	pl.mu.Unlock()
	for _, p := range ps {
		p.stop()
	}
	close(pl.stopTick)
	pl.wg.Wait()
	pl.stopWait()
	for _, sl := range pl.slots {
		sl.page.close()
	}
}

// loop runs the slot's worker processes one after another until the pool closes.
func (sl *poolSlot) loop() {
	pl := sl.pl
	defer pl.wg.Done()
	first := true
	starting := func() {
		if first {
			first = false
			pl.mu.Lock()
			pl.starting--
			pl.cond.Broadcast()
			pl.mu.Unlock()
		}
	}
	defer starting()
	for {
		// The first worker starts at once; a replacement (of a worker that died or was
		// recycled) when items wait for room.
		pl.mu.Lock()
		for !first && (pl.waiting == 0 || pl.replacing || pl.hasRoom()) && !pl.stopping() {
			pl.cond.Wait()
		}
		stop := pl.stopping()
		replacing := !first && !stop
		if replacing {
			pl.replacing = true
		}
		pl.mu.Unlock()
		if stop {
			return
		}
		p, err := startProc(pl.run, sl.page, nil)
		if err != nil {
			pl.fail(err)
			return
		}
		pl.mu.Lock()
		sl.p, sl.ready, sl.sent, sl.revoked = p, false, 0, false
		closing := pl.closing || pl.run.Canceled()
		pl.mu.Unlock()
		if closing {
			p.stop()
		}
		var readErr error
		ok := p.readHello()
		pl.mu.Lock()
		sl.ready = ok
		if replacing {
			pl.replacing = false
		}
		pl.cond.Broadcast()
		pl.mu.Unlock()
		starting()
		if ok {
			readErr = sl.read(p)
		}
		sl.h.Idle()
		waitErr := p.wait()
		if err := p.startError(readErr, waitErr); err != nil {
			pl.fail(err)
		}
		sl.ended(p, readErr, waitErr)
	}
}

// hasRoom reports whether a worker can take items now (under pl.mu).
func (pl *pool) hasRoom() bool {
	for _, sl := range pl.slots {
		if sl.room() > 0 {
			return true
		}
	}
	return false
}

// stopping reports whether the pool stops starting workers (under pl.mu).
func (pl *pool) stopping() bool { return pl.closing || pl.run.Canceled() || pl.failed != nil }

// fail records that workers cannot start: the run fails.
func (pl *pool) fail(err error) {
	pl.mu.Lock()
	if pl.failed == nil {
		pl.failed = err
	}
	pl.cond.Broadcast()
	pl.mu.Unlock()
	pl.run.Fail(err)
}

// read reads the worker's results until its stream ends.
func (sl *poolSlot) read(p *proc) error {
	pl := sl.pl
	defer p.eof.Store(true)
	m := &remote.FromWorker{} // reused: each frame is applied before the next is read
	for {
		if !p.dec.Buffered() {
			sl.h.Idle() // about to wait: flush what is buffered for downstream
		}
		hdr, err := p.dec.Next()
		if err != nil {
			return err
		}
		if err := m.Unmarshal(hdr); err != nil {
			return err
		}
		if m.Kind != remote.KindResults {
			return fmt.Errorf("unexpected frame kind %d", m.Kind)
		}
		m.PID, m.Bytes = p.pid, p.dec.Payload()
		apply, err := sl.h.Results(m, p.dec.Decode)
		if err != nil {
			return err
		}
		pl.mu.Lock()
		for _, o := range m.Outcomes {
			sl.forget(o.ID)
		}
		if len(m.Outcomes) > 0 {
			sl.revoked = false
		}
		pl.adapt(m.Lat)
		pl.mu.Unlock()
		apply()
		pl.mu.Lock()
		recycled := pl.recycle > 0 && sl.sent >= pl.recycle && len(sl.inflight) == 0
		pl.cond.Broadcast()
		pl.mu.Unlock()
		if recycled {
			p.stop()
		}
	}
}

// adapt sizes the workers' windows from sampled item durations (under pl.mu).
func (pl *pool) adapt(lat []int64) {
	for _, d := range lat {
		if pl.avgNs == 0 {
			pl.avgNs = max(d, 1)
		} else {
			pl.avgNs += (d - pl.avgNs) / 8
		}
	}
	if len(lat) == 0 {
		return
	}
	pl.avgNs = max(pl.avgNs, 1)
	pl.window = min(max(int(int64(windowTarget)/pl.avgNs), 1), maxWindow)
}

// ended settles the items the slot's worker left when it ended: the one it ran (from its
// status page) used an attempt; the others run again.
func (sl *poolSlot) ended(p *proc, readErr, waitErr error) {
	pl := sl.pl
	pl.mu.Lock()
	left := sl.inflight
	sl.inflight, sl.inbuf, sl.p, sl.ready = nil, nil, nil, false
	pl.cond.Broadcast()
	pl.mu.Unlock()
	if len(left) == 0 {
		return
	}
	ran, _ := sl.page.running()
	sl.watch = watch{}
	if !slices.Contains(left, ran) {
		ran = 0
	}
	if ran == 0 && sl.page == nil {
		// Without a status page, the oldest unreported item is the best guess.
		ran = left[0]
	}
	others := slices.DeleteFunc(slices.Clone(left), func(id uint64) bool { return id == ran })
	var cause error
	if ran != 0 {
		cause = p.deathError(readErr, waitErr)
	}
	sl.h.Lost(ran, cause, others)
}

// watch enforces timeouts and moves items stuck behind a slow one, until the pool closes.
func (pl *pool) watch() {
	defer pl.wg.Done()
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-pl.stopTick:
			return
		case <-t.C:
		}
		pl.check(time.Now())
	}
}

// check looks at what each worker runs.
func (pl *pool) check(now time.Time) {
	type revoke struct {
		p   *proc
		ids []uint64
	}
	var kills []*proc
	var killIDs []uint64
	var revokes []revoke
	pl.mu.Lock()
	idle := false
	for _, sl := range pl.slots {
		if sl.p != nil && sl.ready && len(sl.inflight) == 0 {
			idle = true
		}
	}
	stuck := max(3*watchEvery, time.Duration(8*pl.avgNs))
	for _, sl := range pl.slots {
		if sl.p == nil || !sl.ready {
			continue
		}
		id, ran := sl.watch.see(sl.page, now)
		if id == 0 {
			continue
		}
		if pl.timeout > 0 && ran > pl.timeout+grace(pl.timeout) {
			kills, killIDs = append(kills, sl.p), append(killIDs, id)
			continue
		}
		if idle && pl.waiting == 0 && !sl.revoked && ran > stuck {
			if i := slices.Index(sl.inflight, id); i >= 0 && i+1 < len(sl.inflight) {
				revokes = append(revokes, revoke{sl.p, slices.Clone(sl.inflight[i+1:])})
				sl.revoked = true
			}
		}
	}
	pl.mu.Unlock()
	for i, p := range kills {
		p.killWith(timeoutError(p.pid, pl.timeout, killIDs[i]))
	}
	for _, r := range revokes {
		_ = r.p.send(&remote.ToWorker{Kind: remote.KindRevoke, IDs: r.ids}, nil)
	}
}

// watch remembers when an attempt was first seen running, to time it.
type watch struct {
	id, attempt uint64
	since       time.Time
}

// see returns how long the page's current attempt has been running, as far as the calls to
// see tell (0 when none runs).
func (w *watch) see(p *page, now time.Time) (uint64, time.Duration) {
	id, a := p.running()
	if id == 0 {
		*w = watch{}
		return 0, 0
	}
	if id != w.id || a != w.attempt {
		*w = watch{id: id, attempt: a, since: now}
	}
	return id, now.Sub(w.since)
}

// grace is how long past its timeout an item may run before its worker is killed.
func grace(timeout time.Duration) time.Duration { return remote.TimeoutGrace(timeout) }

func timeoutError(pid int, timeout time.Duration, _ uint64) error {
	return &remote.RemoteError{PID: pid,
		Msg: fmt.Sprintf("timeout: the item ran past its timeout(%v) and worker process %d was killed", timeout, pid)}
}
