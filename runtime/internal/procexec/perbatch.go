package procexec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// perBatch serves a process_per_batch(max: N[, ipc: pipe|tempfile]) stage: each item
// (usually a batch) runs in a fresh worker process, at most N at once (N slots), and at most
// what max_processes leaves for the run's short-lived workers. The process's slot of the
// max_processes budget is given back as soon as it has exited, before its results are
// released downstream (which may wait for room): two such stages in a row cannot hold each
// other's slots. With ipc: pipe the item goes on the worker's fd 3 and its results come back
// on fd 4 while it runs; with ipc: tempfile both go through files of a work directory, removed
// when the item succeeds and kept when it fails (its path is in the error).
type perBatch struct {
	run      remote.Run
	tempfile bool
	timeout  time.Duration
	work     chan *remote.Chunk
	wg       sync.WaitGroup
	dirsMu   sync.Mutex
	dirs     map[uint64]string // ipc: tempfile: the work directory of an item, kept across attempts
}

func openPerBatch(run remote.Run) (*perBatch, error) {
	spec := run.Spec()
	pb := &perBatch{run: run, tempfile: spec.Strategy.IPC == "tempfile", timeout: spec.Timeout,
		work: make(chan *remote.Chunk), dirs: map[uint64]string{}}
	n := max(spec.Strategy.N, 1)
	pb.wg.Add(n)
	for i := range n {
		sl := &batchSlot{pb: pb, h: run.Handler(i), page: newPage(run.WorkDir())}
		go sl.loop()
	}
	return pb, nil
}

func (pb *perBatch) ChunkSize() int { return 1 }

// Submit hands each item to a free slot, waiting for one.
func (pb *perBatch) Submit(c *remote.Chunk, _ remote.Handler) {
	for i := range c.Len() {
		pb.work <- c.Sub(i, i+1)
	}
}

// Close waits for the slots to end.
func (pb *perBatch) Close() {
	close(pb.work)
	pb.wg.Wait()
}

// batchSlot runs items one after another, each in a fresh worker process.
type batchSlot struct {
	pb   *perBatch
	h    remote.Handler
	page *page
}

func (sl *batchSlot) loop() {
	defer sl.pb.wg.Done()
	defer sl.page.close()
	for c := range sl.pb.work {
		sl.runItem(c)
	}
}

// runItem runs one item in a worker process; a worker that dies leaves the item to the
// stage, which sends it again (to another process) or fails it.
func (sl *batchSlot) runItem(c *remote.Chunk) {
	pb, run := sl.pb, sl.pb.run
	id := c.IDs[0]
	if run.Canceled() || !run.AcquireProcess(sl.h) {
		sl.h.Lost(0, context.Canceled, c.IDs)
		return
	}
	var hello func(*remote.ToWorker)
	var dir string
	if pb.tempfile {
		var err error
		if dir, err = pb.workDir(id); err == nil {
			err = writeItemFile(filepath.Join(dir, "item.gob"), c)
		}
		if err != nil {
			run.ReleaseProcess()
			sl.h.Refuse(id, fmt.Errorf("cannot send the item to a worker process: %w", err))
			return
		}
		hello = func(m *remote.ToWorker) {
			m.Once, m.ItemPath, m.ResultPath = true, filepath.Join(dir, "item.gob"), filepath.Join(dir, "results.gob")
		}
	} else {
		hello = func(m *remote.ToWorker) { m.Once = true }
	}
	p, err := startProc(run, sl.page, hello)
	if err != nil {
		run.ReleaseProcess()
		run.Fail(err)
		sl.h.Lost(0, err, c.IDs)
		return
	}
	stopWatch := context.AfterFunc(run.Context(), p.stop)
	var timer *time.Timer
	if pb.timeout > 0 {
		var w watch
		timer = time.AfterFunc(watchEvery, func() { sl.watch(p, &w) })
	}
	if !pb.tempfile {
		err := p.send(c.Frame(), c.Values)
		var ee remote.EncodeError
		if errors.As(err, &ee) {
			p.killWith(errors.New("the item could not be sent"))
			sl.h.Refuse(id, fmt.Errorf("cannot send the item to a worker process: %w", ee.Err))
			sl.finish(p, stopWatch, timer)
			return
		}
	}
	var applies []func()
	settled := false
	var readErr error
	if p.readHello() {
		readErr = sl.read(p, p.dec, dir, &applies, &settled)
	}
	waitErr := sl.finish(p, stopWatch, timer)
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

// finish waits for the worker to exit and gives back its budget slot.
func (sl *batchSlot) finish(p *proc, stopWatch func() bool, timer *time.Timer) error {
	err := p.wait()
	stopWatch()
	if timer != nil {
		timer.Stop()
	}
	sl.pb.run.ReleaseProcess()
	return err
}

// watch kills the worker whose item ran past its timeout and the grace period.
func (sl *batchSlot) watch(p *proc, w *watch) {
	if p.eof.Load() {
		return
	}
	id, ran := w.see(sl.page, time.Now())
	if id != 0 && ran > sl.pb.timeout+grace(sl.pb.timeout) {
		p.killWith(timeoutError(p.pid, sl.pb.timeout, id))
		return
	}
	time.AfterFunc(watchEvery, func() { sl.watch(p, w) })
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
