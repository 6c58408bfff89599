package procexec

import (
	"io"
	"os/exec"
	"syscall"
)

// What other transports that start worker processes of this executable (runtime/nats) share
// with this one: the executable, the environment, the process group, the output forwarding
// and KillAll.

// Supported reports why worker processes cannot run on this system, if they cannot.
func Supported() error { return processSupport() }

// Exe returns the executable that workers run: this one.
func Exe() (string, error) { return exePath() }

// WorkerEnv returns the environment of a worker: this process's, without the variables that
// make a worker, and then extra.
func WorkerEnv(extra ...string) []string {
	return append(append([]string(nil), baseEnv()...), extra...)
}

// WorkerAttr starts a worker in a process group of its own that dies with this process (start
// it with OnSpawnThread).
func WorkerAttr() *syscall.SysProcAttr { return workerAttr() }

// KillGroup kills a worker and what runs in its process group.
func KillGroup(pid int) { killGroup(pid) }

// Track records a running worker process (on) or its end, for KillAll.
func Track(pid int, on bool) { track(pid, on) }

// LineWriter forwards a worker's output line by line, each line prefixed "[stage pid] ".
type LineWriter struct {
	lw  *lineWriter
	cmd *exec.Cmd
}

// NewLineWriter returns the forwarder of cmd's output to dst; with tail it keeps the end of
// what passed (Tail), for the error of a worker that died.
func NewLineWriter(dst io.Writer, stage string, cmd *exec.Cmd, tail bool) *LineWriter {
	lw := &lineWriter{dst: dst, stage: stage}
	if tail {
		lw.tail = new(tailBuffer)
	}
	return &LineWriter{lw: lw, cmd: cmd}
}

// setPid takes the worker's pid before its first line: exec.Cmd starts copying its output
// only once the process has started.
func (w *LineWriter) setPid() {
	if w.lw.pid == 0 && w.cmd.Process != nil {
		w.lw.pid = w.cmd.Process.Pid
	}
}

func (w *LineWriter) Write(b []byte) (int, error) { w.setPid(); return w.lw.Write(b) }

func (w *LineWriter) ReadFrom(r io.Reader) (int64, error) { w.setPid(); return w.lw.ReadFrom(r) }

// Flush writes a last line that had no newline; call it after the process was waited for.
func (w *LineWriter) Flush() { w.lw.flush() }

// Tail returns the end of what passed ("" without tail).
func (w *LineWriter) Tail() string {
	if w.lw.tail == nil {
		return ""
	}
	return w.lw.tail.String()
}

// CloseOnExecAll keeps a worker's descriptors out of the programs its user code starts.
func CloseOnExecAll() { closeOnExecAll() }
