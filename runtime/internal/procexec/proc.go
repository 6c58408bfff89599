package procexec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// This file starts, watches and ends worker processes, whatever their stage's item types.

// StartTimeout is how long a new worker may take to answer (Go runtime start and package
// initialisation; the after_fork hooks come after and are not timed). One that does not
// answer, typically because nothing called ServeWorker and it runs main, is killed.
var StartTimeout = 60 * time.Second

// waitDelay bounds how long the parent waits for a worker's stdout and stderr to close once
// it exited (a program it started may hold them).
const waitDelay = 2 * time.Second

// exePath returns the executable that workers run: this one.
var exePath = sync.OnceValues(func() (string, error) {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe", nil
	}
	return os.Executable()
})

// baseEnv is the environment of workers, without the variables that make a worker.
var baseEnv = sync.OnceValue(func() []string {
	race := "atexit_sleep_ms=0"
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MINIGUN_WORKER") {
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
		env = append(env, kv)
	}
	// A binary built with -race sleeps a second at exit unless told otherwise: once per
	// process_per_batch item. (Other binaries ignore GORACE.)
	env = append(env, "GORACE="+race)
	if fds := inheritedFDs(); fds != "" {
		env = append(env, remote.EnvWorkerCloseFDs+"="+fds)
	}
	return dedupEnv(env)
})

// dedupEnv keeps the last of the entries that set the same variable, as os/exec does.
func dedupEnv(env []string) []string {
	last := make(map[string]int, len(env))
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		last[k] = i
	}
	out := env[:0]
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if last[k] == i {
			out = append(out, kv)
		}
	}
	return out
}

// live holds the worker processes running now, for KillAll.
var live struct {
	mu   sync.Mutex
	pids map[int]bool
}

// KillAll kills every worker process this process started and that still runs, with what
// they started in their process groups, then runs the cleanups registered with AtExitNow. A
// program that must exit at once (a second Ctrl-C) calls it first, so that no worker and no
// file of the run outlives it.
func KillAll() {
	live.mu.Lock()
	for pid := range live.pids {
		killGroup(pid)
	}
	live.mu.Unlock()
	cleanups.mu.Lock()
	defer cleanups.mu.Unlock()
	for _, f := range cleanups.fns {
		f()
	}
}

// cleanups are what KillAll runs after the workers are killed.
var cleanups struct {
	mu  sync.Mutex
	n   int
	fns map[int]func()
}

// AtExitNow registers f for KillAll (the removal of a run's files, which the run would
// remove as it ends); the returned function unregisters it.
func AtExitNow(f func()) (remove func()) {
	cleanups.mu.Lock()
	defer cleanups.mu.Unlock()
	if cleanups.fns == nil {
		cleanups.fns = map[int]func(){}
	}
	cleanups.n++
	k := cleanups.n
	cleanups.fns[k] = f
	return func() {
		cleanups.mu.Lock()
		defer cleanups.mu.Unlock()
		delete(cleanups.fns, k)
	}
}

func track(pid int, on bool) {
	live.mu.Lock()
	defer live.mu.Unlock()
	if live.pids == nil {
		live.pids = map[int]bool{}
	}
	if on {
		live.pids[pid] = true
	} else {
		delete(live.pids, pid)
	}
}

// proc is one worker process, seen by the parent.
type proc struct {
	run     remote.Run
	process *os.Process
	pid     int
	ctl     *os.File // the parent's end of the worker's fd 3: frames to it; closing it kills it
	res     *os.File // the parent's end of the worker's fd 4
	encMu   sync.Mutex
	enc     *remote.FrameWriter
	dec     *remote.FrameReader
	out     *lineWriter
	errw    *lineWriter
	outR    *os.File // the parent's ends of the worker's stdout and stderr
	errR    *os.File
	copies  sync.WaitGroup // the goroutines that forward them
	page    *page
	alive   *time.Timer // kills a worker that does not answer within StartTimeout

	ready    bool  // it said it serves (reader goroutine)
	readyErr error // it said it cannot

	stopOnce sync.Once
	asked    atomic.Bool // told to stop before its results ended
	eof      atomic.Bool // its results ended
	silent   atomic.Bool // killed by StartTimeout
	mu       sync.Mutex
	cause    error // why the parent killed it, if it did
	kill     *time.Timer
	waited   bool
	release  func() // of the thread that started it (OnSpawnThread), once it was waited for
}

