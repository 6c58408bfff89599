//go:build unix

package remote

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// CloseInheritedFDs closes the descriptors EnvWorkerCloseFDs lists, but those in keep (the
// transport's own, which took their numbers), and unsets it. A transport calls it first.
func CloseInheritedFDs(keep ...int) {
	list := os.Getenv(EnvWorkerCloseFDs)
	os.Unsetenv(EnvWorkerCloseFDs)
	for _, f := range strings.Split(list, ",") {
		if fd, err := strconv.Atoi(f); err == nil && fd > 2 && !slices.Contains(keep, fd) {
			syscall.Close(fd)
		}
	}
}
