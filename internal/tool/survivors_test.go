package tool

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Scenarios that need signals, kill -9 of the parent, or counting the worker processes left
// alive. Worker processes are found by their environment (programs_test.go: the test's tag
// and MINIGUN_WORKER), since they run in process groups of their own and are reparented once
// their parent died.

// busySrc runs four items in worker processes (STRATEGY) whose body says "busy" on stderr,
// then stays busy (BODY) without looking at ctx.
const busySrc = `package main

import (
	"fmt"
	"os"
	"time"
)

pipeline Busy {
	producer gen() int {
		for i := 0; i < 4; i++ {
			emit(i)
		}
	}
	processor work(x int) int STRATEGY {
		fmt.Fprintln(os.Stderr, "busy", x)
		BODY
		emit(x)
	}
	consumer sink(x int) {}
}
`

var busyCases = []struct {
	name, strategy, body string
	workers              int
}{
	{"per_batch_sleep", "process_per_batch(max: 2)", "time.Sleep(time.Hour)", 2},
	{"per_batch_busy_loop", "process_per_batch(max: 1)", "for t0 := time.Now(); time.Since(t0) < time.Hour; {\n\t\t}", 1},
	{"pool_sleep", "processes(2)", "time.Sleep(time.Hour)", 2},
	{"pool_busy_loop", "processes(1)", "for t0 := time.Now(); time.Since(t0) < time.Hour; {\n\t\t}", 1},
}

// lineReader collects a program's stderr lines and tells when a number of them matched.
type lineReader struct {
	mu    sync.Mutex
	lines []string
	cond  *sync.Cond
	eof   bool
}

func newLineReader(r io.Reader) *lineReader {
	lr := &lineReader{}
	lr.cond = sync.NewCond(&lr.mu)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			lr.mu.Lock()
			lr.lines = append(lr.lines, sc.Text())
			lr.mu.Unlock()
			lr.cond.Broadcast()
		}
		io.Copy(io.Discard, r)
		lr.mu.Lock()
		lr.eof = true
		lr.mu.Unlock()
		lr.cond.Broadcast()
	}()
	return lr
}

// startWithStderr starts bin (startProgram) with its stderr on a pipe read line by line, and
// its stdout to stdout (nil: discarded). The pipe is the program's own stderr, not one that
// exec.Cmd copies from, so that every line it wrote can be read after it ended.
func startWithStderr(t *testing.T, bin string, stdout io.Writer, args ...string) (*started, *lineReader) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	s := startProgram(t, bin, func(c *exec.Cmd) {
		c.Stdout = stdout
		c.Stderr = pw
	}, args...)
	pw.Close()
	return s, newLineReader(pr)
}

// waitFor waits up to d until n lines match re; false if they did not.
func (lr *lineReader) waitFor(re *regexp.Regexp, n int, d time.Duration) bool {
	timer := time.AfterFunc(d, lr.cond.Broadcast)
	defer timer.Stop()
	deadline := time.Now().Add(d)
	lr.mu.Lock()
	defer lr.mu.Unlock()
	for {
		k := 0
		for _, l := range lr.lines {
			if re.MatchString(l) {
				k++
			}
		}
		if k >= n {
			return true
		}
		if lr.eof || !time.Now().Before(deadline) {
			return false
		}
		lr.cond.Wait()
	}
}

// waitEOF waits up to d for the end of the stream and returns the lines read.
func (lr *lineReader) waitEOF(d time.Duration) []string {
	timer := time.AfterFunc(d, lr.cond.Broadcast)
	defer timer.Stop()
	deadline := time.Now().Add(d)
	lr.mu.Lock()
	defer lr.mu.Unlock()
	for !lr.eof && time.Now().Before(deadline) {
		lr.cond.Wait()
	}
	return append([]string(nil), lr.lines...)
}

func (lr *lineReader) text() string {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return strings.Join(lr.lines, "\n")
}

// startBusy builds and starts the busy program of a case and waits until its workers are
// inside their bodies.
func startBusy(t *testing.T, strategy, body string, workers int) (*started, *lineReader) {
	t.Helper()
	src := strings.Replace(strings.Replace(busySrc, "STRATEGY", strategy, 1), "BODY", body, 1)
	bin := buildSource(t, "busy", src)
	s, lr := startWithStderr(t, bin, nil)
	if !lr.waitFor(regexp.MustCompile(`^\[work \d+\] busy \d+$`), workers, 10*time.Second) {
		t.Fatalf("the workers did not start their items within 10 s\nstderr:\n%s", lr.text())
	}
	if got := taggedWorkers(s.tag); len(got) < workers {
		t.Fatalf("found %d worker processes (%v), want %d", len(got), got, workers)
	}
	return s, lr
}

