package tool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// End-to-end tests of built programs (DESIGN 3.5, 3.6): exit statuses, the failure budget,
// bounded failure records, -h, -version, the log lines and -stats-json.

const outcomesSrc = `package main

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Outcomes makes items and fails some of them.
//
// It exists for the tests of built programs.
pipeline Outcomes {
	// items to make
	param Count int = 100
	// how many of the first items fail
	param Fail int
	// the producer fails after its items
	param Broken bool
	// how long each item takes
	param Wait time.Duration = 10 * time.Millisecond
	param Tags []string = []string{"a", "b"}
	param Limits map[string]int

	state {
		done int
	}

	producer gen() int total(Count) {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
		if p.Broken {
			return errors.New("the source broke")
		}
	}
	processor check(n int) int {
		if n < p.Fail {
			return fmt.Errorf("item %d is bad", n)
		}
		emit(n)
	}
	consumer save(n int) { p.done++ }

	after_run {
		fmt.Printf("status=%s done=%d failed=%d kept=%d tags=%s limits=%v\n", result.Status, p.done,
			result.FailedItems, len(result.Failures), strings.Join(p.Tags, "+"), p.Limits)
	}
}

// Limited has a failure budget of 2.
pipeline Limited {
	param Fail int
	max_failures 2

	producer gen() int {
		for i := 0; i < 1000000; i++ {
			emit(i)
		}
	}
	consumer check(n int) {
		if n < p.Fail {
			panic(fmt.Sprintf("item %d", n))
		}
	}
	after_run { fmt.Printf("status=%s failed=%d\n", result.Status, result.FailedItems) }
}

// Pool panics in a worker process.
pipeline Pool {
	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	consumer work(n int) processes(1) {
		if n == 4 {
			panic("worker boom")
		}
	}
}
`

// buildOutcomes builds outcomesSrc once per test binary run.
func buildOutcomes(t *testing.T) string {
	t.Helper()
	return buildShared(t, "outcomes", outcomesSrc)
}

// shared holds programs built once for several tests, in a directory TestMain removes.
var shared struct {
	mu   sync.Mutex
	dir  string
	bins map[string]string
}

