package mgrt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file starts, watches and ends worker processes, whatever the stage's item types.

// startTimeout is how long a new worker process may take to answer (Go runtime start and
// package initialisation; the after_fork hooks come after and are not timed). One that does
// not answer, typically because nothing called ServeWorker and it runs main, is killed.
var startTimeout = 60 * time.Second

// waitDelay bounds how long the parent waits for a worker's stdout and stderr to close once
// it exited (a program it started may hold them).
const waitDelay = 2 * time.Second

// exePath returns the executable that worker processes run: this one.
var exePath = sync.OnceValues(func() (string, error) {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe", nil
	}
	return os.Executable()
})

// procShared is what the worker processes of one stage share.
type procShared struct {
	r      *run
	b      *stageBase
	exe    string
	env    []string
	foldMu *sync.Mutex // serialises Fold for the stage's StateSpec
}

func newProcShared(r *run, b *stageBase) *procShared {
	ps := &procShared{r: r, b: b}
	ps.exe, _ = exePath()
	race := "atexit_sleep_ms=0"
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, envWorker+"=") || strings.HasPrefix(kv, envWorkerStage+"=") {
			continue
		}
		if v, ok := strings.CutPrefix(kv, "GORACE="); ok {
			if !strings.Contains(v, "atexit_sleep_ms") {
				race = strings.TrimSpace(v + " " + race)
			} else {
				race = v
			}
			continue
		}
		ps.env = append(ps.env, kv)
	}
	// A binary built with -race sleeps a second at exit unless told otherwise: once per
	// process_per_batch item. (Other binaries ignore GORACE.)
	ps.env = append(ps.env, "GORACE="+race)
	ps.env = append(ps.env, envWorker+"="+r.g.cfg.Worker, envWorkerStage+"="+b.spec.Name)
	if st := b.spec.State; st != nil {
		ps.foldMu = r.foldMu[st]
	}
	return ps
}

// proc is one worker process, seen by the parent.
type proc struct {
	ps    *procShared
	cmd   *exec.Cmd
	pid   int
	ctl   *os.File // the parent's end of the worker's fd 3: items; closing it says stop
	res   *os.File // the parent's end of the worker's fd 4
	enc   *frameWriter
	dec   *frameReader
	out   *lineWriter
	errw  *lineWriter
	alive *time.Timer // kills a worker that does not answer within startTimeout

	ready     bool        // the worker said it serves (reader goroutine)
	readyErr  error       // it said it cannot
	stopped   atomic.Bool // stop was called
	asked     atomic.Bool // stop was called before the worker's fd 4 ended: it was told to stop
	eof       atomic.Bool // the worker's fd 4 ended
	killed    atomic.Bool // by the shutdown deadline
	silent    atomic.Bool // by startTimeout
	stopOnce  sync.Once
	mu        sync.Mutex
	killTimer *time.Timer
	waited    bool
}

// start starts a worker process for the stage: the before_fork hooks, the parameters and the
// state's start values (under the hook lock: never two hooks at once, and Start reads fields
// the hooks may write), then the process, then the hello. The error is fatal for the run.
func (ps *procShared) start(hello wireIn) (*proc, error) {
	r, b := ps.r, ps.b
	stageErr := func(hook string, err error) error {
		return &StageError{Stage: b.spec.Name, Pos: b.spec.Pos, Hook: hook, Err: err}
	}
	err := func() error {
		r.hookMu.Lock()
		defer r.hookMu.Unlock()
		for _, hooks := range [][]func(context.Context) error{r.g.beforeFork, b.beforeFork} {
			for _, h := range hooks {
				if err := callHook(func() error { return h(r.ctx) }); err != nil {
					return stageErr("before_fork", err)
				}
			}
		}
		if f := r.g.cfg.Params; f != nil {
			if err := callHook(func() (err error) { hello.Params, err = f(); return err }); err != nil {
				return stageErr("", fmt.Errorf("encoding the parameters for a worker process: %w", err))
			}
			hello.HasParams = true
		}
		if st := b.spec.State; st != nil && st.Start != nil {
			if err := callHook(func() (err error) { hello.State, err = st.Start(); return err }); err != nil {
				return stageErr("", fmt.Errorf("encoding the state for a worker process: %w", err))
			}
		}
		return nil
	}()
	if err != nil {
		return nil, err
	}
	hello.Kind = inHello

	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, stageErr("", fmt.Errorf("starting a worker process: %w", err))
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, stageErr("", fmt.Errorf("starting a worker process: %w", err))
	}
	p := &proc{ps: ps}
	p.out = &lineWriter{dst: r.workerOut, stage: b.spec.Name}
	p.errw = &lineWriter{dst: r.workerErr, stage: b.spec.Name, tail: new(tailBuffer)}
	cmd := &exec.Cmd{
		Path:        ps.exe,
		Args:        []string{os.Args[0]},
		Env:         ps.env,
		ExtraFiles:  []*os.File{ctlR, resW}, // fd 3 and fd 4; nothing else is inherited
		Stdout:      p.out,
		Stderr:      p.errw,
		WaitDelay:   waitDelay,
		SysProcAttr: workerAttr(),
	}
	p.out.cmd, p.errw.cmd = cmd, cmd
	err = cmd.Start()
	ctlR.Close()
	resW.Close()
	if err != nil {
		ctlW.Close()
		resR.Close()
		return nil, stageErr("", fmt.Errorf("starting a worker process: %w", err))
	}
	p.cmd, p.pid, p.ctl, p.res = cmd, cmd.Process.Pid, ctlW, resR
	p.enc = newFrameWriter(ctlW)
	p.dec = newFrameReader(resR, 8<<10)
	p.alive = time.AfterFunc(startTimeout, func() {
		p.silent.Store(true)
		_ = p.cmd.Process.Kill()
	})
	// A worker that is already gone shows as such when its results are read.
	_ = p.enc.send(&hello, nil)
	return p, nil
}

