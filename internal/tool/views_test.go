package tool

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
	"github.com/minigun-go/minigun/runtime/cli"
	"golang.org/x/sys/unix"
)

// viewsSrc is the pipeline the live views of built binaries are tried on: long stage names,
// a producer that declares its total, a slow threads stage (the bottleneck), worker
// processes, failures.
const viewsSrc = `package main

import (
	"fmt"
	"time"
)

pipeline Views {
	param Count int = 3000
	param Delay time.Duration = time.Millisecond
	producer generate_orders_from_a_source_with_a_very_long_name() int total(Count) {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}
	processor enrich_each_order_with_the_customer_details_it_needs(n int) int threads(4) {
		time.Sleep(p.Delay)
		emit(n * 2)
	}
	processor square(n int) int processes(2) { emit(n * n) }
	processor validate(n int) int {
		if n%97 == 0 {
			return fmt.Errorf("bad %d", n)
		}
		emit(n)
	}
	consumer save(n int) {}
}
`

// viewsStages are prefixes of the stage names that no truncation cuts.
var viewsStages = []string{"generate_", "enrich_", "square", "validate", "save"}

func buildViews(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "views.mg"), []byte(viewsSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "views")
	if code, _, stderr := runTool(t, dir, "build", "views.mg", "-o", bin); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	return bin
}

// term is a program running in a pseudo-terminal of 100 columns and 30 rows.
type term struct {
	t    *testing.T
	cmd  *exec.Cmd
	ptmx *os.File // the terminal's side
	tty  *os.File // the program's side, kept open to read its settings
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

func startTerm(t *testing.T, bin string, args ...string) *term {
	return startTermAs(t, "xterm-256color", bin, args...)
}

// startTermAs is startTerm with TERM set to name.
func startTermAs(t *testing.T, name, bin string, args ...string) *term {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, ptmx: ptmx, tty: tty, done: make(chan error, 1)}
	tm.cmd = exec.Command(bin, args...)
	tm.cmd.Stdin, tm.cmd.Stdout, tm.cmd.Stderr = tty, tty, tty
	tm.cmd.Env = append(os.Environ(), "TERM="+name)
	tm.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := tm.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := ptmx.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { tm.done <- tm.cmd.Wait() }()
	t.Cleanup(func() {
		tm.cmd.Process.Kill()
		ptmx.Close()
		tty.Close()
	})
	return tm
}

