package tool

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minigun-go/minigun/ir"
)

const remoteSrc = `package main

import (
	"fmt"
	"sync"
)

pipeline Sums {
	param Count int = 1000
	state {
		mu    sync.Mutex
		total int
		seen  int merge(sum)
	}
	producer gen() int {
		for i := 1; i <= p.Count; i++ {
			emit(i)
		}
	}
	processor double(n int) int STRATEGY {
		p.seen++
		emit(n * 2)
	}
	consumer add(n int) {
		p.mu.Lock()
		p.total += n
		p.mu.Unlock()
	}
	after_run { fmt.Println("total", p.total, "seen", p.seen) }
}
`

// buildRemoteProgram builds src with minigungen build in a directory outside any module.
func buildRemoteProgram(t *testing.T, name, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name+".mg"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	if code, _, stderr := runTool(t, dir, "build", name+".mg", "-o", bin); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	return bin
}

// A remote pipeline builds outside a module and runs on its embedded server and local
// workers; only a program with remote stages links a NATS package.
func TestRemoteBuildLinksNATSOnlyWhenUsed(t *testing.T) {
	t.Parallel()
	remote := buildRemoteProgram(t, "sums", strings.Replace(remoteSrc, "STRATEGY", "remote(3)", 1))
	out, err := exec.Command(remote, "-count", "100000").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "total 10000100000 seen 100000" {
		t.Fatalf("remote program: %v\n%s", err, out)
	}
	local := buildRemoteProgram(t, "local", strings.Replace(remoteSrc, "STRATEGY", "processes(2)", 1))
	for bin, want := range map[string]bool{remote: true, local: false} {
		mods, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
		if err != nil {
			t.Fatalf("go version -m: %v\n%s", err, mods)
		}
		if got := bytes.Contains(mods, []byte("github.com/nats-io/")); got != want {
			t.Errorf("%s links NATS packages: %v, want %v\n%s", filepath.Base(bin), got, want, mods)
		}
	}
}

// The README's second machine, on one: a nats-server, two workers started with
// `prog -worker double -nats URL`, and the coordinator `prog -nats URL` whose remote(0) stage
// runs on them alone.
func TestBuiltRemoteWorkers(t *testing.T) {
	t.Parallel()
	url := startNATSServer(t)
	bin := buildRemoteProgram(t, "sums", strings.Replace(remoteSrc, "STRATEGY", "remote(0)", 1))
	var logs []*syncBuffer
	for range 2 {
		cmd := exec.Command(bin, "-worker", "double", "-nats", url)
		b := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = b, b
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, b)
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("worker: %v\n%s", err, b.String())
				}
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Errorf("a worker did not stop on SIGTERM\n%s", b.String())
			}
		})
	}
	out, err := exec.Command(bin, "-nats", url, "-count", "20000").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "total 400020000 seen 20000") {
		t.Fatalf("coordinator: %v\n%s", err, out)
	}
	for i, b := range logs {
		if !strings.Contains(b.String(), "joining job") {
			t.Errorf("worker %d did not join the job:\n%s", i, b.String())
		}
	}
	if out, _ := exec.Command(bin, "-worker", "nope", "-nats", url).CombinedOutput(); !strings.Contains(string(out), "no remote stage") {
		t.Errorf("-worker nope: %s", out)
	}
	// Without a server to serve from: a usage error.
	cmd := exec.Command(bin, "-worker", "double")
	cmd.Env = append(os.Environ(), "MINIGUN_NATS_URL=")
	out, err = cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "-worker double needs the server its coordinator uses: -nats URL") {
		t.Errorf("-worker double without -nats: %v\n%s", err, out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startNATSServer runs the nats-server go.mod pins (from PATH, or installed with go install
// into a cache kept between runs), or skips the test saying why it cannot be had.
func startNATSServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		cache, _ := os.UserCacheDir()
		dir := filepath.Join(cache, "minigun-test", "nats-server-v2.15.2")
		bin = filepath.Join(dir, "nats-server")
		if _, err := os.Stat(bin); err != nil {
			// Installed beside, then moved in place: another test binary may be installing it.
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Skipf("nats-server is not on PATH and cannot be installed: %v", err)
			}
			tmp, err := os.MkdirTemp(dir, "install-")
			if err != nil {
				t.Skipf("nats-server is not on PATH and cannot be installed: %v", err)
			}
			defer os.RemoveAll(tmp)
			cmd := exec.Command("go", "install", "github.com/nats-io/nats-server/v2@v2.15.2")
			cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0")
			cmd.Dir = tmp
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Skipf("nats-server is not on PATH and go install failed (offline, not in the module cache?): %v\n%s", err, out)
			}
			if err := os.Rename(filepath.Join(tmp, "nats-server"), bin); err != nil {
				t.Skipf("nats-server: %v", err)
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-js", "-sd", t.TempDir(), "-a", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return fmt.Sprintf("nats://127.0.0.1:%d", port)
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The flags of a built program that are not its parameters' are the ones ir.BuiltinFlags
// reserves: the checker refuses a parameter named like one of them, so the list must hold
// every flag the runtime defines (a program with remote stages has them all).
func TestBuiltinFlagsReserved(t *testing.T) {
	bin := buildRemoteProgram(t, "sums", strings.Replace(remoteSrc, "STRATEGY", "remote(1)", 1))
	out, _ := exec.Command(bin, "-h").CombinedOutput()
	got := map[string]bool{"h": true, "help": true} // the flag package's own
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`).FindAllStringSubmatch(string(out), -1) {
		got[m[1]] = true
	}
	delete(got, "count") // the parameter
	for f := range got {
		if !slices.Contains(ir.BuiltinFlags, f) {
			t.Errorf("-%s is a flag of built programs that ir.BuiltinFlags does not reserve", f)
		}
	}
	for _, f := range ir.BuiltinFlags {
		if !got[f] {
			t.Errorf("ir.BuiltinFlags reserves -%s, which built programs do not have", f)
		}
	}
}
