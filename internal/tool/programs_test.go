package tool

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Self-checking programs (testdata/programs/*.mg), in the convention of shared/tools/mgcase:
// each is built with minigungen and run, and must print exactly the lines of its `// want:`
// block on stdout and exit with a status its `// exit: N [M...]` line allows (default 0).
// `// args: ...` gives its arguments (split on spaces), `// runs: N` runs it N times (racy
// scenarios), `// timeout: D` bounds each run (default 10s), `// gob: yes` or `// gob: no` says
// whether the built program must link encoding/gob. A run that does not end in time
// is a failure, not a wait for the test deadline: its process group and every worker process
// it started are killed.
//
// Most of these programs reproduce runtime bugs and fail until the bug is fixed; each file's
// comment says which bug and what the fixed behaviour is.

const defaultRunTimeout = 10 * time.Second

// programSpec is what a program's comments ask for.
type programSpec struct {
	want    []string
	exits   []int
	args    []string
	runs    int
	timeout time.Duration
	gob     string // "yes", "no", or "" (not checked)
}

var directive = regexp.MustCompile(`(?m)^// (exit|args|runs|timeout|gob): *(.*?)\s*$`)

func parseProgramSpec(src []byte) (programSpec, error) {
	s := programSpec{want: commentBlock(src, "want"), exits: []int{0}, runs: 1, timeout: defaultRunTimeout}
	if len(s.want) == 0 {
		return s, errors.New("no want: block")
	}
	for _, m := range directive.FindAllStringSubmatch(string(src), -1) {
		switch m[1] {
		case "exit":
			s.exits = nil
			for _, f := range strings.Fields(m[2]) {
				n, err := strconv.Atoi(f)
				if err != nil {
					return s, fmt.Errorf("exit: %v", err)
				}
				s.exits = append(s.exits, n)
			}
		case "args":
			s.args = strings.Fields(m[2])
		case "runs":
			n, err := strconv.Atoi(m[2])
			if err != nil || n < 1 {
				return s, fmt.Errorf("runs: %q is not a positive number", m[2])
			}
			s.runs = n
		case "timeout":
			d, err := time.ParseDuration(m[2])
			if err != nil {
				return s, fmt.Errorf("timeout: %v", err)
			}
			s.timeout = d
		case "gob":
			if m[2] != "yes" && m[2] != "no" {
				return s, fmt.Errorf("gob: %q is neither yes nor no", m[2])
			}
			s.gob = m[2]
		}
	}
	return s, nil
}

func programsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "programs"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPrograms(t *testing.T) {
	dir := programsDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.mg"))
	if len(files) == 0 {
		t.Fatalf("no programs in %s", dir)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".mg")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := parseProgramSpec(src)
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(f), err)
			}
			bin := buildProgram(t, dir, filepath.Base(f))
			if spec.gob != "" {
				linked, err := linksGob(bin)
				if err != nil {
					t.Fatal(err)
				}
				if want := spec.gob == "yes"; linked != want {
					t.Fatalf("the program links encoding/gob: %v, want %v", linked, want)
				}
			}
			for i := 1; i <= spec.runs; i++ {
				res := runProgram(t, bin, spec.timeout, spec.args...)
				where := ""
				if spec.runs > 1 {
					where = fmt.Sprintf("run %d of %d: ", i, spec.runs)
				}
				if res.hung {
					t.Fatalf("%sno exit within %v (hang); killed it\nstdout:\n%s\nstderr (end):\n%s", where, spec.timeout, res.stdout, tail(res.stderr, 2000))
				}
				got := strings.TrimRight(res.stdout, "\n")
				if !allowed(spec.exits, res.code) {
					t.Fatalf("%sexit %s, want %s\nstdout:\n%s\nstderr (end):\n%s", where, res.status, exitList(spec.exits), got, tail(res.stderr, 2000))
				}
				if got != strings.Join(spec.want, "\n") {
					t.Fatalf("%sprinted:\n%s\nwant:\n%s\nstderr (end):\n%s", where, got, strings.Join(spec.want, "\n"), tail(res.stderr, 2000))
				}
			}
		})
	}
}

// linksGob reports whether the executable has encoding/gob in it.
func linksGob(bin string) (bool, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return false, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return false, err
	}
	for _, s := range syms {
		if strings.HasPrefix(s.Name, "encoding/gob.") {
			return true, nil
		}
	}
	return false, nil
}

func allowed(codes []int, code int) bool {
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

func exitList(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, " or ")
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// buildProgram builds dir/file with minigungen (in process) into a temporary directory.
func buildProgram(t *testing.T, dir, file string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), strings.TrimSuffix(file, ".mg"))
	if code, _, stderr := runTool(t, dir, "build", file, "-o", bin); code != 0 {
		t.Fatalf("build %s: exit %d\n%s", file, code, stderr)
	}
	return bin
}

// buildSource writes src as name.mg in a temporary directory and builds it.
func buildSource(t *testing.T, name, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name+".mg"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return buildProgram(t, dir, name+".mg")
}

// envTag marks the processes a test starts: the programs and, since worker processes inherit
// their parent's environment, every worker process they start (the runtime's own variable,
// MINIGUN_WORKER, says which are workers). /proc/PID/environ keeps the environment a process
// started with, whatever it unsets later.
const envTag = "MINIGUN_TEST_TAG"

var tagSeq atomic.Int64

func newTag() string {
	return fmt.Sprintf("%d-%d-%d", os.Getpid(), time.Now().UnixNano(), tagSeq.Add(1))
}

// started is a program started in a process group of its own, with a tag in its environment.
// Cleanup kills its group and every process carrying the tag.
type started struct {
	cmd  *exec.Cmd
	tag  string
	done chan struct{} // closed once cmd.Wait returned
	err  error         // cmd.Wait's
}

// startProgram starts bin with args in a process group of its own, tagged (envTag); prepare,
// if not nil, sets up the command (its stdout and stderr: discarded otherwise) before it
// starts. Cleanup kills the group and every tagged process left.
func startProgram(t *testing.T, bin string, prepare func(*exec.Cmd), args ...string) *started {
	t.Helper()
	s := &started{tag: newTag(), done: make(chan struct{})}
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), envTag+"="+s.tag)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second
	if prepare != nil {
		prepare(cmd)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		if left := killTagged(s.tag); len(left) > 0 {
			t.Logf("killed %d leftover processes of the test: %v", len(left), left)
		}
	})
	return s
}

// wait waits up to d for the program to end; false if it did not.
func (s *started) wait(d time.Duration) bool {
	select {
	case <-s.done:
		return true
	case <-time.After(d):
		return false
	}
}

// exitStatus describes how the program ended: its exit code, or -1 and the signal.
func (s *started) exitStatus() (int, string) {
	var exit *exec.ExitError
	switch {
	case s.err == nil:
		return 0, "0"
	case errors.As(s.err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1, "killed by " + ws.Signal().String()
		}
		return exit.ExitCode(), strconv.Itoa(exit.ExitCode())
	default:
		return -1, s.err.Error()
	}
}

type runResult struct {
	stdout, stderr string
	code           int
	status         string
	hung           bool
}

// runProgram runs bin with a hard timeout; a run that hangs is killed (group and workers).
func runProgram(t *testing.T, bin string, timeout time.Duration, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	s := startProgram(t, bin, func(c *exec.Cmd) { c.Stdout, c.Stderr = &stdout, &stderr }, args...)
	if !s.wait(timeout) {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		killTagged(s.tag)
		<-s.done
		return runResult{stdout: stdout.String(), stderr: stderr.String(), hung: true}
	}
	code, status := s.exitStatus()
	// Workers that outlive a finished run are a bug of their own; don't let them leak.
	if left := killTagged(s.tag); len(left) > 0 {
		t.Logf("%d worker processes outlived the program; killed: %v", len(left), left)
	}
	return runResult{stdout: stdout.String(), stderr: stderr.String(), code: code, status: status}
}

// procInfo is a live process found by its environment.
type procInfo struct {
	pid    int
	worker bool   // MINIGUN_WORKER is set in its environment
	stage  string // MINIGUN_WORKER_STAGE
	state  string // from /proc/PID/stat
}

func (p procInfo) String() string {
	if p.worker {
		return fmt.Sprintf("%d (worker of stage %q, state %s)", p.pid, p.stage, p.state)
	}
	return fmt.Sprintf("%d (state %s)", p.pid, p.state)
}

// taggedProcs lists the live (not zombie) processes whose environment carries tag.
func taggedProcs(tag string) []procInfo {
	var out []procInfo
	envs, _ := filepath.Glob("/proc/[0-9]*/environ")
	want := []byte(envTag + "=" + tag)
	for _, e := range envs {
		data, err := os.ReadFile(e)
		if err != nil || !bytes.Contains(data, want) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(e)))
		if err != nil {
			continue
		}
		info := procInfo{pid: pid}
		found := false
		for _, kv := range bytes.Split(data, []byte{0}) {
			switch {
			case bytes.Equal(kv, want):
				found = true
			case bytes.HasPrefix(kv, []byte("MINIGUN_WORKER=")) && len(kv) > len("MINIGUN_WORKER="):
				info.worker = true
			case bytes.HasPrefix(kv, []byte("MINIGUN_WORKER_STAGE=")):
				info.stage = string(kv[len("MINIGUN_WORKER_STAGE="):])
			}
		}
		if !found {
			continue
		}
		info.state = procState(pid)
		if info.state == "" || info.state == "Z" || info.state == "X" {
			continue
		}
		out = append(out, info)
	}
	return out
}