// survivorsAfter polls for up to d for the worker processes of tag to be gone and returns
// those still alive then.
func survivorsAfter(tag string, d time.Duration) []procInfo {
	deadline := time.Now().Add(d)
	for {
		left := taggedWorkers(tag)
		if len(left) == 0 || !time.Now().Before(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Bug 2: after kill -9 of the parent, worker processes whose body is busy (a long sleep, or a
// busy loop that ignores ctx) keep running. No worker may be alive 2 s after the parent died.
func TestWorkersDieWithParentAfterKill9(t *testing.T) {
	t.Parallel()
	for _, tc := range busyCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := startBusy(t, tc.strategy, tc.body, tc.workers)
			before := taggedWorkers(s.tag)
			if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if !s.wait(5 * time.Second) {
				t.Fatal("the parent did not die after SIGKILL")
			}
			if left := survivorsAfter(s.tag, 2*time.Second); len(left) > 0 {
				t.Errorf("%d of %d worker processes still alive 2 s after the parent was killed with SIGKILL: %v", len(left), len(before), left)
			}
		})
	}
}

// Bug 2: after a second SIGINT the parent exits at once without killing its workers, which
// keep running. The parent may exit at once (status 130), but no worker may be alive 2 s later.
func TestWorkersDieAfterSecondSIGINT(t *testing.T) {
	t.Parallel()
	for _, tc := range busyCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, lr := startBusy(t, tc.strategy, tc.body, tc.workers)
			before := taggedWorkers(s.tag)
			if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
			if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			if !s.wait(5 * time.Second) {
				t.Fatalf("the parent did not exit within 5 s of the second SIGINT\nstderr:\n%s", lr.text())
			}
			if code, status := s.exitStatus(); code != 130 {
				t.Errorf("exit %s after two SIGINTs, want 130", status)
			}
			if left := survivorsAfter(s.tag, 2*time.Second); len(left) > 0 {
				t.Errorf("%d of %d worker processes still alive 2 s after the parent exited on a second SIGINT: %v", len(left), len(before), left)
			}
		})
	}
}

// shutdownSrc: a pool of two workers, 20 items, item 5 sleeps an hour without looking at
// ctx. Each body says on stderr when it starts the slow item and when it finished an item; the
// consumer prints what it received once the run ended.
const shutdownSrc = `package main

import (
	"fmt"
	"os"
	"sort"
	"time"
)

pipeline PoolShutdown {
	state {
		got []int
	}
	producer gen() int {
		for i := 0; i < 20; i++ {
			emit(i)
		}
	}
	processor work(x int) int processes(2) {
		if x == 5 {
			fmt.Fprintln(os.Stderr, "slow item started")
			time.Sleep(time.Hour)
		}
		emit(x)
		fmt.Fprintln(os.Stderr, "finished", x)
	}
	consumer collect(x int) {
		p.got = append(p.got, x)
	}
	after_run {
		sort.Ints(p.got)
		fmt.Println("delivered:", p.got)
	}
}
`

// shutdownRun is what the shutdown scenario left.
type shutdownRun struct {
	stdout, stderr string
	failed         []int        // items named by failure lines of stage "work"
	finished       map[int]bool // items a worker said it finished
	delivered      map[int]bool
	stats          stageStatsJSON
}

// stageStatsJSON is one stage of -stats-json (field names are matched without regard to case).
type stageStatsJSON struct {
	Name                  string
	In, Out               int64
	Failed, Dropped       int64
	DeadLettered, Retried int64
}

var (
	failureLine  = regexp.MustCompile(`msg="item failed" .*\bstage=work .*\bitem=(\d+) `)
	finishedLine = regexp.MustCompile(`^\[work \d+\] finished (\d+)$`)
)

// runPoolShutdown runs the shutdown scenario: once the slow item has run for 500 ms (the
// other items are long done by then in a pool without head-of-line blocking), SIGINT with
// -shutdown-timeout 300ms, so that the slow item's worker is killed.
func runPoolShutdown(t *testing.T) shutdownRun {
	t.Helper()
	bin := buildSource(t, "shutdown", shutdownSrc)
	statsPath := filepath.Join(t.TempDir(), "stats.json")
	var stdout strings.Builder
	s, lr := startWithStderr(t, bin, &stdout, "-shutdown-timeout", "300ms", "-stats-json", statsPath)
	if !lr.waitFor(regexp.MustCompile(`^\[work \d+\] slow item started$`), 1, 10*time.Second) {
		t.Fatalf("the slow item did not start within 10 s\nstderr:\n%s", lr.text())
	}
	time.Sleep(500 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if !s.wait(5 * time.Second) {
		t.Fatalf("no exit within 5 s of SIGINT with -shutdown-timeout 300ms\nstderr:\n%s", lr.text())
	}
	lines := lr.waitEOF(time.Second)
	res := shutdownRun{stdout: stdout.String(), stderr: strings.Join(lines, "\n"), finished: map[int]bool{}, delivered: map[int]bool{}}
	if code, status := s.exitStatus(); code != 130 {
		t.Fatalf("exit %s after SIGINT, want 130\nstderr:\n%s", status, res.stderr)
	}
	for _, l := range lines {
		if m := failureLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			res.failed = append(res.failed, n)
		}
		if m := finishedLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			res.finished[n] = true
		}
	}
	out := strings.TrimSpace(res.stdout)
	list, ok := strings.CutPrefix(out, "delivered: [")
	if !ok || !strings.HasSuffix(list, "]") {
		t.Fatalf("after_run printed %q, want delivered: [...]", out)
	}
	for _, f := range strings.Fields(strings.TrimSuffix(list, "]")) {
		n, _ := strconv.Atoi(f)
		res.delivered[n] = true
	}
	data, err := os.ReadFile(statsPath)
	if err != nil {
		t.Fatalf("no -stats-json output: %v", err)
	}
	var results []struct{ Stages []stageStatsJSON }
	if err := json.Unmarshal(data, &results); err != nil || len(results) != 1 {
		t.Fatalf("-stats-json: %v (%d results)\n%s", err, len(results), data)
	}
	for _, st := range results[0].Stages {
		if st.Name == "work" {
			res.stats = st
		}
	}
	if res.stats.Name == "" {
		t.Fatalf("-stats-json has no stage work:\n%s", data)
	}
	return res
}