func (tm *term) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// waitFor waits until the output, without escape sequences, matches every one of res.
func (tm *term) waitFor(d time.Duration, res ...*regexp.Regexp) string {
	tm.t.Helper()
	deadline := time.Now().Add(d)
	for {
		plain := stripANSI(tm.output())
		ok := true
		for _, re := range res {
			ok = ok && re.MatchString(plain)
		}
		if ok {
			return plain
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the terminal never showed %v; it shows:\n%s", res, plain)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wait waits for the program to exit and returns its status.
func (tm *term) wait(d time.Duration) int {
	tm.t.Helper()
	select {
	case err := <-tm.done:
		time.Sleep(100 * time.Millisecond) // the last output
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			tm.t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		tm.t.Fatalf("the program did not exit within %v; the terminal shows:\n%s", d, stripANSI(tm.output()))
	}
	return -1
}

// cooked reports whether the terminal is back in its normal mode: line editing and echo.
func (tm *term) cooked() bool {
	tio, err := unix.IoctlGetTermios(int(tm.tty.Fd()), unix.TCGETS)
	if err != nil {
		tm.t.Fatal(err)
	}
	return tio.Lflag&unix.ICANON != 0 && tio.Lflag&unix.ECHO != 0
}

var ansiRE = regexp.MustCompile(`\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78])`)

func stripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

// -progress in a terminal of 100 columns: one line per stage, each stage once in every
// redraw, no line wider than the terminal, the producer's bar reaching 100%; nothing when
// stderr is not a terminal.
func TestBuiltProgramProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	bin := buildViews(t)
	tm := startTerm(t, bin, "-progress")
	// validate fails some items: the run completes with failures (exit 3).
	if code := tm.wait(60 * time.Second); code != 3 {
		t.Fatalf("exit %d\n%s", code, stripANSI(tm.output()))
	}
	raw := strings.ReplaceAll(tm.output(), "\r", "")
	frames := regexp.MustCompile(`\x1b\[\d+A\x1b\[J`).Split(raw, -1)
	if len(frames) < 3 {
		t.Fatalf("%d frames, want the lines redrawn in place several times:\n%q", len(frames), raw)
	}
	for i, f := range frames {
		var lines []string
		for _, l := range strings.Split(strings.TrimRight(stripANSI(f), "\n"), "\n") {
			if strings.HasPrefix(l, "time=") {
				break // the log of the failures, after the last frame
			}
			lines = append(lines, l)
		}
		if len(lines) != 1+len(viewsStages) || !strings.HasPrefix(lines[0], "pipeline Views") {
			t.Errorf("frame %d has %d lines, want a header and one per stage:\n%s", i, len(lines), strings.Join(lines, "\n"))
			continue
		}
		for j, prefix := range viewsStages {
			n := 0
			for _, l := range lines {
				if strings.HasPrefix(l, prefix) {
					n++
				}
			}
			if n != 1 || !strings.HasPrefix(lines[1+j], prefix) {
				t.Errorf("frame %d shows stage %s %d times, want once on line %d:\n%s", i, prefix, n, 2+j, strings.Join(lines, "\n"))
			}
		}
		for _, l := range lines {
			if w := utf8.RuneCountInString(l); w > 100 {
				t.Errorf("frame %d has a line of %d columns:\n%s", i, w, l)
			}
		}
	}
	last := stripANSI(frames[len(frames)-1])
	for _, want := range []string{"100% ETA 0s", "out   3000/3000", "failed   31", "bottleneck", "ended"} {
		if !strings.Contains(last, want) {
			t.Errorf("the last frame lacks %q:\n%s", want, last)
		}
	}

	// A terminal that moves no cursor (TERM=dumb): no redraws either.
	dumb := startTermAs(t, "dumb", bin, "-progress", "-count", "300")
	if code := dumb.wait(60 * time.Second); code != 3 {
		t.Fatalf("TERM=dumb: exit %d\n%s", code, stripANSI(dumb.output()))
	}
	if s := dumb.output(); strings.Contains(s, "ETA") || strings.Contains(s, "\x1b[") {
		t.Errorf("-progress drew on a TERM=dumb terminal:\n%q", s)
	}

	// stderr not a terminal: nothing but the log of the failures.
	cmd := exec.Command(bin, "-progress", "-count", "300")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	var exit *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("%v, want exit status 3 (items failed)", err)
	}
	if s := stderr.String(); strings.Contains(s, "ETA") || strings.Contains(s, "busy") || strings.Contains(s, "\x1b") {
		t.Errorf("-progress drew on a stderr that is no terminal:\n%q", s)
	}
}

var rateRE = regexp.MustCompile(`\d[\d.]*[kMG]?/s`)

// -hud in a terminal of 100x30: the stage names and rates show; q leaves the screen, stops
// the run as SIGINT does (status 130) and restores the terminal; so do SIGINT and the run's
// end.
func TestBuiltProgramHUD(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	bin := buildViews(t)
	var shown []*regexp.Regexp
	for _, s := range viewsStages {
		shown = append(shown, regexp.MustCompile(regexp.QuoteMeta(s)))
	}
	shown = append(shown, rateRE, regexp.MustCompile(`job [0-9a-f]{16}`), regexp.MustCompile(`elapsed`))
	for _, tc := range []struct {
		name string
		args []string
		end  func(tm *term)
		code int
	}{
		{"quit-key", []string{"-count", "1000000"}, func(tm *term) { tm.ptmx.Write([]byte("q")) }, 130},
		{"sigint", []string{"-count", "1000000"}, func(tm *term) { tm.cmd.Process.Signal(os.Interrupt) }, 130},
		{"end", []string{"-count", "3000"}, func(*term) {}, 3}, // validate fails some items
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm := startTerm(t, bin, append([]string{"-hud"}, tc.args...)...)
			if !tm.cooked() {
				t.Fatal("the terminal is not in its normal mode before the run")
			}
			tm.waitFor(20*time.Second, shown...)
			if tm.cooked() {
				t.Error("the HUD runs, yet the terminal is still in line mode")
			}
			tc.end(tm)
			if code := tm.wait(60 * time.Second); code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, stripANSI(tm.output()))
			}
			if !tm.cooked() {
				t.Error("the terminal was not restored: no line editing or no echo")
			}
			out := tm.output()
			if i, j := strings.LastIndex(out, "\x1b[?1049h"), strings.LastIndex(out, "\x1b[?1049l"); i < 0 || j < i {
				t.Errorf("the HUD did not leave the alternate screen (enter at %d, leave at %d)", i, j)
			}
			if tc.code == 130 && !strings.Contains(stripANSI(out), "stopping: SIGINT") {
				t.Errorf("the run was not stopped as on SIGINT:\n%s", stripANSI(out))
			}
		})
	}
}

