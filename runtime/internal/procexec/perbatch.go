package procexec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// perBatch serves a process_per_batch(max: N[, ipc: pipe|tempfile]) stage: each item
// (usually a batch) runs in a fresh worker process, a process that runs no other item, at most
// N at once (N slots), and at most what max_processes leaves for the run's short-lived
// workers.
//
// Processes are started ahead of need. The stage takes up to min(N, warmAhead) items from its
// input ahead of its slots, and for each of them, and each slot waiting for a process, starts
// one at once: a warm worker, which starts the Go runtime, initialises the packages, connects
// and takes its hello, then waits, idle, until a slot hands it its item; only then does it
// build the graph and run the after_fork hooks, like any worker. So a stage has at most N
// processes running items and at most min(N, warmAhead) more, warm, and never starts one for
// an item it does not hold: none once the input has ended. Each process holds a slot of the
// max_processes budget from its start to its exit; an idle warm worker gives its slot up when
// another stage waits for one (Run.IdleProcess), and none is started ahead of need while a
// stage waits. With ipc: tempfile a process is started when its item comes (its hello names
// the item's files).
//
// The process's slot of the max_processes budget is given back as soon as it has exited,
// before its results are released downstream (which may wait for room): two such stages in a
// row cannot hold each other's slots. With ipc: pipe the item goes on the worker's fd 3 and its
// results come back on fd 4 while it runs; with ipc: tempfile both go through files of a work
// directory, removed when the item succeeds and kept when it fails (its path is in the error).
type perBatch struct {
	run      remote.Run
	tempfile bool
	timeout  time.Duration
	ahead    int // how many items (and so warm workers) wait ahead of the slots

	mu       sync.Mutex
	cond     sync.Cond
	queue    []*remote.Chunk // items (one each) not taken by a slot yet
	ready    []*warmProc     // warm workers, oldest first
	starting int             // warm workers being started
	killed   int             // warm workers killed by a signal while starting, in a row
	waiting  int             // slots that have an item and wait for a worker
	blocked  bool            // the budget had no slot for a warm worker: none until one exits
	closed   bool            // no item comes anymore
	failed   error           // a worker could not start: the run fails, items are settled with it
	pages    []*page         // status pages free for the next worker

	bg       int            // goroutines starting or dismissing warm workers (pb.goLocked)
	wg       sync.WaitGroup // slots
	stopWait func() bool
	dirsMu   sync.Mutex
	dirs     map[uint64]string // ipc: tempfile: the work directory of an item, kept across attempts
}

// warmAhead is how many warm workers a process_per_batch stage keeps at most (and how many
// items it takes from its input ahead of its slots), if it has that many slots.
const warmAhead = 4

// warmProc is a worker started ahead of need.
type warmProc struct {
	p     *proc
	page  *page
	claim func() bool // Run.IdleProcess's
}

func openPerBatch(run remote.Run) (*perBatch, error) {
	spec := run.Spec()
	n := max(spec.Strategy.N, 1)
	pb := &perBatch{run: run, tempfile: spec.Strategy.IPC == "tempfile", timeout: spec.Timeout,
		ahead: min(n, warmAhead), dirs: map[uint64]string{}}
	pb.cond.L = &pb.mu
	pb.stopWait = context.AfterFunc(run.Context(), pb.cancel)
	pb.wg.Add(n)
	for i := range n {
		sl := &batchSlot{pb: pb, h: run.Handler(i)}
		go sl.loop()
	}
	return pb, nil
}

func (pb *perBatch) ChunkSize() int { return 1 }

// Submit queues each item for a slot, waiting while ahead items wait already.
func (pb *perBatch) Submit(c *remote.Chunk, h remote.Handler) {
	for i := range c.Len() {
		pb.mu.Lock()
		for len(pb.queue) >= pb.ahead && pb.failed == nil && !pb.run.Canceled() {
			pb.cond.Wait()
		}
		if err := pb.failed; err != nil || pb.run.Canceled() {
			pb.mu.Unlock()
			if err == nil {
				err = context.Canceled
			}
			h.Lost(0, err, c.IDs[i:])
			return
		}
		pb.queue = append(pb.queue, c.Sub(i, i+1))
		pb.refillLocked()
		pb.cond.Broadcast()
		pb.mu.Unlock()
	}
}

