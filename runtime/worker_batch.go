package mgrt

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// perBatchDriver runs a ProcessPerBatch(max: N) stage: each input item (usually a batch) runs
// in a fresh worker process, at most N at once (N slots), and at most what max_processes
// leaves for the run's process_per_batch stages. With ipc: pipe the item goes on the worker's
// fd 3 and its results come back on fd 4 while it runs; with ipc: tempfile both go through
// files of a work directory, removed when the item succeeds and kept when it fails for good.
// A worker that dies is an attempt of its item; the item is retried in a new process.
type perBatchDriver[In, Out any] struct{ n *Node[In, Out] }

func (d perBatchDriver[In, Out]) goroutines(r *run) []func() {
	n := d.n
	ps := newProcStage(r, n)
	ps.window.Store(1)
	fns := make([]func(), 0, ps.workers)
	for range ps.workers {
		sl := ps.newSlot(r)
		fns = append(fns, func() {
			sl.runPerBatch()
			n.rt.exit(sl.rn)
		})
	}
	return fns
}

// runPerBatch takes items one at a time and runs each in a fresh worker process.
func (sl *procSlot[In, Out]) runPerBatch() {
	ps := sl.ps
	r := ps.r
	var ow roomWaiter
	if ps.ord != nil {
		ow = ps.ord
	}
	buf := make([]In, 0, 1)
	for {
		items, seq, ok := ps.in.claimUpTo(sl.rn, &sl.w.ws, buf, 1, ow, true, 0)
		if !ok {
			return
		}
		f := flight[In]{v: items[0], attempt: 1, seq: seq}
		clear(items)
		if r.canceled.Load() {
			sl.drop(f, &sl.w, &sl.w.ws)
			continue
		}
		ps.st.begin()
		sl.w.ws.markFirst()
		sl.runItem(f)
		sl.rn.afterItems()
	}
}

// runItem runs one item in worker processes until it is settled.
func (sl *procSlot[In, Out]) runItem(f flight[In]) {
	ps := sl.ps
	r := ps.r
	tempfile := ps.n.spec.Strategy.IPC == "tempfile"
	sl.keepDir = false
	defer func() {
		if f.dir != "" && !sl.keepDir {
			os.RemoveAll(f.dir)
		}
	}()
	for {
		if r.canceled.Load() || !r.acquireProcess(sl.rn) {
			sl.drop(f, &sl.w, &sl.w.ws)
			return
		}
		hello := wireIn{Once: true}
		if tempfile {
			if f.dir == "" {
				dir, err := os.MkdirTemp(r.g.cfg.WorkDir, "minigun-"+safeName(ps.b.spec.Name)+"-")
				if err != nil {
					r.releaseProcess()
					sl.fail(f, fmt.Errorf("making a work directory: %w", err), 0, sl.dead, &sl.w, &sl.w.ws)
					return
				}
				f.dir = dir
			}
			hello.ItemPath = filepath.Join(f.dir, "item.gob")
			hello.ResultPath = filepath.Join(f.dir, "results.gob")
			if err := writeItemFile(hello.ItemPath, f); err != nil {
				r.releaseProcess()
				sl.fail(f, fmt.Errorf("cannot send the item to a worker process: %w", err), 0, sl.dead, &sl.w, &sl.w.ws)
				return
			}
		}
		p, err := ps.start(hello)
		if err != nil {
			r.releaseProcess()
			r.failRun(err)
			sl.drop(f, &sl.w, &sl.w.ws)
			return
		}
		stopWatch := context.AfterFunc(r.ctx, p.stop)
		sl.mu.Lock()
		sl.procDead = false
		sl.mu.Unlock()
		if !tempfile {
			sl.send(p, []flight[In]{f}, sl.dead, &sl.w, &sl.w.ws)
			sl.mu.Lock()
			sent := len(sl.flights) > 0
			sl.mu.Unlock()
			if !sent {
				p.stop() // the item could not be encoded (and failed): nothing for this worker
			}
		} else {
			sl.track([]flight[In]{f})
		}
		readErr := sl.readLoop(p, p.dec)
		waitErr := p.wait()
		stopWatch()
		r.releaseProcess()
		if err := sl.startError(p, readErr, waitErr); err != nil {
			r.failRun(err)
		}
		if tempfile && p.ready {
			readErr = sl.readResultFile(p, hello.ResultPath)
		}
		sl.ended(p, readErr, waitErr)
		sl.mu.Lock()
		next := append(sl.isolate, sl.retry...)
		sl.isolate, sl.retry = nil, nil
		sl.mu.Unlock()
		if len(next) == 0 {
			return
		}
		f = next[0]
		if f.attempt > 1 {
			sl.retryWait(f.attempt)
		}
	}
}

// readResultFile reads the results a process_per_batch(ipc: tempfile) worker wrote.
func (sl *procSlot[In, Out]) readResultFile(p *proc, path string) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	return sl.readLoop(p, newFrameReader(file, 64<<10))
}

// writeItemFile writes the item of a process_per_batch(ipc: tempfile) worker.
func writeItemFile[In any](path string, f flight[In]) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(file)
	var att []int32
	if f.attempt != 1 {
		att = []int32{f.attempt}
	}
	err = newFrameWriter(bw).send(&wireIn{Kind: inItems, N: 1, Attempts: att}, []In{f.v})
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
