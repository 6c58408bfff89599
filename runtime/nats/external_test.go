package mgnats_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	mgrt "github.com/minigun-go/minigun/runtime"
	mgnats "github.com/minigun-go/minigun/runtime/nats"
)

// The version of nats-server the external tests run, the one go.mod pins.
const natsServerModule = "github.com/nats-io/nats-server/v2@v2.15.2"

// natsServerBin finds nats-server on PATH, or installs it with go install into a cache
// directory kept between runs (offline once the module cache has it); it skips the test,
// saying why, only when it cannot be had.
func natsServerBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "minigun-test", "nats-server-v2.15.2")
	bin := filepath.Join(dir, "nats-server")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	installMu.Lock()
	defer installMu.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Skipf("nats-server is not on PATH and cannot be installed: %v", err)
	}
	// Installed beside, then moved in place: another test binary may be installing it too.
	tmp, err := os.MkdirTemp(dir, "install-")
	if err != nil {
		t.Skipf("nats-server is not on PATH and cannot be installed: %v", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", natsServerModule)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("nats-server is not on PATH and `go install %s` failed (offline, and not in the module cache?): %v\n%s", natsServerModule, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "nats-server"), bin); err != nil {
		t.Skipf("nats-server: %v", err)
	}
	return bin
}

var installMu sync.Mutex

