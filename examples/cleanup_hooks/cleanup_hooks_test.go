package cleanuphooks

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// want is the thumbnail of image id, computed here pixel by pixel.
func want(id int) []byte {
	var t []byte
	for by := 0; by < 2; by++ {
		for bx := 0; bx < 2; bx++ {
			sum := 0
			for y := by * 4; y < by*4+4; y++ {
				for x := bx * 4; x < bx*4+4; x++ {
					sum += (id*31 + (y*8+x)*7) % 256
				}
			}
			t = append(t, byte(sum/16))
		}
	}
	return t
}

func TestCleanupHooks(t *testing.T) {
	p := NewCleanupHooks()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}

	// The parent's archive: opened before the first thumbnail, closed after
	// the last, within the run.
	wantLog := []string{"before_run", "open archive", "close archive", "after_run"}
	if !slices.Equal(p.parentLog, wantLog) {
		t.Errorf("parent log %q, want %q", p.parentLog, wantLog)
	}
	if !p.archive.closed || len(p.archive.thumbs) != 100 {
		t.Fatalf("archive closed=%v with %d thumbnails, want closed with 100", p.archive.closed, len(p.archive.thumbs))
	}

	// Every thumbnail once, right, and made in a worker that made its whole batch.
	batchPID := map[int]int{}
	seen := map[int]bool{}
	for _, th := range p.archive.thumbs {
		if seen[th.ID] {
			t.Errorf("thumbnail %d archived twice", th.ID)
		}
		seen[th.ID] = true
		if !slices.Equal(th.Pixels, want(th.ID)) {
			t.Errorf("thumbnail %d = %v, want %v", th.ID, th.Pixels, want(th.ID))
		}
		if pid, ok := batchPID[th.ID/10]; ok && pid != th.PID {
			t.Errorf("batch %d made by processes %d and %d", th.ID/10, pid, th.PID)
		}
		batchPID[th.ID/10] = th.PID
	}
	if len(seen) != 100 {
		t.Errorf("%d distinct thumbnails, want 100", len(seen))
	}

	// Each of the ten workers acquired its buffer once, then released it once.
	if p.acquired != 10 || p.released != 10 {
		t.Errorf("acquired %d, released %d, want 10 and 10", p.acquired, p.released)
	}
	byPID := map[int][]string{}
	for _, e := range p.workerLog {
		pidText, event, _ := strings.Cut(e, " ")
		pid, _ := strconv.Atoi(pidText)
		byPID[pid] = append(byPID[pid], event)
	}
	if len(byPID) != 10 {
		t.Errorf("events from %d workers, want 10", len(byPID))
	}
	for _, pid := range batchPID {
		if pid == os.Getpid() || !slices.Equal(byPID[pid], []string{"acquire", "release"}) {
			t.Errorf("worker %d: events %q, want acquire then release", pid, byPID[pid])
		}
	}
}