// Close waits for the slots to end, then for the workers started ahead to be gone.
func (pb *perBatch) Close() {
	pb.mu.Lock()
	pb.closed = true
	pb.cond.Broadcast()
	pb.mu.Unlock()
	pb.wg.Wait()
	pb.stopWait()
	pb.mu.Lock()
	for {
		pb.dismissReadyLocked()
		if pb.bg == 0 {
			break
		}
		pb.cond.Wait()
	}
	pb.mu.Unlock()
	for _, pg := range pb.pages {
		pg.close()
	}
}

// cancel: the run stops; warm workers are not needed anymore.
func (pb *perBatch) cancel() {
	pb.mu.Lock()
	pb.dismissReadyLocked()
	pb.cond.Broadcast()
	pb.mu.Unlock()
}

// dismissReadyLocked stops the warm workers that wait for an item (under pb.mu).
func (pb *perBatch) dismissReadyLocked() {
	for _, w := range pb.ready {
		if w.claim() {
			pb.dismissLocked(w)
		} // else it was reclaimed: that dismisses it
	}
	clear(pb.ready)
	pb.ready = pb.ready[:0]
}

// goLocked runs f on a goroutine that Close waits for (under pb.mu).
func (pb *perBatch) goLocked(f func()) {
	pb.bg++
	go func() {
		f()
		pb.mu.Lock()
		pb.bg--
		pb.cond.Broadcast()
		pb.mu.Unlock()
	}()
}

// next returns the next item for a slot, waiting for one; nil once the input has ended.
func (pb *perBatch) next() *remote.Chunk {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	for len(pb.queue) == 0 {
		if pb.closed {
			return nil
		}
		pb.cond.Wait()
	}
	c := pb.queue[0]
	pb.queue[0] = nil
	pb.queue = pb.queue[1:]
	pb.cond.Broadcast() // Submit has room
	return c
}

// stopping reports whether no worker starts ahead anymore (under pb.mu).
func (pb *perBatch) stopping() bool {
	return pb.closed || pb.failed != nil || pb.run.Canceled()
}

// refillLocked starts warm workers for the slots that wait for one and for the items waiting
// (under pb.mu).
func (pb *perBatch) refillLocked() {
	if pb.tempfile || pb.blocked {
		return
	}
	for want := pb.waiting + min(len(pb.queue), pb.ahead); len(pb.ready)+pb.starting < want && !pb.stopping(); {
		pb.starting++
		pb.goLocked(pb.startWarm)
	}
}

// startWarm starts a worker ahead of need and makes it ready for an item.
func (pb *perBatch) startWarm() {
	run := pb.run
	if !run.TryAcquireProcess() {
		pb.mu.Lock()
		pb.starting--
		pb.blocked = true
		pb.cond.Broadcast() // a waiting slot starts its own
		pb.mu.Unlock()
		return
	}
	pg := pb.getPage()
	p, err := startProc(run, pg, func(m *remote.ToWorker) { m.Once = true })
	if err == nil && !p.readAlive() {
		waitErr := p.wait()
		err = p.startError(nil, waitErr)
		if err != nil && killedBySignal(waitErr) && p.readyErr == nil {
			// Killed from outside before it held an item (the OOM killer, an operator): it
			// cost nothing, and another starts, unless this keeps happening.
			pb.mu.Lock()
			pb.killed++
			again := pb.killed <= maxWarmKills
			pb.mu.Unlock()
			if again {
				err = nil
			}
		}
		p = nil
	}
	if err != nil || p == nil {
		run.ReleaseProcess()
		pb.putPage(pg)
		pb.mu.Lock()
		pb.starting--
		pb.mu.Unlock()
		if err != nil {
			pb.fail(err)
		} else {
			pb.mu.Lock()
			pb.cond.Broadcast()
			pb.mu.Unlock()
		}
		return
	}
	w := &warmProc{p: p, page: pg}
	w.claim = run.IdleProcess(func() { pb.reclaim(w) })
	pb.mu.Lock()
	defer pb.mu.Unlock()
	pb.starting--
	pb.killed = 0
	if pb.stopping() && pb.waiting == 0 {
		if w.claim() {
			pb.dismissLocked(w)
		}
		return
	}
	pb.ready = append(pb.ready, w)
	pb.cond.Broadcast()
}