// stop asks the worker to stop (closes its fd 3) and arms the shutdown deadline, after which
// it is killed. It may be called any number of times, from any goroutine.
func (p *proc) stop() {
	p.stopOnce.Do(func() {
		p.stopped.Store(true)
		if !p.eof.Load() {
			p.asked.Store(true)
		}
		p.ctl.Close()
		d := p.ps.r.shutdownTimeout()
		p.mu.Lock()
		if !p.waited {
			p.killTimer = time.AfterFunc(d, func() {
				p.killed.Store(true)
				_ = p.cmd.Process.Kill()
			})
		}
		p.mu.Unlock()
	})
}

// wait stops the worker if it was not stopped yet, waits for it to end (it is killed at the
// deadline), and releases what the parent held for it.
func (p *proc) wait() error {
	p.stop()
	err := p.cmd.Wait()
	p.mu.Lock()
	p.waited = true
	if p.killTimer != nil {
		p.killTimer.Stop()
	}
	p.mu.Unlock()
	p.alive.Stop()
	p.res.Close()
	p.out.flush()
	p.errw.flush()
	return err
}

// deathError describes how a worker that did not finish its items ended.
func (p *proc) deathError(readErr, waitErr error) *RemoteError {
	e := &RemoteError{PID: p.pid, Stack: p.errw.tail.String()}
	how := "exited"
	if waitErr != nil {
		how = waitErr.Error()
	} else if readErr != nil && !errors.Is(readErr, io.EOF) {
		how = "sent what the parent could not read: " + readErr.Error()
	}
	switch {
	case p.silent.Load():
		e.Msg = fmt.Sprintf("worker process %d did not answer within %v and was killed (was ServeWorker called from an init function of the package that registers the pipeline?)", p.pid, startTimeout)
	case p.killed.Load():
		e.Msg = fmt.Sprintf("worker process %d was killed: it did not stop within the shutdown timeout (%v)", p.pid, p.ps.r.shutdownTimeout())
	default:
		e.Msg = fmt.Sprintf("worker process %d died before finishing the item: %s", p.pid, how)
	}
	return e
}

// lockedWriter serialises the lines of all worker processes of a run on one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// lineWriter forwards a worker's stdout or stderr line by line, each line prefixed with
// "[stage pid] ". exec.Cmd writes to it from one goroutine; flush runs after Wait.
type lineWriter struct {
	dst    io.Writer
	stage  string
	cmd    *exec.Cmd
	prefix []byte
	part   []byte
	line   []byte
	tail   *tailBuffer // stderr: its end, for the error of a worker that died
}

// maxLine is the longest line held back waiting for its newline.
const maxLine = 64 << 10

func (lw *lineWriter) Write(b []byte) (int, error) {
	n := len(b)
	if lw.tail != nil {
		lw.tail.write(b)
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lw.part = append(lw.part, b...)
			if len(lw.part) >= maxLine {
				lw.emit(nil)
			}
			break
		}
		lw.emit(b[:i+1])
		b = b[i+1:]
	}
	return n, nil
}