// -metrics-addr: the per-stage series, scraped over HTTP while the run goes, grow; the
// worker processes and the run's status show.
func TestBuiltProgramMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	bin := buildViews(t)
	cmd := exec.Command(bin, "-metrics-addr", "127.0.0.1:0", "-count", "1000000")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stderr)
	var url string
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "metrics: serving "); ok {
			url = u
			break
		}
	}
	if url == "" {
		t.Fatal("the program did not say where it serves its metrics")
	}
	go io.Copy(io.Discard, stderr)
	scrape := func() string {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
		}
		return string(body)
	}
	value := func(body, series string) float64 {
		t.Helper()
		for _, l := range strings.Split(body, "\n") {
			if rest, ok := strings.CutPrefix(l, series+" "); ok {
				var v float64
				if _, err := fmt.Sscan(rest, &v); err == nil {
					return v
				}
			}
		}
		t.Fatalf("no series %s in:\n%s", series, body)
		return 0
	}
	// The labels of a stage's series, in the order the exposition sorts them.
	labels := func(stage, kind, strategy string) string {
		return `kind="` + kind + `",pipeline="Views",stage="` + stage + `",strategy="` + strategy + `"`
	}
	enrich := labels("enrich_each_order_with_the_customer_details_it_needs", "processor", "threads(4)")
	gen := labels("generate_orders_from_a_source_with_a_very_long_name", "producer", "inline")
	validate := labels("validate", "processor", "inline")
	deadline := time.Now().Add(20 * time.Second)
	var first string
	for {
		first = scrape()
		if strings.Contains(first, "minigun_stage_items_in_total{"+enrich+"}") && value(first, "minigun_worker_processes") == 2 && value(first, "minigun_stage_items_in_total{"+enrich+"}") > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the metrics never showed the run going with its 2 worker processes:\n%s", first)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	second := scrape()
	for _, s := range []string{"in", "out"} {
		series := "minigun_stage_items_" + s + "_total{" + enrich + "}"
		if a, b := value(first, series), value(second, series); b <= a {
			t.Errorf("%s did not grow while the run went: %v then %v", series, a, b)
		}
	}
	for _, series := range []string{
		`minigun_stage_items_out_total{` + gen + `}`,
		`minigun_stage_items_expected{` + gen + `}`,
		`minigun_stage_items_failed_total{` + validate + `}`,
		`minigun_stage_items_retried_total{` + validate + `}`,
		`minigun_stage_items_dead_lettered_total{` + validate + `}`,
		`minigun_stage_queue_length{` + enrich + `}`,
		`minigun_stage_queue_capacity{` + enrich + `}`,
		`minigun_stage_workers{` + labels("square", "processor", "processes(2)") + `}`,
		`minigun_stage_latency_seconds_bucket{` + enrich + `,le="0.005"}`,
		`minigun_stage_latency_seconds_count{` + enrich + `}`,
		`minigun_stage_busy_seconds_total{` + enrich + `}`,
	} {
		value(second, series)
	}
	if v := value(second, `minigun_stage_queue_capacity{`+enrich+`}`); v != 1000 {
		t.Errorf("queue capacity %v, want the default 1000", v)
	}
	if v := value(second, `minigun_stage_items_expected{`+gen+`}`); v != 1e6 {
		t.Errorf("the producer's total is %v, want 1e6 from -count", v)
	}
	if !regexp.MustCompile(`minigun_run_status\{job="[0-9a-f]{16}",pipeline="Views",status="running"\} 1`).MatchString(second) {
		t.Errorf("no running status:\n%s", second)
	}
	cmd.Process.Signal(os.Interrupt)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("exit %v, want 130 after SIGINT", err)
	}
}

// A built binary is two images (runtime/cli: the views image): without a view flag the lean
// one runs, and its worker processes, none of the views' libraries initialised; -h (or a
// view flag) runs the full one, which has their flags.
func TestBuiltProgramLeanImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	if viewsMagic != cli.ViewsMagic {
		t.Fatalf("the trailer's magic differs: build writes %q, cli reads %q", viewsMagic, cli.ViewsMagic)
	}
	bin := buildViews(t)
	worker := exec.Command(bin)
	worker.Env = append(os.Environ(), "GODEBUG=inittrace=1", "MINIGUN_WORKER=main.NoSuchPipeline")
	out, _ := worker.CombinedOutput()
	if !strings.Contains(string(out), "init github.com/minigun-go/minigun/runtime/internal/procexec") {
		t.Fatalf("no init trace:\n%s", out)
	}
	for _, lib := range []string{"prometheus", "bubbletea", "lipgloss", "mpb", "charmbracelet", "protobuf"} {
		if strings.Contains(string(out), lib) {
			t.Errorf("a worker process initialises %s:\n%s", lib, out)
		}
	}
	out, err := exec.Command(bin, "-count", "100", "-stats").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.Contains(string(out), "pipeline Views") {
		t.Errorf("a run without views: %v\n%s", err, out)
	}
	out, _ = exec.Command(bin, "-h").CombinedOutput()
	for _, f := range []string{"-progress", "-hud", "-metrics-addr", "-count"} {
		if !strings.Contains(string(out), "  "+f) {
			t.Errorf("-h does not list %s:\n%s", f, out)
		}
	}
}