// maxWarmKills is how many warm workers in a row may be killed by a signal while they start
// before the stage fails with the last one's error.
const maxWarmKills = 3

// killedBySignal reports whether a worker's wait error says a signal ended it.
func killedBySignal(err error) bool {
	var es exitStatus
	return errors.As(err, &es) && signaled(es.state)
}

// reclaim stops a warm worker whose budget slot another stage needs.
func (pb *perBatch) reclaim(w *warmProc) {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if i := slices.Index(pb.ready, w); i >= 0 {
		pb.ready = slices.Delete(pb.ready, i, i+1)
	}
	pb.dismissLocked(w)
	pb.cond.Broadcast()
}

// dismissLocked stops a warm worker that will get no item, and gives back its slot once it
// exited (under pb.mu).
func (pb *perBatch) dismissLocked(w *warmProc) {
	pb.goLocked(func() {
		w.p.stop() // it exits as soon as it reads that (its hello needs no answer)
		_ = w.p.wait()
		pb.run.ReleaseProcess()
		pb.putPage(w.page)
		pb.mu.Lock()
		pb.blocked = false
		pb.refillLocked()
		pb.mu.Unlock()
	})
}

// fail records that a worker could not start: the run fails.
func (pb *perBatch) fail(err error) {
	pb.mu.Lock()
	if pb.failed == nil {
		pb.failed = err
	}
	pb.cond.Broadcast()
	pb.mu.Unlock()
	pb.run.Fail(err)
}

// worker returns a ready worker for a slot's item (warm: it answered already), waiting for
// one being started, or starts one itself when none is coming; nil (with why) when none can
// start.
func (pb *perBatch) worker(h remote.Handler) (p *proc, pg *page, warm bool, err error) {
	pb.mu.Lock()
	pb.waiting++
	pb.refillLocked()
	for {
		if pb.failed == nil && !pb.run.Canceled() && len(pb.ready) > 0 {
			w := pb.ready[0]
			pb.ready[0] = nil
			pb.ready = pb.ready[1:]
			pb.waiting--
			pb.refillLocked()
			pb.mu.Unlock()
			if w.claim() {
				return w.p, w.page, true, nil
			}
			pb.mu.Lock() // reclaimed meanwhile: it is being stopped; wait for another
			pb.waiting++
			continue
		}
		if err := pb.failed; err != nil {
			pb.waiting--
			pb.mu.Unlock()
			return nil, nil, false, err
		}
		if pb.run.Canceled() {
			pb.waiting--
			pb.mu.Unlock()
			return nil, nil, false, context.Canceled
		}
		if pb.starting < pb.waiting {
			// Nothing is coming for this slot (the budget is short, or ipc: tempfile): start
			// one now, waiting for a budget slot.
			pb.waiting--
			pb.mu.Unlock()
			p, pg, err := pb.startCold(h, nil)
			return p, pg, false, err
		}
		pb.cond.Wait()
	}
}

// startCold starts a worker for a slot's item, waiting for a budget slot.
func (pb *perBatch) startCold(h remote.Handler, setup func(*remote.ToWorker)) (*proc, *page, error) {
	run := pb.run
	if !run.AcquireProcess(h) {
		return nil, nil, context.Canceled
	}
	if setup == nil {
		setup = func(m *remote.ToWorker) { m.Once = true }
	}
	pg := pb.getPage()
	p, err := startProc(run, pg, setup)
	if err != nil {
		run.ReleaseProcess()
		pb.putPage(pg)
		pb.fail(err)
		return nil, nil, err
	}
	return p, pg, nil
}