// startProc starts a worker process for the run's stage: the hello (before_fork hooks,
// parameters, state start values), then the process, then the hello frame; hello is
// completed by the caller's fields (Once, paths). The error is the run's failure.
func startProc(run remote.Run, pg *page, setup func(*remote.ToWorker)) (*proc, error) {
	spec := run.Spec()
	hello, err := run.Hello()
	if err != nil {
		return nil, err
	}
	if setup != nil {
		setup(hello)
	}
	exe, err := exePath()
	if err != nil {
		return nil, fmt.Errorf("starting a worker process: %w", err)
	}
	ctlW, ctlR, err := workerPipe(false)
	if err != nil {
		return nil, fmt.Errorf("starting a worker process: %w", err)
	}
	resR, resW, err := workerPipe(true)
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, fmt.Errorf("starting a worker process: %w", err)
	}
	stdout, stderr := run.Output()
	p := &proc{run: run, page: pg}
	p.out = &lineWriter{dst: stdout, stage: spec.Name}
	p.errw = &lineWriter{dst: stderr, stage: spec.Name, tail: new(tailBuffer)}
	// The child's descriptors: stdin (/dev/null), stdout and stderr (pipes read here, line by
	// line), fd 3, fd 4, and fd 5 (the status page) if there is one. Nothing else is
	// inherited: Go opens every descriptor close-on-exec.
	var outR, outW, errR, errW, null *os.File
	if outR, outW, err = workerPipe(true); err == nil {
		if errR, errW, err = workerPipe(true); err == nil {
			null, err = os.Open(os.DevNull)
		}
	}
	if err != nil {
		closeFiles(ctlR, ctlW, resR, resW, outR, outW, errR, errW)
		return nil, fmt.Errorf("starting a worker process: %w", err)
	}
	files := []*os.File{null, outW, errW, ctlR, resW}
	if pg != nil {
		pg.reset()
		files = append(files, pg.file)
	}
	env := append(append([]string(nil), baseEnv()...),
		remote.EnvWorker+"="+run.WorkerKey(), remote.EnvWorkerStage+"="+spec.Name, remote.EnvWorkerTransport+"=exec")
	var process *os.Process
	p.release = OnSpawnThread(func() bool {
		process, err = os.StartProcess(exe, []string{os.Args[0]}, &os.ProcAttr{Env: env, Files: files, Sys: workerAttr()})
		return err == nil
	})
	closeFiles(null, outW, errW, ctlR, resW)
	if err != nil {
		closeFiles(ctlW, resR, outR, errR)
		return nil, fmt.Errorf("starting a worker process: %w", err)
	}
	track(process.Pid, true)
	run.Workers(1)
	p.process, p.pid, p.ctl, p.res, p.outR, p.errR = process, process.Pid, ctlW, resR, outR, errR
	p.out.pid, p.errw.pid = p.pid, p.pid
	p.copies.Add(2)
	go p.copy(p.out, outR)
	go p.copy(p.errw, errR)
	p.enc = remote.NewFrameWriter(ctlW)
	p.dec = remote.NewFrameReader(resR, 8<<10)
	p.alive = time.AfterFunc(StartTimeout, func() {
		p.silent.Store(true)
		killGroup(p.pid)
	})
	// A worker that is already gone shows as such when its results are read.
	_ = p.send(hello, nil)
	return p, nil
}