// procState is the state letter of /proc/PID/stat ("" if the process is gone).
func procState(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// taggedWorkers lists the live worker processes carrying tag.
func taggedWorkers(tag string) []procInfo {
	var out []procInfo
	for _, p := range taggedProcs(tag) {
		if p.worker {
			out = append(out, p)
		}
	}
	return out
}

// killTagged kills every process carrying tag, until none is left (at most 2 s), and returns
// those it found.
func killTagged(tag string) []procInfo {
	var killed []procInfo
	seen := map[int]bool{}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		procs := taggedProcs(tag)
		if len(procs) == 0 {
			break
		}
		for _, p := range procs {
			if !seen[p.pid] {
				seen[p.pid] = true
				killed = append(killed, p)
			}
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return killed
}

// Bug 13: a line a worker writes to its stdout or stderr reaches the parent's as one line,
// prefixed once with "[stage pid] ", however long (capped with a marker if it must be). Today
// a 200 KB line arrives as four lines of at most 64 KiB, each re-prefixed.
func TestWorkerLongLineStaysOneLine(t *testing.T) {
	t.Parallel()
	const src = `package main

import (
	"fmt"
	"os"
	"strings"
)

pipeline LongLines {
	producer gen() int {
		emit(1)
	}
	consumer pool(x int) processes(1) from(gen) {
		fmt.Fprintln(os.Stdout, "BEGIN-pool-stdout" + strings.Repeat("x", 200<<10) + "END")
		fmt.Fprintln(os.Stderr, "BEGIN-pool-stderr" + strings.Repeat("x", 200<<10) + "END")
	}
	consumer per_batch(x int) process_per_batch(max: 1) from(gen) {
		fmt.Fprintln(os.Stdout, "BEGIN-per_batch-stdout" + strings.Repeat("x", 200<<10) + "END")
		fmt.Fprintln(os.Stderr, "BEGIN-per_batch-stderr" + strings.Repeat("x", 200<<10) + "END")
	}
}
`
	bin := buildSource(t, "longlines", src)
	res := runProgram(t, bin, defaultRunTimeout)
	if res.hung || res.code != 0 {
		t.Fatalf("the program did not succeed (exit %s, hung %v)\nstderr (end):\n%s", res.status, res.hung, tail(res.stderr, 500))
	}
	for _, stage := range []string{"pool", "per_batch"} {
		for _, stream := range []string{"stdout", "stderr"} {
			out := res.stdout
			if stream == "stderr" {
				out = res.stderr
			}
			t.Run(stage+"_"+stream, func(t *testing.T) {
				begin := "BEGIN-" + stage + "-" + stream
				prefix := regexp.MustCompile(`^\[` + stage + ` \d+\] ` + begin)
				var lines []string // this worker's lines of x
				for _, l := range strings.Split(out, "\n") {
					if strings.HasPrefix(l, "["+stage+" ") && strings.Contains(l, "xxxxxxxx") {
						lines = append(lines, l)
					}
				}
				var lens []int
				for _, l := range lines {
					lens = append(lens, len(l))
				}
				if len(lines) != 1 || !prefix.MatchString(lines[0]) {
					t.Fatalf("a 200 KB line written to %s by a %s worker arrived as %d lines of lengths %v, want one line starting [%s PID] %s", stream, stage, len(lines), lens, stage, begin)
				}
				if strings.Count(lines[0], "["+stage+" ") != 1 {
					t.Errorf("the line carries the prefix %d times", strings.Count(lines[0], "["+stage+" "))
				}
			})
		}
	}
}