// buildShared builds src as name.mg once for every test that asks for name.
func buildShared(t *testing.T, name, src string) string {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if bin, ok := shared.bins[name]; ok {
		return bin
	}
	if shared.dir == "" {
		dir, err := os.MkdirTemp("", "minigun-built-")
		if err != nil {
			t.Fatal(err)
		}
		shared.dir, shared.bins = dir, map[string]string{}
	}
	dir := filepath.Join(shared.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".mg"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	if code, _, stderr := runTool(t, dir, "build", name+".mg", "-o", bin); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	shared.bins[name] = bin
	return bin
}

// removeShared removes the programs buildShared built.
func removeShared() {
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// lastLine is the last line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// Exit statuses: 0 succeeded, 3 items failed without a budget, 1 a failed run (a producer's
// error, the budget exceeded), 2 a usage error; the last stderr line says what failed.
func TestBuiltExitStatuses(t *testing.T) {
	bin := buildOutcomes(t)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // a regexp
		last   string // a regexp the last stderr line matches; "" for no stderr
	}{
		{"succeeded", []string{"-pipeline", "Outcomes"}, 0, `^status=succeeded done=100 failed=0 kept=0 `, ""},
		{"completed with failures", []string{"-pipeline", "Outcomes", "-fail", "3"}, 3, `^status=completed_with_failures done=97 failed=3 kept=3 `,
			`level=WARN msg="pipeline Outcomes completed with failures: 3 items failed for good \(check 3\)" job=[0-9a-f]{16} pipeline=Outcomes status=completed_with_failures failed_items=3$`},
		{"producer error", []string{"-pipeline", "Outcomes", "-broken"}, 1, `^status=failed done=100 `,
			`level=ERROR msg="pipeline Outcomes failed: outcomes\.mg:\d+:\d+: stage \\"gen\\": the source broke" job=[0-9a-f]{16} `},
		{"within -max-failures", []string{"-pipeline", "Outcomes", "-fail", "3", "-max-failures", "3"}, 0, `^status=succeeded done=97 failed=3 `, `msg="item failed"`},
		{"-max-failures exceeded", []string{"-pipeline", "Outcomes", "-fail", "3", "-max-failures", "2"}, 1, `^status=failed `,
			`level=ERROR msg="pipeline Outcomes failed: 3 items failed for good, more than max_failures 2 allows; the last: .*; 3 items failed for good \(check 3\)"`},
		{"-max-failures 0 is fail_fast", []string{"-pipeline", "Outcomes", "-fail", "1", "-max-failures", "0"}, 1, `^status=failed `, `an item failed for good and max_failures is 0`},
		{"-keep-failures", []string{"-pipeline", "Outcomes", "-fail", "50", "-keep-failures", "10", "-log-level", "error"}, 3, `^status=completed_with_failures done=50 failed=50 kept=10 `, ""},
		{"a usage error", []string{"-count", "many"}, 2, `^$`, `^Run outcomes -h for the flags\.$`},
		{"an unknown pipeline", []string{"-pipeline", "Nope"}, 2, `^$`, `unknown pipeline "Nope"`},
		{"slices and maps", []string{"-pipeline", "Outcomes", "-tags", "x,y,z", "-limits", "a=1,b=2"}, 0, `tags=x\+y\+z limits=map\[a:1 b:2\]$`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runProgram(t, bin, 20*time.Second, tc.args...)
			if res.code != tc.code {
				t.Fatalf("exit %s, want %d\nstdout:\n%s\nstderr:\n%s", res.status, tc.code, res.stdout, res.stderr)
			}
			if !regexp.MustCompile(tc.stdout).MatchString(strings.TrimRight(res.stdout, "\n")) {
				t.Errorf("stdout %q does not match %q", res.stdout, tc.stdout)
			}
			switch {
			case tc.last == "" && res.stderr != "":
				t.Errorf("stderr:\n%s\nwant none", res.stderr)
			case tc.last != "" && !regexp.MustCompile(tc.last).MatchString(lastLine(res.stderr)):
				t.Errorf("last stderr line %q does not match %q\nstderr:\n%s", lastLine(res.stderr), tc.last, res.stderr)
			}
		})
	}
}

// max_failures N in the .mg: N items may fail and the run succeeds (exit 0); one more fails
// it (exit 1) and cancels it as fail_fast does: the producer of a million items stops early.
func TestBuiltFailureBudget(t *testing.T) {
	bin := buildOutcomes(t)
	ok := runProgram(t, bin, 30*time.Second, "-pipeline", "Limited", "-fail", "2")
	if ok.code != 0 || strings.TrimSpace(ok.stdout) != "status=succeeded failed=2" {
		t.Fatalf("2 failures in a budget of 2: exit %s, stdout %q\n%s", ok.status, ok.stdout, ok.stderr)
	}
	stats := filepath.Join(t.TempDir(), "stats.json")
	over := runProgram(t, bin, 30*time.Second, "-pipeline", "Limited", "-fail", "3", "-stats-json", stats)
	if over.code != 1 || !strings.HasPrefix(over.stdout, "status=failed") {
		t.Fatalf("3 failures in a budget of 2: exit %s, stdout %q\n%s", over.status, over.stdout, over.stderr)
	}
	if !strings.Contains(lastLine(over.stderr), "more than max_failures 2 allows") ||
		!strings.Contains(lastLine(over.stderr), "(panicked at outcomes.mg:") {
		t.Errorf("last line %q", lastLine(over.stderr))
	}
	var runs []struct {
		Status string
		Stages []struct {
			Name    string
			Out     int64
			Dropped int64
		}
	}
	data, err := os.ReadFile(stats)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &runs); err != nil || len(runs) != 1 {
		t.Fatalf("%v: %s", err, data)
	}
	if gen := runs[0].Stages[0]; gen.Name != "gen" || gen.Out >= 1000000 || runs[0].Status != "failed" {
		t.Errorf("the run was not canceled: %+v", runs[0])
	}
}

