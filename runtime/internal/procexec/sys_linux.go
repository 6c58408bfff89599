package procexec

import "syscall"

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
// Pdeathsig is missing or the thread that started the worker has ended.
func workerAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
