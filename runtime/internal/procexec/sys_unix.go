//go:build unix

package procexec

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
	if cloexecRange() {
		return
	}
	for fd := fdIn; fd <= fdPage; fd++ {
		syscall.CloseOnExec(fd)
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

// setNonblock puts a worker's pipe in non-blocking mode, so that os.NewFile hands it to the
// runtime's poller.
func setNonblock(fd int) { _ = syscall.SetNonblock(fd, true) }

// killGroup kills a worker and what runs in its process group.
func killGroup(pid int) {
	if syscall.Kill(-pid, syscall.SIGKILL) != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// signaled reports whether a signal ended the process.
func signaled(st *os.ProcessState) bool {
	ws, ok := st.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}
