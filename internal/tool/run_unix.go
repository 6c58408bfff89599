//go:build unix

package tool

import (
	"os"
	"syscall"
	"unsafe"
)

// terminalForeground reports whether this process's group is the foreground
// process group of its controlling terminal: then a SIGINT is most likely the
// terminal's Ctrl-C, which the whole group received.
func terminalForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	var pgrp int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), uintptr(syscall.TIOCGPGRP), uintptr(unsafe.Pointer(&pgrp))); errno != 0 {
		return false
	}
	return int(pgrp) == syscall.Getpgrp()
}
