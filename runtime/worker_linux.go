package mgrt

import "syscall"

// cloexecRange marks every descriptor from 3 up close-on-exec in one call (close_range(2)
// with CLOSE_RANGE_CLOEXEC, Linux 5.11; the same number on every architecture); false if the
// kernel lacks it.
func cloexecRange() bool {
	const sysCloseRange, closeRangeCloexec = 436, 1 << 2
	_, _, errno := syscall.Syscall(sysCloseRange, 3, ^uintptr(0)>>32, closeRangeCloexec)
	return errno == 0
}