// getPage returns a status page for a new worker: only a stage with a timeout needs one (to
// time each attempt); a worker of a process_per_batch stage runs one item, which the parent
// knows.
func (pb *perBatch) getPage() *page {
	if pb.timeout <= 0 {
		return nil
	}
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if n := len(pb.pages); n > 0 {
		pg := pb.pages[n-1]
		pb.pages = pb.pages[:n-1]
		return pg
	}
	return newPage(pb.run.WorkDir())
}

func (pb *perBatch) putPage(pg *page) {
	if pg == nil {
		return
	}
	pb.mu.Lock()
	pb.pages = append(pb.pages, pg)
	pb.mu.Unlock()
}

// batchSlot runs items one after another, each in a fresh worker process.
type batchSlot struct {
	pb *perBatch
	h  remote.Handler
}

func (sl *batchSlot) loop() {
	defer sl.pb.wg.Done()
	for {
		c := sl.pb.next()
		if c == nil {
			return
		}
		sl.runItem(c)
	}
}

// runItem runs one item in a worker process; a worker that dies leaves the item to the
// stage, which sends it again (to another process) or fails it.
func (sl *batchSlot) runItem(c *remote.Chunk) {
	pb, run := sl.pb, sl.pb.run
	id := c.IDs[0]
	if run.Canceled() {
		sl.h.Lost(0, context.Canceled, c.IDs)
		return
	}
	var p *proc
	var pg *page
	var err error
	var dir string
	warm := false
	if pb.tempfile {
		if dir, err = pb.workDir(id); err == nil {
			err = writeItemFile(filepath.Join(dir, "item.gob"), c)
		}
		if err != nil {
			sl.h.Refuse(id, fmt.Errorf("cannot send the item to a worker process: %w", err))
			return
		}
		p, pg, err = pb.startCold(sl.h, func(m *remote.ToWorker) {
			m.Once, m.ItemPath, m.ResultPath = true, filepath.Join(dir, "item.gob"), filepath.Join(dir, "results.gob")
		})
	} else {
		p, pg, warm, err = pb.worker(sl.h)
	}
	if p == nil {
		sl.h.Lost(0, err, c.IDs)
		return
	}
	stopWatch := context.AfterFunc(run.Context(), p.stop)
	var timer *time.Timer
	if pb.timeout > 0 {
		var w watch
		timer = time.AfterFunc(watchEvery, func() { sl.watch(p, pg, &w) })
	}
	if !pb.tempfile {
		err := p.send(c.Frame(), c.Values)
		var ee remote.EncodeError
		if errors.As(err, &ee) {
			p.killWith(errors.New("the item could not be sent"))
			sl.h.Refuse(id, fmt.Errorf("cannot send the item to a worker process: %w", ee.Err))
			sl.finish(p, pg, stopWatch, timer)
			return
		}
		if err != nil && warm {
			// A warm worker that is gone already (something killed it while it waited): the
			// item never reached it and runs again, in another process.
			p.killWith(errors.New("the worker ended before its item came"))
			p.drain()
			sl.finish(p, pg, stopWatch, timer)
			sl.h.Lost(0, nil, c.IDs)
			return
		}
	}
	var applies []func()
	settled := false
	var readErr error
	if p.readHello() {
		readErr = sl.read(p, p.dec, dir, &applies, &settled)
	}
	waitErr := sl.finish(p, pg, stopWatch, timer)
	if err := p.startError(readErr, waitErr); err != nil {
		run.Fail(err)
	}
	if pb.tempfile && p.ready {
		if err := sl.readResultFile(p, dir, &applies, &settled); err != nil && readErr == nil {
			readErr = err
		}
	}
	// The process has exited and its budget slot is free: now release what it sent.
	for _, apply := range applies {
		apply()
	}
	if settled {
		return
	}
	ran := uint64(0)
	var cause error
	if p.ready {
		ran, cause = id, p.deathError(readErr, waitErr)
		if dir != "" {
			var re *remote.RemoteError
			if errors.As(cause, &re) {
				re.WorkDir = dir
			}
		}
	}
	if ran != 0 {
		sl.h.Lost(ran, cause, nil)
	} else {
		sl.h.Lost(0, cause, c.IDs)
	}
}