// copy forwards one of the worker's output streams until it ends.
func (p *proc) copy(lw *lineWriter, r *os.File) {
	defer p.copies.Done()
	_, _ = lw.ReadFrom(r)
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

// exitStatus is how a worker ended when it was not a success: "exit status 3", "signal:
// killed".
type exitStatus struct{ state *os.ProcessState }

func (e exitStatus) Error() string {
	if e.state.ExitCode() == remote.ExitGoexit {
		return e.state.String() + " (the body called runtime.Goexit)"
	}
	return e.state.String()
}

// send writes a frame to the worker.
func (p *proc) send(m *remote.ToWorker, payload any) error {
	p.encMu.Lock()
	defer p.encMu.Unlock()
	return p.enc.Send(m, payload)
}

// stop asks the worker to stop (it finishes the item it runs and reports the others
// dropped), and arms the shutdown deadline, past which it is killed. It may be called any
// number of times, from any goroutine.
func (p *proc) stop() {
	p.stopOnce.Do(func() {
		if !p.eof.Load() {
			p.asked.Store(true)
		}
		_ = p.send(&remote.ToWorker{Kind: remote.KindStop}, nil)
		d := p.run.ShutdownTimeout()
		p.mu.Lock()
		if !p.waited {
			p.kill = time.AfterFunc(d, func() {
				p.killWith(fmt.Errorf("worker process %d was killed: it did not stop within the shutdown timeout (%v)", p.pid, d))
			})
		}
		p.mu.Unlock()
	})
}

// killWith kills the worker now; cause is how its running item ends (the first cause wins).
func (p *proc) killWith(cause error) {
	p.mu.Lock()
	if p.cause == nil {
		p.cause = cause
	}
	waited := p.waited
	p.mu.Unlock()
	if !waited {
		killGroup(p.pid)
	}
}

// wait waits for the worker to end, and releases what the parent held for it. Its results
// must have been read to the end first.
func (p *proc) wait() error {
	state, err := p.process.Wait()
	p.release()
	if err == nil && !state.Success() {
		err = exitStatus{state}
	}
	// Its stdout and stderr end with it, unless a program it started holds them: they are
	// read to their end, for at most waitDelay.
	cut := time.AfterFunc(waitDelay, func() {
		p.outR.Close()
		p.errR.Close()
	})
	p.copies.Wait()
	cut.Stop()
	p.outR.Close()
	p.errR.Close()
	p.eof.Store(true)
	p.mu.Lock()
	p.waited = true
	if p.kill != nil {
		p.kill.Stop()
	}
	p.mu.Unlock()
	track(p.pid, false)
	p.run.Workers(-1)
	p.alive.Stop()
	p.ctl.Close()
	p.res.Close()
	p.out.flush()
	p.errw.flush()
	return err
}

// deathError says how a worker that left items unsettled ended.
func (p *proc) deathError(readErr, waitErr error) error {
	p.mu.Lock()
	cause := p.cause
	p.mu.Unlock()
	if cause != nil {
		var re *remote.RemoteError
		if errors.As(cause, &re) {
			return re
		}
		return &remote.RemoteError{Msg: cause.Error(), PID: p.pid, Stack: p.errw.tail.String()}
	}
	e := &remote.RemoteError{PID: p.pid, Stack: p.errw.tail.String()}
	how := "exited"
	if waitErr != nil {
		how = waitErr.Error()
	} else if readErr != nil && !errors.Is(readErr, io.EOF) {
		how = "sent what the parent could not read: " + readErr.Error()
	}
	switch {
	case p.silent.Load():
		e.Msg = fmt.Sprintf("worker process %d did not answer within %v and was killed (was ServeWorker called from an init function of the package that registers the pipeline?)", p.pid, StartTimeout)
	default:
		e.Msg = fmt.Sprintf("worker process %d died before finishing the item: %s", p.pid, how)
	}
	return e
}

// startError is the error of a worker that ended before it served, or nil if it served or
// was stopped while starting.
func (p *proc) startError(readErr, waitErr error) error {
	if p.ready {
		return nil
	}
	if p.readyErr != nil {
		return p.readyErr
	}
	if p.asked.Load() && !p.silent.Load() {
		return nil
	}
	how := "it exited"
	if waitErr != nil {
		how = waitErr.Error()
	} else if readErr != nil && !errors.Is(readErr, io.EOF) {
		how = "it sent what the parent could not read: " + readErr.Error()
	}
	e := &remote.RemoteError{PID: p.pid, Stack: p.errw.tail.String(),
		Msg: fmt.Sprintf("worker process %d ended before it served the stage: %s", p.pid, how)}
	if p.silent.Load() {
		e.Msg = p.deathError(readErr, waitErr).Error()
	}
	return e
}

// drain reads and drops what the worker sends until it ends.
func (p *proc) drain() {
	for {
		if _, err := p.dec.Next(); err != nil {
			return
		}
	}
}

// readAlive reads the first frame of a worker, which says it started; false if it did not.
func (p *proc) readAlive() bool {
	hdr, err := p.dec.Next()
	if err != nil {
		return false
	}
	var m remote.FromWorker
	if m.Unmarshal(hdr) != nil || m.Kind != remote.KindAlive {
		return false
	}
	p.alive.Stop()
	return true
}

// readHello reads a worker's first frames (the first one may have been read by readAlive): alive, then ready (or its setup error). false when
// the worker cannot serve.
func (p *proc) readHello() bool {
	for {
		hdr, err := p.dec.Next()
		if err != nil {
			return false
		}
		var m remote.FromWorker
		if err := m.Unmarshal(hdr); err != nil {
			return false
		}
		switch m.Kind {
		case remote.KindAlive:
			p.alive.Stop()
		case remote.KindReady:
			p.alive.Stop()
			if m.Err != "" {
				p.readyErr = &remote.RemoteError{Msg: m.Err, PID: p.pid}
				if m.Hook != "" {
					p.readyErr = &remote.HookFailure{Hook: m.Hook, Err: p.readyErr}
				}
				return false
			}
			p.ready = true
			if m.Delta != nil {
				p.run.Joined(m.Delta)
			}
			return true
		default:
			return false
		}
	}
}

// lineWriter forwards a worker's stdout or stderr line by line, each line prefixed with
// "[stage pid] ". One goroutine writes to it (proc.copy); flush runs after it ended. A line
// longer than maxLine is cut there, with a marker, and the rest of it dropped.
type lineWriter struct {
	dst    io.Writer
	stage  string
	pid    int
	prefix []byte
	part   []byte
	line   []byte
	cut    bool        // the current line was cut: drop until its end
	tail   *tailBuffer // stderr: its end, for the error of a worker that died
}

// maxLine is the longest line forwarded whole.
const maxLine = 1 << 20

const cutMarker = " [line cut: longer than 1 MiB]"

func (lw *lineWriter) Write(b []byte) (int, error) {
	n := len(b)
	if lw.tail != nil {
		lw.tail.write(b)
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lw.add(b)
			break
		}
		lw.add(b[:i])
		if !lw.cut {
			lw.emit()
		}
		lw.cut = false
		b = b[i+1:]
	}
	return n, nil
}

// add appends to the line being built, cutting it at maxLine.
func (lw *lineWriter) add(b []byte) {
	if lw.cut {
		return
	}
	if room := maxLine - len(lw.part); len(b) > room {
		lw.part = append(lw.part, b[:room]...)
		lw.part = append(lw.part, cutMarker...)
		lw.emit()
		lw.cut = true
		return
	}
	lw.part = append(lw.part, b...)
}

// ReadFrom copies the worker's output with a small pooled buffer, until it ends or is closed.
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

// emit writes the line built so far as one prefixed line.
func (lw *lineWriter) emit() {
	if lw.prefix == nil {
		lw.prefix = fmt.Appendf(nil, "[%s %d] ", lw.stage, lw.pid)
	}
	lw.line = append(append(append(lw.line[:0], lw.prefix...), lw.part...), '\n')
	_, _ = lw.dst.Write(lw.line)
	lw.part = lw.part[:0]
	if cap(lw.line) > 64<<10 {
		lw.line = nil
	}
	if cap(lw.part) > 64<<10 {
		lw.part = nil
	}
}

// flush writes a last line that had no newline.
func (lw *lineWriter) flush() {
	if len(lw.part) > 0 && !lw.cut {
		lw.emit()
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
