package cli

import (
	"io"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// execImage copies the image into an anonymous memory file and executes it in place of this
// process: nothing is written to disk. Its worker processes are started from it
// (/proc/self/exe).
func execImage(img *io.SectionReader) error {
	fd, err := unix.MemfdCreate("minigun-views", unix.MFD_CLOEXEC)
	if err != nil {
		return execTempImage(img)
	}
	f := os.NewFile(uintptr(fd), "minigun-views")
	defer f.Close()
	if _, err := io.Copy(f, img); err != nil {
		return err
	}
	// The kernel opens the path before it closes the close-on-exec descriptors.
	return syscall.Exec("/proc/self/fd/"+strconv.Itoa(fd), os.Args, os.Environ())
}