// ReadFrom copies the worker's output with a small pooled buffer (exec.Cmd would use a new
// 32 KB one per stream and process).
func (lw *lineWriter) ReadFrom(r io.Reader) (int64, error) {
	bp := lineBufs.Get().(*[]byte)
	defer lineBufs.Put(bp)
	var n int64
	for {
		k, err := r.Read(*bp)
		if k > 0 {
			n += int64(k)
			lw.Write((*bp)[:k])
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

// emit writes the held part of a line and rest as one prefixed line.
func (lw *lineWriter) emit(rest []byte) {
	if lw.prefix == nil {
		// exec.Cmd sets Process before it starts the goroutine that calls Write.
		lw.prefix = fmt.Appendf(nil, "[%s %d] ", lw.stage, lw.cmd.Process.Pid)
	}
	lw.line = append(append(append(lw.line[:0], lw.prefix...), lw.part...), rest...)
	if len(rest) == 0 || rest[len(rest)-1] != '\n' {
		lw.line = append(lw.line, '\n')
	}
	_, _ = lw.dst.Write(lw.line)
	lw.part = lw.part[:0]
}

// flush writes a last line that had no newline.
func (lw *lineWriter) flush() {
	if len(lw.part) > 0 {
		lw.emit(nil)
	}
}

// tailBuffer keeps the last tailSize bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4 << 10

func (t *tailBuffer) write(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(b) >= tailSize {
		t.buf = append(t.buf[:0], b[len(b)-tailSize:]...)
		return
	}
	if over := len(t.buf) + len(b) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, b...)
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// processes returns the run-wide budget of process_per_batch workers (nil: no cap).
func (r *run) acquireProcess(rn *runner) bool {
	if r.procSlots == nil {
		return true
	}
	select {
	case r.procSlots <- struct{}{}:
		return true
	default:
	}
	rn.idle()
	select {
	case r.procSlots <- struct{}{}:
		return true
	case <-r.ctx.Done():
		return false
	}
}

func (r *run) releaseProcess() {
	if r.procSlots != nil {
		<-r.procSlots
	}
}

// planProcesses prepares what the run's process stages share: the budget of
// process_per_batch workers under max_processes (Processes workers hold theirs for the whole
// stage and were checked to fit by validate), the fold locks, and the output of the workers.
func (r *run) planProcesses() {
	g := r.g
	pools, any := 0, false
	r.foldMu = map[*StateSpec]*sync.Mutex{}
	for _, n := range g.stages {
		b := n.base()
		if b.spec.Kind == KindAccumulator || b.spec.Kind == KindProducer || b.spec.Strategy.Kind.InProcess() {
			continue
		}
		any = true
		if b.spec.Strategy.Kind == Processes {
			pools += b.spec.Strategy.N
		}
		if st := b.spec.State; st != nil && r.foldMu[st] == nil {
			r.foldMu[st] = new(sync.Mutex)
			r.states = append(r.states, st)
		}
	}
	if !any {
		return
	}
	if limit := g.cfg.MaxProcesses; limit > 0 {
		r.procSlots = make(chan struct{}, max(limit-pools, 1))
	}
	out, errw := g.cfg.Stdout, g.cfg.Stderr
	if out == nil {
		out = os.Stdout
	}
	if errw == nil {
		errw = os.Stderr
	}
	r.workerOut = &lockedWriter{w: out}
	r.workerErr = &lockedWriter{w: errw}
	if out == errw {
		r.workerErr = r.workerOut
	}
}

// applyStates merges the state folded from worker processes into the pipeline's fields: once
// per StateSpec, after every stage ended, before the after_run hooks.
func (r *run) applyStates() {
	for _, st := range r.states {
		if st.Apply == nil {
			continue
		}
		if err := callHook(func() error { st.Apply(); return nil }); err != nil {
			r.setFatal(fmt.Errorf("pipeline %q: merging worker state: %w", r.g.cfg.Pipeline, err))
		}
	}
}

// fold folds a delta from a worker process into the stage's pending state merge.
func (ps *procShared) fold(delta []byte) {
	st := ps.b.spec.State
	if st == nil || st.Fold == nil {
		return
	}
	ps.foldMu.Lock()
	err := callHook(func() error { return st.Fold(delta) })
	ps.foldMu.Unlock()
	if err != nil {
		ps.r.failRun(&StageError{Stage: ps.b.spec.Name, Pos: ps.b.spec.Pos, Err: fmt.Errorf("merging worker state: %w", err)})
	}
}
