//go:build unix && !linux

package procexec

import (
	"os"
	"syscall"
)

func cloexecRange() bool { return false }

// workerAttr starts a worker in a process group of its own (see sys_linux.go); the worker
// watches its control pipe to die with its parent.
func workerAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// workerPipe makes a pipe between this process and a worker (the parent's end first).
func workerPipe(parentReads bool) (parent, child *os.File, err error) {
	r, w, err := os.Pipe()
	if err != nil || parentReads {
		return r, w, err
	}
	return w, r, nil
}

// inheritedFDs lists the descriptors a worker inherits but must not keep: not looked for here.
func inheritedFDs() string { return "" }