func sortedKeys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// Bug 3c: when the worker running a slow item is killed at shutdown (SIGINT, short
// -shutdown-timeout), the failure must name the item it was running (5), not the oldest item
// it had not reported yet.
func TestPoolShutdownKillNamesRunningItem(t *testing.T) {
	t.Parallel()
	res := runPoolShutdown(t)
	if len(res.failed) != 1 || res.failed[0] != 5 {
		t.Errorf("failure lines of stage work name items %v, want only the running slow item [5]\nstderr:\n%s", res.failed, res.stderr)
	}
	if res.stats.Failed != 1 {
		t.Errorf("-stats-json: work failed=%d, want 1", res.stats.Failed)
	}
}

// Bug 3c: items a worker finished before it was killed at shutdown must be delivered, not
// dropped with the item it was running; only items no worker ran may count as dropped.
func TestPoolShutdownKillKeepsFinishedItems(t *testing.T) {
	t.Parallel()
	res := runPoolShutdown(t)
	var lost []int
	for _, n := range sortedKeys(res.finished) {
		if !res.delivered[n] {
			lost = append(lost, n)
		}
	}
	if len(lost) > 0 {
		t.Errorf("items %v finished in a worker (it said so on stderr) but were never delivered; delivered %v", lost, sortedKeys(res.delivered))
	}
	if want := int64(20 - 1 - len(res.finished)); res.stats.Dropped != want {
		t.Errorf("-stats-json: work dropped=%d, want %d (20 items, 1 failed, %d finished: %v)", res.stats.Dropped, want, len(res.finished), sortedKeys(res.finished))
	}
	if t.Failed() {
		t.Logf("stats of work: %+v\nstderr:\n%s", res.stats, res.stderr)
	}
}

// A process_per_batch stage starts the processes of the items it holds ahead of need (warm
// workers waiting for a slot). They die with the parent too: after kill -9, after a second
// SIGINT, and after one SIGINT they are stopped before the program exits.
func TestWarmWorkersDieWithParent(t *testing.T) {
	t.Parallel()
	src := strings.Replace(strings.Replace(busySrc, "STRATEGY", "process_per_batch(max: 2)", 1), "BODY", "time.Sleep(time.Hour)", 1)
	src = strings.Replace(src, "i < 4", "i < 8", 1)
	bin := buildSource(t, "warm", src)
	for _, mode := range []string{"KILL", "INT2", "INT"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s, lr := startWithStderr(t, bin, nil, "-shutdown-timeout", "300ms")
			if !lr.waitFor(regexp.MustCompile(`^\[work \d+\] busy \d+$`), 2, 10*time.Second) {
				t.Fatalf("the workers did not start their items within 10 s\nstderr:\n%s", lr.text())
			}
			// Two items run; two more wait in the stage, each with its warm worker.
			deadline := time.Now().Add(10 * time.Second)
			for len(taggedWorkers(s.tag)) < 4 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			before := taggedWorkers(s.tag)
			if len(before) < 4 {
				t.Fatalf("%d worker processes, want 4 (2 running, 2 warm): %v", len(before), before)
			}
			switch mode {
			case "KILL":
				_ = s.cmd.Process.Signal(syscall.SIGKILL)
			case "INT2":
				_ = s.cmd.Process.Signal(syscall.SIGINT)
				time.Sleep(200 * time.Millisecond)
				_ = s.cmd.Process.Signal(syscall.SIGINT)
			case "INT":
				_ = s.cmd.Process.Signal(syscall.SIGINT)
			}
			if !s.wait(5 * time.Second) {
				t.Fatalf("the parent did not exit within 5 s (%s)\nstderr:\n%s", mode, lr.text())
			}
			if mode == "INT" {
				if left := taggedWorkers(s.tag); len(left) > 0 {
					t.Errorf("%d worker processes alive when the parent exited after SIGINT: %v", len(left), left)
				}
			}
			if left := survivorsAfter(s.tag, 2*time.Second); len(left) > 0 {
				t.Errorf("%d of %d worker processes still alive 2 s after the parent ended (%s): %v", len(left), len(before), mode, left)
			}
		})
	}
}