const manyFailuresSrc = `package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
)

go {
	var errBad = errors.New("bad")

	// peakRSS is the most memory the process held, from /proc/self/status (VmHWM, in kB).
	func peakRSS() string {
		f, err := os.Open("/proc/self/status")
		if err != nil {
			return "unknown"
		}
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
				return strings.TrimSuffix(strings.TrimSpace(v), " kB")
			}
		}
		return "unknown"
	}

	// liveHeap is the heap that is still reachable, in kB, after a collection.
	func liveHeap() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc >> 10
	}
}

pipeline Many {
	param Count int = 500000
	param Fail bool = true

	producer gen() []byte {
		for i := 0; i < p.Count; i++ {
			emit(make([]byte, 1024))
		}
	}
	consumer check(b []byte) threads(2) {
		if p.Fail {
			return errBad
		}
	}

	after_run {
		fmt.Printf("failed=%d kept=%d heap_kb=%d peak_rss_kb=%s\n", result.FailedItems, len(result.Failures), liveHeap(), peakRSS())
	}
}
`

// 500,000 items of 1 KB that fail: the result keeps the first 1000 (-keep-failures) and
// counts the others, so what the program holds stays small: its live heap at the end, with
// the result, under 50 MB (a memory bound, not a timing); its peak RSS no more than a run of
// the same items that all succeed, plus a margin.
func TestBuiltKeepFailuresMemory(t *testing.T) {
	bin := buildSource(t, "many", manyFailuresSrc)
	line := regexp.MustCompile(`^failed=(\d+) kept=(\d+) heap_kb=(\d+) peak_rss_kb=(\d+|unknown)\n$`)
	run := func(args ...string) (failed, kept, heap, peak int, stderr string) {
		t.Helper()
		res := runProgram(t, bin, 120*time.Second, args...)
		m := line.FindStringSubmatch(res.stdout)
		if m == nil || res.hung {
			t.Fatalf("%v: exit %s, stdout %q\n%s", args, res.status, res.stdout, tail(res.stderr, 2000))
		}
		n := make([]int, 4)
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		return n[0], n[1], n[2], n[3], res.stderr
	}
	failed, kept, heap, peak, stderr := run()
	if failed != 500000 || kept != 1000 {
		t.Fatalf("%d failed, %d kept; want 500000 and 1000", failed, kept)
	}
	_, _, okHeap, okPeak, _ := run("-fail=false")
	t.Logf("500,000 failed items of 1 KB: live heap %d kB, peak RSS %d kB; the same items succeeding: %d kB, %d kB", heap, peak, okHeap, okPeak)
	if heap > 50<<10 {
		t.Errorf("live heap %d kB at the end, want under 50 MB: failed items are held in memory", heap)
	}
	if peak > 0 && okPeak > 0 && peak > okPeak+50<<10 {
		t.Errorf("peak RSS %d kB, %d kB more than when the items succeed", peak, peak-okPeak)
	}
	if !strings.Contains(lastLine(stderr), "500000 items failed for good (check 500000)") ||
		!strings.Contains(stderr, `msg="499980 more items failed for good, not listed"`) {
		t.Errorf("stderr (end):\n%s", tail(stderr, 1000))
	}
}