// natsServer starts a nats-server with JetStream on a free loopback port, stopped when the
// test ends, and returns its URL.
func natsServer(t *testing.T) string {
	t.Helper()
	bin := natsServerBin(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-js", "-sd", t.TempDir(), "-a", "127.0.0.1", "-p", fmt.Sprint(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		nc, err := nats.Connect(url)
		if err == nil {
			nc.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("nats-server did not start: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// worker starts `prog -worker double -nats URL` (the test binary, as TestMain serves it);
// fp, if set, makes it a program whose graph differs ("env": a worker started with the
// environment variables alone). env is added to its environment. Its stderr is returned.
func worker(t *testing.T, url, fp string, env ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "MGTEST_SERVE=double", "MGTEST_URL="+url)
	if fp == "env" {
		// A library user's worker started with environment variables alone: ServeWorker serves.
		fp = ""
		cmd.Env = append(os.Environ(), "MINIGUN_WORKER="+mgrt.WorkerKey[tp](), "MINIGUN_WORKER_STAGE=double",
			"MINIGUN_WORKER_TRANSPORT=nats", mgnats.EnvURL+"="+url)
	}
	if fp != "" {
		cmd.Env = append(cmd.Env, "MGTEST_FP="+fp)
	}
	cmd.Env = append(cmd.Env, env...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("worker %d did not stop on SIGTERM\n%s", cmd.Process.Pid, stderr.String())
		}
	})
	return cmd, stderr
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

// useServer points the coordinator of the test's runs at url.
func useServer(t *testing.T, url string) {
	mgnats.Configure(mgnats.Config{URL: url})
	t.Cleanup(func() { mgnats.Configure(mgnats.Config{}) })
}

// streamsLeft lists the job streams and registry keys on the server.
func streamsLeft(t *testing.T, url string) []string {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var left []string
	names := js.StreamNames(ctx)
	for n := range names.Name() {
		if strings.HasPrefix(n, "MG_") {
			left = append(left, n)
		}
	}
	if kv, err := js.KeyValue(ctx, "mg_jobs"); err == nil {
		keys, _ := kv.Keys(ctx)
		left = append(left, keys...)
	}
	return left
}

// Two workers against a nats-server the test runs (one as `-worker` serves, through Serve;
// one started with environment variables alone): a remote(0) stage
// runs on them alone, exactly; a worker built from another graph refuses the job, saying so
// on its side and the coordinator's; the job leaves no stream and no registry key.
func TestExternalWorkers(t *testing.T) {
	noLeak(t) // first: checked after the workers and the server have stopped
	url := natsServer(t)
	useServer(t, url)
	_, errA := worker(t, url, "")
	_, errB := worker(t, url, "env")
	_, errSkew := worker(t, url, "fp-other-build")
	const n = 100_000
	p, g := newTP(t, tpParams{N: n, Procs: 0})
	var coord lockedBuffer
	cfg := g.Config()
	cfg.Stderr = &coord
	g.SetConfig(cfg)
	res, err := mgrt.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.got.Load(); got != wantSum(n) {
		t.Errorf("sink sum %d, want %d", got, wantSum(n))
	}
	if want := int(wantSum(n) / 2); p.Sum != want {
		t.Errorf("merged Sum %d, want %d", p.Sum, want)
	}
	if st := stage(t, res, "double"); st.In != n || st.Failed != 0 {
		t.Errorf("double stats %+v", st)
	}
	for name, b := range map[string]*lockedBuffer{"A": errA, "B": errB} {
		if !strings.Contains(b.String(), "joining job "+res.JobID) {
			t.Errorf("worker %s did not join job %s:\n%s", name, res.JobID, b.String())
		}
	}
	for what, text := range map[string]string{"the refusing worker": errSkew.String(), "the coordinator": coord.String()} {
		if !strings.Contains(text, "refuses job "+res.JobID) || !strings.Contains(text, `"fp-test"`) || !strings.Contains(text, `"fp-other-build"`) {
			t.Errorf("%s does not report the refusal naming both fingerprints:\n%s", what, text)
		}
	}
	if left := streamsLeft(t, url); len(left) > 0 {
		t.Errorf("left on the server: %v", left)
	}
}

// An external worker of a coordinator's embedded server: when the run ends and the server
// goes with it, the worker's process for the job has left (it saw the job end), and the
// -worker process stays, serving later jobs.
func TestExternalWorkerOfEmbeddedServer(t *testing.T) {
	noLeak(t)
	defer mgnats.SetNoWorkerWarning(50 * time.Millisecond)()
	const n = 20_000
	p, g := newTP(t, tpParams{N: n, Procs: 0})
	var coord lockedBuffer
	cfg := g.Config()
	cfg.Stderr = &coord
	g.SetConfig(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := mgrt.Start(ctx, g)
	start := regexp.MustCompile("start one with `MINIGUN_NATS_TOKEN=(\\w+) .* -nats (\\S+)`")
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		m = start.FindStringSubmatch(coord.String())
	}
	if m == nil {
		t.Fatalf("the coordinator did not say how to start a worker:\n%s", coord.String())
	}
	t.Setenv(mgnats.EnvToken, m[1])
	cmd, stderr := worker(t, m[2], "")
	var kids []int
	for deadline := time.Now().Add(10 * time.Second); len(kids) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		kids = childrenOf(cmd.Process.Pid)
	}
	res, err := h.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := p.got.Load(); got != wantSum(n) {
		t.Errorf("sink sum %d, want %d\n%s", got, wantSum(n), stderr.String())
	}
	if len(kids) == 0 || !strings.Contains(stderr.String(), "joining job "+res.JobID) {
		t.Fatalf("the worker did not join (its processes %v):\n%s", kids, stderr.String())
	}
	var left []int
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if left = childrenOf(cmd.Process.Pid); len(left) == 0 {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("the worker's process for the job outlived the job and its server: %v", left)
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the -worker process ended with the job: %v", err)
	}
}

// A run canceled in the middle stops, settles what it had out, and leaves no worker, no
// stream and no registry key behind.
func TestCancelLeavesNothing(t *testing.T) {
	noLeak(t)
	url := natsServer(t)
	useServer(t, url)
	p, g := newTP(t, tpParams{N: 1 << 30, Procs: 2, Sleep: 100 * time.Microsecond})
	ctx, cancel := context.WithCancel(context.Background())
	h := mgrt.Start(ctx, g)
	for p.count.Load() < 2000 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	res, _ := h.Wait()
	if res.Status != mgrt.StatusCanceled {
		t.Errorf("status %s, want canceled", res.Status)
	}
	if left := streamsLeft(t, url); len(left) > 0 {
		t.Errorf("left on the server: %v", left)
	}
}

// A worker that starts after the job joins it: the remote(0) stage waits for it.
func TestLateWorker(t *testing.T) {
	noLeak(t)
	url := natsServer(t)
	useServer(t, url)
	const n = 20_000
	p, g := newTP(t, tpParams{N: n, Procs: 0})
	h := mgrt.Start(context.Background(), g)
	time.Sleep(300 * time.Millisecond)
	if p.count.Load() != 0 {
		t.Fatal("items went through a remote(0) stage before any worker ran")
	}
	_, stderr := worker(t, url, "")
	res, err := h.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := p.got.Load(); got != wantSum(n) {
		t.Errorf("sink sum %d, want %d\n%s", got, wantSum(n), stderr.String())
	}
	if !strings.Contains(stderr.String(), "joining job "+res.JobID) {
		t.Errorf("the worker did not join:\n%s", stderr.String())
	}
}

// A worker leaves a job whose coordinator stopped renewing its registry record (a coordinator
// killed with SIGKILL cannot delete it), and a worker started after that does not join it.
// The coordinator here renews once an hour, the workers expect it every half second.
func TestWorkersLeaveUnrenewedJob(t *testing.T) {
	noLeak(t)
	url := natsServer(t)
	useServer(t, url)
	t.Setenv("MINIGUN_NATS_LEASE", "4h") // the coordinator: the first renewal after an hour
	p, g := newTP(t, tpParams{N: 1 << 30, Procs: 0, Sleep: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := mgrt.Start(ctx, g)
	const lease = "MINIGUN_NATS_LEASE=500ms"
	_, stderr := worker(t, url, "", lease)
	for p.count.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(stderr.String(), "leaving job") {
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not leave the unrenewed job:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, late := worker(t, url, "", lease)
	time.Sleep(2 * time.Second)
	if strings.Contains(late.String(), "joining job") {
		t.Errorf("a worker started after the lease ran out joined the job:\n%s", late.String())
	}
	cancel()
	if res, _ := h.Wait(); res.Status != mgrt.StatusCanceled {
		t.Errorf("status %s, want canceled", res.Status)
	}
}
