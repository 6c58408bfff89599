package remote_workers

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// want makes the thumbnails of images 1..count here, in the test process.
func want(count, factor int) (thumbs map[int]Thumb, pixels int64, largest int) {
	thumbs = map[int]Thumb{}
	for id := 1; id <= count; id++ {
		img := render(id)
		w, h, sum := shrink(img, factor)
		thumbs[id] = Thumb{ID: id, W: w, H: h, Sum: sum}
		pixels += int64(len(img.Pix))
		largest = max(largest, len(img.Pix))
	}
	return thumbs, pixels, largest
}

// check compares a run's thumbnails and merged state with what the test
// computes itself.
func check(t *testing.T, p *Thumbnails, res mgrt.Result) {
	t.Helper()
	if res.Status != mgrt.StatusSucceeded || res.Err != nil || len(res.Failures) != 0 {
		t.Fatalf("status %s, err %v, failures %v", res.Status, res.Err, res.Failures)
	}
	thumbs, pixels, largest := want(p.Count, p.Factor)
	if len(p.thumbs) != len(thumbs) {
		t.Errorf("%d thumbnails stored, want %d", len(p.thumbs), len(thumbs))
	}
	keys := map[string]int{}
	for id, w := range thumbs {
		got := p.thumbs[id]
		if got.ID != id || got.W != w.W || got.H != w.H || got.Sum != w.Sum {
			t.Errorf("image %d: thumbnail %dx%d %s, want %dx%d %s", id, got.W, got.H, got.Sum, w.W, w.H, w.Sum)
		}
		// <job>/<stage>/<chunk>/<index>: one key per image, all of this job's stage
		if !strings.HasPrefix(got.Key, res.JobID+"/thumbnail/") || strings.Count(got.Key, "/") != 3 {
			t.Errorf("image %d: key %q, want %s/thumbnail/<chunk>/<index>", id, got.Key, res.JobID)
		}
		keys[got.Key]++
	}
	if len(keys) != len(thumbs) {
		t.Errorf("%d distinct keys for %d images", len(keys), len(thumbs))
	}
	// the merged state of the workers
	if p.pixels != pixels || p.largest != largest {
		t.Errorf("merged pixels %d, largest %d; want %d, %d", p.pixels, p.largest, pixels, largest)
	}
	total := 0
	for pid, n := range p.workers {
		if pid == os.Getpid() || n <= 0 {
			t.Errorf("process %d shrank %d images (the coordinator is %d)", pid, n, os.Getpid())
		}
		total += n
	}
	if total != p.Count || len(p.workers) < 1 || len(p.workers) > max(p.Workers, 1) {
		t.Errorf("images per worker process %v (%d in all), want %d images on at most %d processes", p.workers, total, p.Count, p.Workers)
	}
	if st, _ := res.Stage("thumbnail"); st.In != int64(p.Count) || st.Out != int64(p.Count) || st.Failed != 0 || st.Retried != 0 {
		t.Errorf("thumbnail in %d out %d failed %d retried %d", st.In, st.Out, st.Failed, st.Retried)
	}
	if st, _ := res.Stage("store"); st.In != int64(p.Count) {
		t.Errorf("store received %d thumbnails, want %d", st.In, p.Count)
	}
}

// The default: an embedded NATS server and Workers local worker processes of
// the test binary, stopped with the run.
func TestThumbnails(t *testing.T) {
	for _, workers := range []int{1, 3} {
		p := NewThumbnails()
		p.Workers = workers
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		check(t, p, res)
		noChildren(t)
	}
}

// The parameters cross to the workers: a factor of 8 makes smaller
// thumbnails there.
func TestThumbnailsFactor(t *testing.T) {
	p := NewThumbnails()
	p.Count, p.Factor, p.Workers = 50, 8, 2
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	check(t, p, res)
	if th := p.thumbs[1]; th.W != 16 || th.H != 12 {
		t.Errorf("image 1 (128x96) shrank to %dx%d, want 16x12", th.W, th.H)
	}
	noChildren(t)
}

// noChildren fails the test when a process started by this one is still
// there shortly after a run: the run stops its workers before it returns.
func noChildren(t *testing.T) {
	t.Helper()
	var kids []int
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if kids = childPIDs(os.Getpid()); len(kids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("worker processes left after the run: %v", kids)
			return
		}
	}
}

// childPIDs lists the processes whose parent is pid (Linux /proc; elsewhere
// none are found).
func childPIDs(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) >= 2 && f[1] == fmt.Sprint(pid) {
			out = append(out, n)
		}
	}
	return out
}
