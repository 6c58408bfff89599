package tool

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const slowSrc = `package main

import (
	"fmt"
	"time"
)

pipeline Slow {
	state {
		done int
	}
	producer gen() int {
		for i := 0; i < 100000; i++ {
			emit(i)
		}
	}
	processor work(n int) int WORK {
		time.Sleep(5 * time.Millisecond)
		emit(n)
	}
	consumer sink(n int) {
		if p.done == 0 {
			fmt.Println("first")
		}
		p.done++
	}
	after_run { fmt.Println("after_run done>0:", p.done > 0) }
}
`

// A built program stops on SIGINT or SIGTERM: producers stop, what is in
// flight finishes, after_run runs, the exit status is 130 or 143, and no
// worker process is left (DESIGN 3.4).
func TestBuiltProgramSignals(t *testing.T) {
	for _, tc := range []struct {
		name     string
		strategy string
		sig      syscall.Signal
		code     int
	}{
		{"sigint-threads", "threads(2)", syscall.SIGINT, 130},
		{"sigterm-threads", "threads(2)", syscall.SIGTERM, 143},
		{"sigint-processes", "processes(2)", syscall.SIGINT, 130},
		{"sigterm-per-batch", "process_per_batch(max: 2)", syscall.SIGTERM, 143},
		{"sigterm-remote", "remote(2)", syscall.SIGTERM, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src := strings.Replace(slowSrc, "WORK", tc.strategy, 1)
			if err := os.WriteFile(filepath.Join(dir, "slow.mg"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			bin := filepath.Join(dir, "slow")
			if code, _, stderr := runTool(t, dir, "build", "slow.mg", "-o", bin); code != 0 {
				t.Fatalf("build: exit %d\n%s", code, stderr)
			}
			cmd := exec.Command(bin)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "first" {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				cmd.Wait() // stderr is written until the command has ended
				t.Fatalf("no first item: %q\n%s", lines.Text(), stderr.String())
			}
			workers := childrenOf(cmd.Process.Pid)
			if (strings.HasPrefix(tc.strategy, "processes") || strings.HasPrefix(tc.strategy, "remote")) && len(workers) == 0 {
				t.Fatalf("no worker process running under %d", cmd.Process.Pid)
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done // stderr is written until the program has ended
				t.Fatalf("the program did not stop after %v\n%s", tc.sig, stderr.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tc.code {
				t.Errorf("exit: %v, want status %d\n%s", err, tc.code, stderr.String())
			}
			if strings.Join(rest, "\n") != "after_run done>0: true" {
				t.Errorf("after the signal the program printed %q, want after_run's line", rest)
			}
			// The signal is logged, and the last line says the run was canceled by it, with
			// what was not processed.
			name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[tc.sig]
			if !strings.Contains(stderr.String(), `level=WARN msg="stopping: `+name+`; again to quit at once" job=`) ||
				!regexp.MustCompile(`level=WARN msg="pipeline Slow canceled by `+name+`: \d+ items not processed \(.*\)" job=[0-9a-f]+ pipeline=Slow status=canceled$`).MatchString(lastLine(stderr.String())) {
				t.Errorf("stderr does not say the run was canceled by %s:\n%s", name, stderr.String())
			}
			for _, w := range workers {
				// A worker that outlived the program would have been reparented.
				if _, err := os.Stat(w); err == nil {
					t.Errorf("worker %s outlived the program", w)
				}
			}
		})
	}
}

// childrenOf lists /proc/PID/stat of the live processes whose parent is pid.
func childrenOf(pid int) []string {
	var out []string
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		data, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) && f[0] != "Z" {
			out = append(out, st)
		}
	}
	return out
}

// minigungen run passes on a SIGINT or SIGTERM sent to it alone (not to its
// process group): the program stops as it does on its own signal, after_run
// runs, and run exits with the program's status.
func TestRunForwardsSignals(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		code int
	}{
		{"sigint", syscall.SIGINT, 130},
		{"sigterm", syscall.SIGTERM, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src := strings.Replace(slowSrc, "WORK", "threads(2)", 1)
			if err := os.WriteFile(filepath.Join(dir, "slow.mg"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(self, "run", "slow.mg")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), asTool+"=1", "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
			// A process group of its own: the signal reaches run alone, never
			// the program through a terminal, even when the test runs in one.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			lines := bufio.NewScanner(out)
			if !lines.Scan() || lines.Text() != "first" {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				cmd.Wait() // stderr is written until the command has ended
				t.Fatalf("no first item: %q\n%s", lines.Text(), stderr.String())
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
				t.Fatalf("minigungen run did not stop after %v\n%s", tc.sig, stderr.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tc.code {
				t.Errorf("exit: %v, want status %d\n%s", err, tc.code, stderr.String())
			}
			if strings.Join(rest, "\n") != "after_run done>0: true" {
				t.Errorf("after the signal the program printed %q, want after_run's line", rest)
			}
		})
	}
}
