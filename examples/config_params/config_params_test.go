package config_params

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// want replays the upload stage: batch sizes, attempts and failed uploads for
// n chunks.
func want(n, size, busyEvery, retries int) (uploads []int, attempts, failed int) {
	refused := map[int]bool{}
	for left := n; left > 0; left -= size {
		b := min(size, left)
		for try := 0; try <= retries; try++ {
			attempts++
			if k := len(uploads); busyEvery > 0 && k%busyEvery == 0 && !refused[k] {
				refused[k] = true
				continue
			}
			uploads = append(uploads, b)
			break
		}
	}
	failed = 0
	total := 0
	for _, u := range uploads {
		total += u
	}
	for left := n - total; left > 0; left -= size {
		failed++
	}
	return uploads, attempts, failed
}

func TestBackupParams(t *testing.T) {
	for _, tc := range []struct {
		workers, size, retries, busy int
	}{
		{1, 10, 2, 0},
		{3, 7, 2, 0},
		{4, 25, 2, 3},
		{8, 200, 1, 1},
		{2, 30, 1, 2},
	} {
		name := fmt.Sprintf("workers=%d,size=%d,retries=%d,busy=%d", tc.workers, tc.size, tc.retries, tc.busy)
		p := NewBackup()
		p.Workers, p.Size, p.Retries, p.BusyEvery = tc.workers, tc.size, tc.retries, tc.busy
		p.HashTime = 2 * time.Millisecond
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := p.Files * p.Chunks
		uploads, attempts, failed := want(n, tc.size, tc.busy, tc.retries)
		if fmt.Sprint(p.uploads) != fmt.Sprint(uploads) || p.attempts != attempts || len(res.Failures) != failed {
			t.Errorf("%s: uploads %v in %d attempts, %d failed; want %v in %d, %d failed",
				name, p.uploads, p.attempts, len(res.Failures), uploads, attempts, failed)
		}
		if failed == 0 && len(p.keys) != n {
			t.Errorf("%s: %d distinct chunks uploaded, want %d", name, len(p.keys), n)
		}
		// Workers goroutines hash: never more at once; 200 chunks of 2ms keep them all busy
		if p.peak > tc.workers || p.peak < min(tc.workers, 2) {
			t.Errorf("%s: %d chunks hashed at once, want at most %d (and more than one when allowed)", name, p.peak, tc.workers)
		}
		if st, _ := res.Stage("upload"); st.Retried != int64(attempts-len(uploads)-failed) || st.Failed != int64(failed) {
			t.Errorf("%s: upload retried %d failed %d", name, st.Retried, st.Failed)
		}
		for _, s := range p.Graph().Stages {
			if s.Name == "hash" && (s.Strategy.Kind != mgrt.Threads || s.Strategy.N != tc.workers) {
				t.Errorf("%s: hash runs as %+v", name, s.Strategy)
			}
		}
	}
}

func TestBackupParamOutOfRange(t *testing.T) {
	p := NewBackup()
	p.Workers = 0
	res, err := p.Run(context.Background())
	var pe *mgrt.ParamError
	if !errors.As(err, &pe) || pe.Param != "Workers" || pe.Stage != "hash" || pe.Option != "threads(Workers)" || pe.Value != 0 {
		t.Fatalf("err = %#v, want a ParamError for Workers", err)
	}
	if res.Status != mgrt.StatusFailed || len(p.keys) != 0 {
		t.Errorf("status %s, %d chunks: no stage should have run", res.Status, len(p.keys))
	}
	if !strings.HasPrefix(err.Error(), "config_params.mg:") {
		t.Errorf("error %q does not start at its .mg position", err)
	}
}

// The same file built into a program: the params are flags.
func TestBackupBuiltProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds minigungen and a program")
	}
	dir := t.TempDir()
	gen := filepath.Join(dir, "minigungen")
	if out, err := exec.Command("go", "build", "-o", gen, "github.com/minigun-go/minigun/cmd/minigungen").CombinedOutput(); err != nil {
		t.Fatalf("building minigungen: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "backup")
	if out, err := exec.Command(gen, "build", "-o", bin, "config_params.mg").CombinedOutput(); err != nil {
		t.Fatalf("minigungen build: %v\n%s", err, out)
	}
	run := func(args ...string) (stdout, stderr string, code int) {
		var o, e bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}

	check := func(want string, maxPeak int, args ...string) {
		t.Helper()
		out, errOut, code := run(args...)
		first, rest, _ := strings.Cut(out, "\n")
		var peak int
		if _, err := fmt.Sscanf(rest, "at most %d chunks hashed at once\n", &peak); err != nil || code != 0 || first != want || peak < 1 || peak > maxPeak {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q and at most %d at once", args, code, out, errOut, want, maxPeak)
		}
	}
	check("workers=4 size=25: 200 chunks, 8 uploads in 8 attempts, 0 failed", 4)
	// 60 chunks in uploads of 30: the first is refused once and retried
	check("workers=1 size=30: 60 chunks, 2 uploads in 3 attempts, 0 failed", 1, "-workers", "1", "-size", "30", "-files", "3", "-busy-every", "2")
	check("workers=16 size=7: 40 chunks, 6 uploads in 6 attempts, 0 failed", 16, "-workers=16", "-size=7", "-files=2", "-hash-time=0s")
	_, errOut, code := run("-workers", "0")
	if code != 1 || !strings.Contains(errOut, `stage \"hash\": threads(Workers): parameter Workers is 0, want from 1 to 65536`) {
		t.Errorf("-workers 0: exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = run("-h")
	for _, s := range []string{"-workers", "goroutines that hash chunks", "-size", "chunks per upload", "-backoff", "-retries"} {
		if !strings.Contains(errOut, s) || code != 0 {
			t.Errorf("-h (exit %d) does not mention %q:\n%s", code, s, errOut)
		}
	}
}
