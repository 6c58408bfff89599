//go:build unix && !linux

package procexec

import "syscall"

func cloexecRange() bool { return false }

// workerAttr starts a worker in a process group of its own (see sys_linux.go); the worker
// watches its control pipe to die with its parent.
func workerAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
