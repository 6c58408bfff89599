//go:build unix

package mgrt

import (
	"os"
	"strconv"
	"syscall"
)

// processSupport reports whether worker processes can run on this system.
func processSupport() error { return nil }

// closeOnExecAll keeps the worker's descriptors out of the programs its user code starts: its
// pipes reach it without the close-on-exec flag (a grandchild holding them would keep the
// parent from seeing the worker end), as may descriptors the parent itself inherited.
func closeOnExecAll() {
	syscall.CloseOnExec(fdIn)
	syscall.CloseOnExec(fdOut)
	if cloexecRange() {
		return
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

// workerAttr starts a worker in a process group of its own, so that Ctrl-C and a
// SIGTERM sent to the parent's group reach the parent alone, which decides how its workers
// stop (their control pipe closes, then a deadline, then SIGKILL). DESIGN 3.3 asks that
// workers ignore SIGINT and SIGTERM for this; a process group keeps that property without
// the cost of signal.Notify in every worker (the Go runtime starts threads for it, about a
// third of a millisecond per process, which process_per_batch pays per item), and without
// signal.Ignore, whose disposition the programs a worker starts would inherit.
func workerAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// setNonblock puts a worker's pipe in non-blocking mode, so that os.NewFile hands it to the
// runtime's poller.
func setNonblock(fd int) { _ = syscall.SetNonblock(fd, true) }