// finish waits for the worker to exit and gives back its budget slot and its status page.
func (sl *batchSlot) finish(p *proc, pg *page, stopWatch func() bool, timer *time.Timer) error {
	err := p.wait()
	stopWatch()
	if timer != nil {
		timer.Stop()
	}
	sl.pb.run.ReleaseProcess()
	sl.pb.mu.Lock()
	sl.pb.blocked = false // a budget slot is free: warm workers may start again
	sl.pb.refillLocked()
	sl.pb.mu.Unlock()
	sl.pb.putPage(pg)
	return err
}

// watch kills the worker whose item ran past its timeout and the grace period.
func (sl *batchSlot) watch(p *proc, pg *page, w *watch) {
	if p.eof.Load() {
		return
	}
	id, ran := w.see(pg, time.Now())
	if id != 0 && ran > sl.pb.timeout+grace(sl.pb.timeout) {
		p.killWith(timeoutError(p.pid, sl.pb.timeout, id))
		return
	}
	time.AfterFunc(watchEvery, func() { sl.watch(p, pg, w) })
}

// read reads a worker's results: frames with outcomes are applied once the process has
// exited (they release emits downstream); emits sent ahead are held at once.
func (sl *batchSlot) read(p *proc, dec *remote.FrameReader, dir string, applies *[]func(), settled *bool) error {
	if dec == p.dec {
		defer p.eof.Store(true)
	}
	for {
		hdr, err := dec.Next()
		if err != nil {
			return err
		}
		m := &remote.FromWorker{}
		if err := m.Unmarshal(hdr); err != nil {
			return err
		}
		if m.Kind != remote.KindResults {
			return fmt.Errorf("unexpected frame kind %d", m.Kind)
		}
		m.PID, m.Bytes, m.WorkDir = p.pid, dec.Payload(), dir
		apply, err := sl.h.Results(m, dec.Decode)
		if err != nil {
			return err
		}
		if len(m.Outcomes) == 0 {
			apply()
			continue
		}
		*applies = append(*applies, apply)
		*settled = true
		sl.settleDir(m.Outcomes[0])
	}
}

// readResultFile reads the results a process_per_batch(ipc: tempfile) worker wrote.
func (sl *batchSlot) readResultFile(p *proc, dir string, applies *[]func(), settled *bool) error {
	file, err := os.Open(filepath.Join(dir, "results.gob"))
	if err != nil {
		return err
	}
	defer file.Close()
	err = sl.read(p, remote.NewFrameReader(file, 64<<10), dir, applies, settled)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// workDir returns the item's work directory, made at its first attempt.
func (pb *perBatch) workDir(id uint64) (string, error) {
	pb.dirsMu.Lock()
	defer pb.dirsMu.Unlock()
	if d, ok := pb.dirs[id]; ok {
		return d, nil
	}
	d, err := os.MkdirTemp(pb.run.WorkDir(), "minigun-"+safeName(pb.run.Spec().Name)+"-")
	if err != nil {
		return "", fmt.Errorf("making a work directory: %w", err)
	}
	pb.dirs[id] = d
	return d, nil
}

// settleDir removes the work directory of an item that succeeded or was not run, and keeps
// that of one that failed.
func (sl *batchSlot) settleDir(o remote.Outcome) {
	pb := sl.pb
	if !pb.tempfile {
		return
	}
	pb.dirsMu.Lock()
	d := pb.dirs[o.ID]
	delete(pb.dirs, o.ID)
	pb.dirsMu.Unlock()
	if o.Status != remote.StatusFailed && d != "" {
		os.RemoveAll(d)
	}
}

// writeItemFile writes the item of a process_per_batch(ipc: tempfile) worker.
func writeItemFile(path string, c *remote.Chunk) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(file)
	err = remote.NewFrameWriter(bw).Send(c.Frame(), c.Values)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// safeName makes a stage name usable in a file name.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}
