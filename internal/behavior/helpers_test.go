package behavior

import (
	"bytes"
	"cmp"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minigun-go/minigun/internal/tool"
	mgrt "github.com/minigun-go/minigun/runtime"
)

// testTimeout bounds every run: a hang fails the test instead of the suite.
const testTimeout = 20 * time.Second

// runCtx returns a context that ends with the test or after testTimeout.
func runCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// noLeaks fails the test if, once it is over, goroutines running runtime
// (mgrt) or stage code are still alive. The tests of this package do not run
// in parallel, so any such goroutine belongs to the test that just ended.
func noLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			left := pipelineGoroutines()
			if len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutine(s) of the run still alive:\n\n%s", len(left), strings.Join(left, "\n\n"))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// pipelineGoroutines returns the stacks of the goroutines, other than the
// caller's, that run runtime or stage code.
func pipelineGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	stacks := strings.Split(string(buf), "\n\n")
	var out []string
	for _, s := range stacks[1:] { // the first one is the caller
		if strings.Contains(s, "github.com/minigun-go/minigun/runtime.") ||
			strings.Contains(s, "github.com/minigun-go/minigun/internal/behavior.(*") {
			out = append(out, s)
		}
	}
	return out
}

// mustSucceed fails the test unless the run ended with no error: succeeded, or completed
// with failures when items failed for good (and the pipeline has no failure budget).
func mustSucceed(t *testing.T, res mgrt.Result, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := mgrt.StatusSucceeded
	if res.FailedItems > 0 {
		want = mgrt.StatusCompletedWithFailures
	}
	if res.Status != want {
		t.Fatalf("status %q, want %q (%d failed items, err %v)", res.Status, want, res.FailedItems, res.Err)
	}
}

// stage returns the stats of a stage, failing the test if there is none.
func stage(t *testing.T, res mgrt.Result, name string) mgrt.StageStats {
	t.Helper()
	st, ok := res.Stage(name)
	if !ok {
		var names []string
		for _, s := range res.Stages {
			names = append(names, s.Name)
		}
		t.Fatalf("no stats for stage %q; stages: %v", name, names)
	}
	return st
}

// sorted returns a sorted copy.
func sorted[T cmp.Ordered](xs []T) []T {
	ys := slices.Clone(xs)
	slices.Sort(ys)
	return ys
}

// seq returns [from, to).
func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// lineOf returns the 1-based line of the .mg file that contains the last
// marker, searching from the line that contains the one before it, and so on:
// lineOf(t, f, "pipeline X", "producer gen(") is X's producer gen.
func lineOf(t *testing.T, file string, markers ...string) int {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	i := 0
	for _, m := range markers {
		for ; i < len(lines) && !strings.Contains(lines[i], m); i++ {
		}
		if i == len(lines) {
			t.Fatalf("%s: no line contains %q (after %v)", file, m, markers)
		}
	}
	return i + 1
}

// stageInfo returns a stage of a graph description.
func stageInfo(t *testing.T, g mgrt.GraphInfo, name string) mgrt.StageInfo {
	t.Helper()
	for _, s := range g.Stages {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("graph %s has no stage %q", g.Pipeline, name)
	return mgrt.StageInfo{}
}

// stageNames returns the names of a graph's stages, in order.
func stageNames(g mgrt.GraphInfo) []string {
	var out []string
	for _, s := range g.Stages {
		out = append(out, s.Name)
	}
	return out
}

// edges returns a graph's edges as "from->to" (dead-letter edges as "from-dl->to"), sorted.
func edges(g mgrt.GraphInfo) []string {
	var out []string
	for _, e := range g.Edges {
		arrow := "->"
		if e.DeadLetter {
			arrow = "-dl->"
		}
		out = append(out, e.From+arrow+e.To)
	}
	slices.Sort(out)
	return out
}

// mgTool runs minigungen in process on a .mg source written to a temporary
// directory as name, with args before the file (and after it, rest).
func mgTool(t *testing.T, name, src string, args []string, rest ...string) (code int, dir, stdout, stderr string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	argv := append(append(slices.Clone(args), name), rest...)
	code = tool.Main(argv, tool.Env{Stdout: &out, Stderr: &errb, Dir: dir})
	return code, dir, out.String(), errb.String()
}

// check runs `minigungen check` on src and returns its exit status and diagnostics.
func check(t *testing.T, src string) (int, string) {
	t.Helper()
	code, _, _, stderr := mgTool(t, "bad.mg", src, []string{"check"})
	return code, stderr
}

// wantDiag fails unless stderr holds a line starting with bad.mg:LINE: that contains msg.
func wantDiag(t *testing.T, stderr string, line int, msg string) {
	t.Helper()
	prefix := "bad.mg:" + strconv.Itoa(line) + ":"
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, msg) {
			return
		}
	}
	t.Errorf("no diagnostic %s...%q in:\n%s", prefix, msg, stderr)
}
