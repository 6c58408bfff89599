package procexec

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// cloexecRange marks every descriptor from 3 up close-on-exec in one call (close_range(2)
// with CLOSE_RANGE_CLOEXEC, Linux 5.11; the same number on every architecture); false if the
// kernel lacks it.
func cloexecRange() bool {
	const sysCloseRange, closeRangeCloexec = 436, 1 << 2
	_, _, errno := syscall.Syscall(sysCloseRange, 3, ^uintptr(0)>>32, closeRangeCloexec)
	return errno == 0
}

// workerAttr starts a worker in a process group of its own, so that Ctrl-C and a SIGTERM
// sent to the parent's group reach the parent alone, which decides how its workers stop
// (a stop frame, then a deadline, then SIGKILL). DESIGN 3.3 asks that workers ignore SIGINT
// and SIGTERM for this; a process group keeps that property without the cost of
// signal.Notify in every worker (the Go runtime starts threads for it, about a third of a
// millisecond per process, which process_per_batch pays per item), and without signal.Ignore,
// whose disposition the programs a worker starts would inherit.
//
// The kernel also kills the worker when the parent dies (Pdeathsig), even while its body
// runs and ignores everything; the worker's own watch of its control pipe does the same where
// Pdeathsig is missing. Pdeathsig follows the thread that started the worker, so a worker is
// started on a thread that stays locked until it was waited for (OnSpawnThread).
func workerAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// workerPipe makes a pipe between this process and a worker. The parent's end is
// non-blocking, for the runtime's poller; the worker's end stays blocking and is registered
// with nothing, since the parent closes it once the worker has started: a few system calls
// fewer than os.Pipe, four times per worker.
func workerPipe(parentReads bool) (parent, child *os.File, err error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	pfd, cfd := p[1], p[0]
	if parentReads {
		pfd, cfd = p[0], p[1]
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(pfd), syscall.F_SETFL, syscall.O_NONBLOCK); errno != 0 {
		syscall.Close(p[0])
		syscall.Close(p[1])
		return nil, nil, os.NewSyscallError("fcntl", errno)
	}
	return os.NewFile(uintptr(pfd), "|worker"), os.NewFile(uintptr(cfd), "|worker"), nil
}

// inheritedFDs lists the descriptors this process holds without close-on-exec, comma
// separated: those it inherited from its own parent (a supervisor's pipe, a lock file), which
// exec passes on to every worker, which closes them (remote.CloseInheritedFDs). Read once: Go
// opens its own descriptors close-on-exec.
var inheritedFDs = sync.OnceValue(func() string {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return ""
	}
	var fds []string
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		if remote.Inheritable(fd) {
			fds = append(fds, e.Name())
		}
	}
	return strings.Join(fds, ",")
})
