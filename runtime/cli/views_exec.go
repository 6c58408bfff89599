package cli

import (
	"io"
	"os"
	"syscall"
)

// envViewsFile names the temporary copy of the full image a program runs from, which it
// removes as it starts.
const envViewsFile = "MINIGUN_VIEWS_FILE"

// execTempImage writes the image to a temporary file and executes it in place of this
// process; the program it starts removes the file (removeViewsFile).
func execTempImage(img *io.SectionReader) error {
	f, err := os.CreateTemp("", "minigun-views-")
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, img); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Chmod(0o700); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	f.Close()
	err = syscall.Exec(f.Name(), os.Args, append(os.Environ(), envViewsFile+"="+f.Name()))
	os.Remove(f.Name())
	return err
}

// removeViewsFile removes the temporary copy of the image this program runs from, if it runs
// from one: once started, the program no longer needs its file, and its workers start from
// /proc/self/exe (or the path it had; on such systems, the workers of a views run need the
// file: it is removed at exit instead).
func removeViewsFile() (cleanup func()) {
	p := os.Getenv(envViewsFile)
	if p == "" {
		return func() {}
	}
	os.Unsetenv(envViewsFile)
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		os.Remove(p)
		return func() {}
	}
	return func() { os.Remove(p) }
}
