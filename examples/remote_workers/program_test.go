package remote_workers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/minigun-go/minigun/internal/exampletest"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// program is remote_workers.mg built, once per test binary.
var program = &exampletest.Program{MG: "remote_workers.mg", Name: "thumbnails"}

func TestMain(m *testing.M) {
	code := m.Run()
	program.Remove()
	os.Exit(code)
}

// builtProgram builds minigungen, then remote_workers.mg with it.
func builtProgram(t *testing.T) string { return program.Path(t) }

// natsServer runs a NATS server with JetStream on a free loopback port, as
// the shared server of a deployment would be, and returns its URL.
func natsServer(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT,
		JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns.ClientURL()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls the worker's stderr until it holds text.
func waitFor(t *testing.T, stderr *lockedBuffer, text string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), text); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not say %q:\n%s", text, stderr.String())
		}
	}
}

// A worker started by hand, `thumbnails -worker thumbnail -nats URL`, joins
// the runs of coordinators that use the same server (`thumbnails -nats URL`):
// with -workers 0 it makes every thumbnail itself; with -workers 2 it is one
// worker more beside the coordinator's two. It leaves each job when the job
// ends, and stops on SIGTERM.
func TestHandStartedWorker(t *testing.T) {
	bin := builtProgram(t)
	url := natsServer(t)
	dir := t.TempDir()

	worker := exec.Command(bin, "-worker", "thumbnail", "-nats", url)
	var wout, werr lockedBuffer
	worker.Stdout, worker.Stderr = &wout, &werr
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			worker.Process.Kill()
			worker.Wait()
		}
	}()
	waitFor(t, &werr, "minigun worker: serving stage thumbnail of main.Thumbnails from "+url)

	// run runs the coordinator and returns its stdout and its job's id.
	run := func(args ...string) (stdout, job string) {
		t.Helper()
		statsFile := filepath.Join(dir, "stats.json")
		cmd := exec.Command(bin, append([]string{"-nats", url, "-stats-json", statsFile}, args...)...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, e.String())
		}
		data, err := os.ReadFile(statsFile)
		if err != nil {
			t.Fatal(err)
		}
		var runs []struct {
			JobID  string `json:"job_id"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(data, &runs); err != nil || len(runs) != 1 || runs[0].Status != "succeeded" {
			t.Fatalf("%v: -stats-json %s (%v)", args, data, err)
		}
		return o.String(), runs[0].JobID
	}
	expect := func(count int, workers string) string {
		thumbs, pixels, largest := want(count, 4)
		return fmt.Sprintf("%d thumbnails, digest %s\n%d source pixels read, the largest image %d, by %s worker processes\n",
			count, digest(thumbs), pixels, largest, workers)
	}

	// no local worker: the hand-started one (one process per job) does it all
	out, job := run("-workers", "0")
	if want := expect(240, "1"); out != want {
		t.Errorf("-workers 0: stdout\n%s\nwant\n%s", out, want)
	}
	waitFor(t, &werr, "minigun worker: joining job "+job+" (stage thumbnail,")

	// two local workers and the hand-started one: 1 to 3 processes share the chunks
	out, job = run("-workers", "2", "-count", "1000")
	n := 0
	if i := strings.LastIndex(out, " by "); i >= 0 {
		fmt.Sscanf(out[i:], " by %d worker processes", &n)
	}
	if n < 1 || n > 3 || out != expect(1000, fmt.Sprint(n)) {
		t.Errorf("-workers 2: stdout\n%s\nwant\n%s(N from 1 to 3)", out, expect(1000, "N"))
	}
	waitFor(t, &werr, "minigun worker: joining job "+job+" (stage thumbnail,")

	// the job's worker processes leave when the job ends; the worker stops on SIGTERM
	for deadline := time.Now().Add(10 * time.Second); len(childPIDs(worker.Process.Pid)) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the worker's job processes %v are still there after their jobs ended", childPIDs(worker.Process.Pid))
		}
	}
	worker.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- worker.Wait() }()
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("the worker ended with %v:\n%s", err, werr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the worker did not stop on SIGTERM:\n%s", werr.String())
	}
	if wout.String() != "" {
		t.Errorf("the worker wrote to stdout: %q", wout.String())
	}
	noChildren(t)
}
