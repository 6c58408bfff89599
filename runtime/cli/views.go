package cli

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
)

// The views image. The live views (-progress, -hud, -metrics-addr) link libraries whose
// package initialisation costs about a millisecond and a half, which every process of a
// binary pays at its start, every worker process included (DESIGN 3.3). So `minigungen build`
// writes two images into one file: the lean program, without the extensions, and after it the
// full program, with them, then a trailer (the full image's length and ViewsMagic). The lean
// program runs; when its arguments ask for a view (or for -h, which lists every flag), it
// executes the full image in its place (same pid, arguments, descriptors). A run without the
// views starts, and starts its workers, as fast as a binary that never linked them.

// ViewsMagic ends a binary that carries the full image after its own.
const ViewsMagic = "mgviews1"

// ViewFlags are the flags of the extensions: asking for one runs the full image.
var ViewFlags = []string{"progress", "hud", "metrics-addr", "h", "help"}

// wantsViews reports whether args name a flag of ViewFlags (a value that looks like one,
// as in -name -hud, runs the full image too, which then runs as it would have).
func wantsViews(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false // the flags end there
		}
		if !strings.HasPrefix(a, "-") {
			continue // a flag's value
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		for _, f := range ViewFlags {
			if name == f {
				return true
			}
		}
	}
	return false
}

// viewsImage returns the full image carried at the end of the executable f, or nil.
func viewsImage(f *os.File) (*io.SectionReader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var tr [16]byte
	if st.Size() < int64(len(tr)) {
		return nil, nil
	}
	if _, err := f.ReadAt(tr[:], st.Size()-int64(len(tr))); err != nil {
		return nil, err
	}
	if !bytes.Equal(tr[8:], []byte(ViewsMagic)) {
		return nil, nil
	}
	n := int64(binary.LittleEndian.Uint64(tr[:8]))
	if n <= 0 || n > st.Size()-int64(len(tr)) {
		return nil, errors.New("the views image trailer is damaged")
	}
	return io.NewSectionReader(f, st.Size()-int64(len(tr))-n, n), nil
}

// runViews executes the full image in place of this process when the lean program is asked
// for a view. It returns only if it could not (no image: a main built otherwise), with the
// reason; the program then goes on without the views.
func runViews(args []string, app App) error {
	if !app.Lean || !wantsViews(args) {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	f, err := os.Open(exe)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := viewsImage(f)
	if err != nil || img == nil {
		return err
	}
	return execImage(img)
}