// -h prints the program's description from the .mg doc comments, then the flags as the flag
// package prints them (types, usage from doc comments, defaults, durations as 10ms), and
// exits 0; -version names the .mg file and minigungen.
func TestBuiltHelpAndVersion(t *testing.T) {
	bin := buildOutcomes(t)
	res := runProgram(t, bin, 10*time.Second, "-h")
	if res.code != 0 || res.stdout != "" {
		t.Fatalf("-h: exit %s, stdout %q", res.status, res.stdout)
	}
	for _, want := range []string{
		"Outcomes makes items and fails some of them.\n\nIt exists for the tests of built programs.\n\nLimited has a failure budget of 2.\n\nPool panics in a worker process.\n\nUsage of outcomes:\n",
		"\n  -count int\n    \titems to make (default 100)\n",
		"\n  -fail int\n    \thow many of the first items fail\n",
		"\n  -broken\n    \tthe producer fails after its items\n",
		"\n  -wait duration\n    \thow long each item takes (default 10ms)\n",
		"\n  -tags string,...\n    \tparameter Tags (default a,b)\n",
		"\n  -limits string=int,...\n    \tparameter Limits\n",
		"\n  -max-failures int\n",
		"\n  -keep-failures int\n",
		"\n  -log-format string\n",
		"\n  -log-level string\n",
		"\n  -shutdown-timeout duration\n    \thow long stopping workers may take before they are killed (default 10s)\n",
		"\n  -stats-json FILE\n",
		"\n  -version\n",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("-h lacks %q:\n%s", want, res.stderr)
		}
	}
	v := runProgram(t, bin, 10*time.Second, "-version")
	if v.code != 0 || !regexp.MustCompile(`^outcomes outcomes\.mg \(minigungen v\d+\.\d+\.\d+\) go\S+ \w+/\w+\n$`).MatchString(v.stderr) {
		t.Errorf("-version: exit %s, stderr %q", v.status, v.stderr)
	}
}

// -log-format json: every line is a JSON object with its time, level and message, and a run's
// lines its job id; at -log-level debug a failed item's line carries the worker's stack, and
// a panic's failure names the .mg line that panicked.
func TestBuiltLogJSON(t *testing.T) {
	bin := buildOutcomes(t)
	res := runProgram(t, bin, 30*time.Second, "-pipeline", "Pool", "-log-format", "json", "-log-level", "debug")
	if res.code != 3 {
		t.Fatalf("exit %s, want 3\n%s", res.status, res.stderr)
	}
	var job string
	var failed map[string]any
	lines := strings.Split(strings.TrimRight(res.stderr, "\n"), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "[work ") {
			continue // a worker's own output, forwarded
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		ts, _ := m["time"].(string)
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Errorf("line %q: time %q", l, ts)
		}
		id, _ := m["job"].(string)
		if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) || job != "" && id != job {
			t.Errorf("line %q: job %q", l, id)
		}
		job = id
		if m["level"] == nil || m["msg"] == nil || m["pipeline"] != "Pool" {
			t.Errorf("line %q", l)
		}
		if m["msg"] == "item failed" {
			failed = m
		}
	}
	if failed == nil {
		t.Fatalf("no failed item's line:\n%s", res.stderr)
	}
	stack, _ := failed["stack"].(string)
	if failed["stage"] != "work" || failed["item"] != "4" || failed["pid"] == nil ||
		!strings.Contains(stack, "goroutine ") || !strings.Contains(stack, "outcomes.mg:") {
		t.Errorf("failed item's line %v: want the worker's stack", failed)
	}
	at, _ := failed["panicked_at"].(string)
	if !regexp.MustCompile(`^outcomes\.mg:\d+$`).MatchString(at) || !strings.Contains(failed["error"].(string), "worker boom (panicked at "+at+")") {
		t.Errorf("panic at %q, error %q", at, failed["error"])
	}
	// The line is the panic's: the one with panic("worker boom").
	if want := lineNumber(t, outcomesSrc, `panic("worker boom")`); at != fmt.Sprintf("outcomes.mg:%d", want) {
		t.Errorf("panicked at %s, want outcomes.mg:%d", at, want)
	}
	// At warn, no stack.
	if res := runProgram(t, bin, 30*time.Second, "-pipeline", "Pool", "-log-format", "json"); strings.Contains(res.stderr, `"stack"`) {
		t.Errorf("a stack at -log-level warn:\n%s", res.stderr)
	}
}

// lineNumber is the 1-based line of src holding s.
func lineNumber(t *testing.T, src, s string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("no line holds %q", s)
	return 0
}

