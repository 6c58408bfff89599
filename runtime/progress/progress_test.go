package progress

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/minigun-go/minigun/runtime/internal/viewtest"
)

// fakeTerm is a terminal of 100 columns that records what is written.
type fakeTerm struct {
	mu  sync.Mutex
	buf bytes.Buffer
	out bytes.Buffer
}

func (f *fakeTerm) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.Write(p)
}
func (f *fakeTerm) ReadFrom(r io.Reader) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.ReadFrom(r)
}
func (f *fakeTerm) IsTerminal() bool                            { return true }
func (f *fakeTerm) GetTermSize() (width, height int, err error) { return 99, 30, nil }
func (f *fakeTerm) Flush(lines int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out.Write(f.buf.Bytes())
	f.buf.Reset()
	f.out.WriteString("\x1b[FRAME\n")
	return nil
}

// The lines of a run: a header and one line per stage in every frame, none wider than the
// terminal; the producer's bar with its percent.
func TestShow(t *testing.T) {
	h := viewtest.Start(3000, 100*time.Microsecond, nil)
	ft := &fakeTerm{}
	stop := Show(ft, "Views", h)
	h.Wait()
	stop()
	frames := strings.Split(ft.out.String(), "\x1b[FRAME\n")
	if len(frames) < 3 {
		t.Fatalf("%d frames", len(frames))
	}
	bar := regexp.MustCompile(`\[[=>-]+\] +\d+% ETA`)
	for i, f := range frames[:len(frames)-1] {
		lines := strings.Split(strings.TrimSuffix(f, "\n"), "\n")
		if len(lines) != 1+len(viewtest.Names) {
			t.Errorf("frame %d: %d lines:\n%s", i, len(lines), f)
			continue
		}
		for j, name := range viewtest.Names {
			if !strings.HasPrefix(lines[1+j], name[:min(len(name), 8)]) {
				t.Errorf("frame %d line %d is not stage %s:\n%s", i, 2+j, name, f)
			}
		}
		for _, l := range lines {
			if utf8.RuneCountInString(l) > 99 {
				t.Errorf("frame %d: a line of %d columns:\n%s", i, utf8.RuneCountInString(l), l)
			}
		}
		if !bar.MatchString(lines[1]) {
			t.Errorf("frame %d: no bar for the producer's total:\n%s", i, lines[1])
		}
	}
	last := frames[len(frames)-2]
	if !strings.Contains(last, "100% ETA 0s") || !strings.Contains(last, "failed   31") {
		t.Errorf("last frame:\n%s", last)
	}
}
