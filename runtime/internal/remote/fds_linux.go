package remote

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// CloseInheritedFDs closes the descriptors EnvWorkerCloseFDs lists, but those in keep (the
// transport's own, which took their numbers), and unsets it. A transport calls it first. Only
// a descriptor without close-on-exec is closed: one the parent no longer held when it started
// this worker is not here, and the runtime may have opened one of the same number since,
// close-on-exec as Go opens everything.
func CloseInheritedFDs(keep ...int) {
	list := os.Getenv(EnvWorkerCloseFDs)
	os.Unsetenv(EnvWorkerCloseFDs)
	for _, f := range strings.Split(list, ",") {
		fd, err := strconv.Atoi(f)
		if err != nil || fd <= 2 || slices.Contains(keep, fd) {
			continue
		}
		if Inheritable(fd) {
			syscall.Close(fd)
		}
	}
}

// Inheritable reports whether fd is open without close-on-exec: exec passes it on.
func Inheritable(fd int) bool {
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	return errno == 0 && flags&syscall.FD_CLOEXEC == 0
}