// -stats-json writes an array of results in the documented schema: snake_case keys, kinds and
// strategies as words, positions as file:line:col, durations in _ns keys.
func TestBuiltStatsJSON(t *testing.T) {
	bin := buildOutcomes(t)
	file := filepath.Join(t.TempDir(), "stats.json")
	res := runProgram(t, bin, 30*time.Second, "-pipeline", "Outcomes", "-fail", "2", "-stats-json", file)
	if res.code != 3 {
		t.Fatalf("exit %s\n%s", res.status, res.stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var runs []map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&runs); err != nil || len(runs) != 1 {
		t.Fatalf("%v:\n%s", err, data)
	}
	run := runs[0]
	checkKeys(t, "result", run, map[string]string{"job_id": "string", "pipeline": "string", "status": "string", "started": "string",
		"duration_ns": "int", "failed_items": "int", "stages": "array", "failures": "array"})
	if run["status"] != "completed_with_failures" || run["pipeline"] != "Outcomes" || run["failed_items"] != json.Number("2") {
		t.Errorf("run %v", run)
	}
	stages := run["stages"].([]any)
	if len(stages) != 3 {
		t.Fatalf("stages %v", stages)
	}
	for i, want := range []struct{ name, kind string }{{"gen", "producer"}, {"check", "processor"}, {"save", "consumer"}} {
		st := stages[i].(map[string]any)
		checkKeys(t, want.name, st, map[string]string{"name": "string", "kind": "string", "pos": "string", "strategy": "object",
			"in": "int", "out": "int", "failed": "int", "retried": "int", "dead_lettered": "int", "dropped": "int",
			"p50_ns": "int", "p90_ns": "int", "p95_ns": "int", "p99_ns": "int", "items_per_second": "number",
			"blocked_in_ns": "int", "blocked_out_ns": "int", "elapsed_ns": "int", "busy_ns": "int", "busy_share": "number",
			"concurrency": "int", "goroutines": "int", "processes": "int", "queue_len": "int", "queue_cap": "int", "bottleneck": "bool"})
		if st["name"] != want.name || st["kind"] != want.kind || !regexp.MustCompile(`^outcomes\.mg:\d+:\d+$`).MatchString(st["pos"].(string)) {
			t.Errorf("stage %v", st)
		}
		if s := st["strategy"].(map[string]any); s["kind"] != "inline" {
			t.Errorf("strategy %v", s)
		}
	}
	if gen := stages[0].(map[string]any); gen["total"] != json.Number("100") || gen["out"] != json.Number("100") {
		t.Errorf("gen %v", gen)
	}
	fails := run["failures"].([]any)
	if len(fails) != 2 {
		t.Fatalf("failures %v", fails)
	}
	f := fails[0].(map[string]any)
	checkKeys(t, "failure", f, map[string]string{"stage": "string", "pos": "string", "item": "string", "error": "string", "attempts": "int"})
	if f["stage"] != "check" || f["error"] != "item 0 is bad" || f["item"] != "0" {
		t.Errorf("failure %v", f)
	}
}

// checkKeys checks that m has the keys of want with values of their JSON types, and that
// every key is snake_case.
func checkKeys(t *testing.T, what string, m map[string]any, want map[string]string) {
	t.Helper()
	for k, typ := range want {
		v, ok := m[k]
		if !ok {
			t.Errorf("%s lacks %q", what, k)
			continue
		}
		got := "?"
		switch x := v.(type) {
		case string:
			got = "string"
		case bool:
			got = "bool"
		case []any:
			got = "array"
		case map[string]any:
			got = "object"
		case json.Number:
			got = "number"
			if _, err := x.Int64(); err == nil && typ == "int" {
				got = "int"
			} else if typ == "number" {
				got = "number"
			}
		}
		if got != typ {
			t.Errorf("%s: %q is %v (%s), want a %s", what, k, v, got, typ)
		}
	}
	for k := range m {
		if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(k) {
			t.Errorf("%s: key %q is not snake_case", what, k)
		}
	}
}
