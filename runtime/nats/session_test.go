package mgnats

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/minigun-go/minigun/runtime/internal/engine"
	"github.com/minigun-go/minigun/runtime/internal/procexec"
	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// The session's state machine, on the embedded server in this process, with the test as
// the stage (fakeRun, fakeHandler) and as the worker (it pulls chunks and publishes results
// by hand): duplicate and late results, max_deliver leftovers, the credit window.

type fakeRun struct {
	spec   engine.StageSpec
	dir    string
	ctx    context.Context
	h      *fakeHandler
	stderr io.Writer
	mu     sync.Mutex
	fail   error
}

func (r *fakeRun) Spec() engine.StageSpec         { return r.spec }
func (r *fakeRun) Pipeline() string               { return "T" }
func (r *fakeRun) JobID() string                  { return "job" + strconv.Itoa(int(time.Now().UnixNano()%1e9)) }
func (r *fakeRun) WorkerKey() string              { return "test.T" }
func (r *fakeRun) WorkDir() string                { return r.dir }
func (r *fakeRun) Context() context.Context       { return r.ctx }
func (r *fakeRun) Canceled() bool                 { return r.ctx.Err() != nil }
func (r *fakeRun) ShutdownTimeout() time.Duration { return time.Second }
func (r *fakeRun) Output() (io.Writer, io.Writer) {
	if r.stderr != nil {
		return io.Discard, r.stderr
	}
	return io.Discard, io.Discard
}
func (r *fakeRun) Hello() (*remote.ToWorker, error) {
	return &remote.ToWorker{Kind: remote.KindHello}, nil
}
func (r *fakeRun) Joined([]byte)                      {}
func (r *fakeRun) Handler(int) remote.Handler         { return r.h }
func (r *fakeRun) AcquireProcess(remote.Handler) bool { return true }
func (r *fakeRun) ReleaseProcess()                    {}
func (r *fakeRun) SetWorkers(int)                     {}
func (r *fakeRun) Workers(int)                        {}
func (r *fakeRun) TryAcquireProcess() bool            { return false }
func (r *fakeRun) IdleProcess(func()) func() bool     { return func() bool { return true } }
func (r *fakeRun) Fail(err error)                     { r.mu.Lock(); r.fail = err; r.mu.Unlock() }

// fakeHandler records what the session settles.
type fakeHandler struct {
	mu      sync.Mutex
	ok      map[uint64]int   // id -> times reported ok
	attempt map[uint64]int32 // id -> attempt reported
	emits   []int
	lost    []uint64 // ran ids of Lost
	again   []uint64 // others of Lost
	refused []uint64
}

func newHandler() *fakeHandler {
	return &fakeHandler{ok: map[uint64]int{}, attempt: map[uint64]int32{}}
}

func (h *fakeHandler) Results(m *remote.FromWorker, decode func(any) error) (func(), error) {
	var vs []int
	if m.NEmit > 0 {
		if err := decode(&vs); err != nil {
			return nil, err
		}
	}
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, o := range m.Outcomes {
			h.ok[o.ID]++
			h.attempt[o.ID] = o.Attempt
		}
		h.emits = append(h.emits, vs...)
	}, nil
}

func (h *fakeHandler) Lost(ran uint64, _ error, others []uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ran != 0 {
		h.lost = append(h.lost, ran)
	}
	h.again = append(h.again, others...)
}

func (h *fakeHandler) Refuse(id uint64, _ error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.refused = append(h.refused, id)
}

func (h *fakeHandler) Idle() {}

func (h *fakeHandler) settled() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ok) + len(h.lost) + len(h.refused)
}

func openTest(t *testing.T, s engine.Strategy) (*session, *fakeRun) {
	t.Helper()
	run := &fakeRun{spec: engine.StageSpec{Name: "st", Strategy: s}, dir: t.TempDir(), ctx: context.Background(), h: newHandler()}
	sess, err := openSession(run)
	if err != nil {
		t.Fatal(err)
	}
	return sess, run
}

func chunkOf(ids ...uint64) *remote.Chunk {
	vals := make([]int, len(ids))
	for i, id := range ids {
		vals[i] = int(id)
	}
	return remote.TestChunk(ids, vals)
}

// fakeWorker pulls the stage's chunks from the session's server.
type fakeWorker struct {
	t    *testing.T
	s    *session
	js   jetstream.JetStream
	cons jetstream.Consumer

	strings bool // the items are strings
}

func newWorker(t *testing.T, s *session) *fakeWorker {
	js, err := jetstream.New(s.hub.nc)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.Consumer(context.Background(), s.n.stream, workConsumer)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeWorker{t: t, s: s, js: js, cons: cons}
}

// take pulls one chunk, says it started it (as a worker's start marker does) and returns it
// with its item ids.
func (w *fakeWorker) take() (jetstream.Msg, []uint64) {
	w.t.Helper()
	m, ids := w.hold()
	meta, err := m.Metadata()
	if err != nil {
		w.t.Fatal(err)
	}
	w.s.startedLine(m.Headers().Get(hChunk) + " " + strconv.FormatUint(meta.NumDelivered, 10))
	return m, ids
}

// hold pulls one chunk without starting it (the one a worker holds besides the one it runs).
func (w *fakeWorker) hold() (jetstream.Msg, []uint64) {
	w.t.Helper()
	m, err := w.cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		w.t.Fatal(err)
	}
	fr := remote.NewFrameReader(bytes.NewReader(m.Data()), 4<<10)
	var ids []uint64
	for {
		f := itemsFrame(fr, new(remote.ToWorker))
		if f == nil {
			break
		}
		var vs any = new([]int)
		if w.strings {
			vs = new([]string)
		}
		if err := fr.Decode(vs); err != nil {
			w.t.Fatal(err)
		}
		ids = append(ids, f.IDs...)
	}
	return m, ids
}

// result publishes the results of a chunk's items (each emits its id), for delivery d.
func (w *fakeWorker) result(m jetstream.Msg, ids []uint64, d int) {
	w.t.Helper()
	var b bytes.Buffer
	f := &remote.FromWorker{Kind: remote.KindResults, NEmit: len(ids)}
	vs := make([]int, len(ids))
	for i, id := range ids {
		f.Outcomes = append(f.Outcomes, remote.Outcome{ID: id, Status: remote.StatusOK, Attempt: 1, NEmit: 1})
		vs[i] = int(id)
	}
	if err := remote.NewFrameWriter(&b).Send(f, vs); err != nil {
		w.t.Fatal(err)
	}
	out := &nats.Msg{Subject: w.s.n.res, Data: b.Bytes(), Header: nats.Header{}}
	out.Header.Set(hChunk, m.Headers().Get(hChunk))
	out.Header.Set(hDelivery, strconv.Itoa(d))
	if _, err := w.js.PublishMsg(context.Background(), out); err != nil {
		w.t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// The first complete result of a chunk is applied; a duplicate (another delivery) and a
// late one are dropped.
func TestSessionAppliesOnce(t *testing.T) {
	s, run := openTest(t, engine.Strategy{Kind: engine.Remote, AckWait: time.Minute})
	w := newWorker(t, s)
	s.Submit(chunkOf(1, 2, 3), run.h)
	m, ids := w.take()
	if !slices.Equal(ids, []uint64{1, 2, 3}) {
		t.Fatalf("chunk holds %v", ids)
	}
	w.result(m, ids, 2) // a redelivery's result comes first
	w.result(m, ids, 1) // the first delivery's, late
	_ = m.Ack()
	waitFor(t, "the result", func() bool { return run.h.settled() == 3 })
	time.Sleep(50 * time.Millisecond) // room for a wrong second application
	w.result(m, ids, 3)               // later still
	time.Sleep(50 * time.Millisecond)
	s.Close()
	run.h.mu.Lock()
	defer run.h.mu.Unlock()
	for _, id := range ids {
		if run.h.ok[id] != 1 {
			t.Errorf("item %d applied %d times", id, run.h.ok[id])
		}
	}
	if len(run.h.emits) != 3 {
		t.Errorf("emits %v, want each item's once", run.h.emits)
	}
}

// A chunk at max_deliver is deleted from the stream (work queues keep it) and its items are
// sent again one chunk each; a one-item chunk at max_deliver ends its item's attempt.
func TestSessionMaxDeliver(t *testing.T) {
	t.Run("advisory", func(t *testing.T) { testMaxDeliver(t, false) })
	// Without the advisory (lost while the coordinator was away), the quiescence check.
	t.Run("quiescence", func(t *testing.T) { testMaxDeliver(t, true) })
}

func testMaxDeliver(t *testing.T, noAdvisory bool) {
	s, run := openTest(t, engine.Strategy{Kind: engine.Remote, AckWait: 50 * time.Millisecond, MaxDeliver: 2})
	if noAdvisory {
		for _, sub := range s.subs {
			if strings.Contains(sub.Subject, "MAX_DELIVERIES") {
				_ = sub.Unsubscribe()
			}
		}
	}
	w := newWorker(t, s)
	s.Submit(chunkOf(1, 2), run.h)
	for range 2 { // two deliveries, never reported: the worker "dies" each time
		if _, ids := w.take(); len(ids) != 2 {
			t.Fatalf("delivery holds %v", ids)
		}
	}
	// The items come back one by one.
	got := map[uint64]bool{}
	for range 2 {
		m, ids := w.take()
		if len(ids) != 1 {
			t.Fatalf("isolated chunk holds %v", ids)
		}
		got[ids[0]] = true
		if ids[0] == 1 {
			w.result(m, ids, 1)
			_ = m.Ack()
		} // item 2 dies again, and again at its second delivery
	}
	if !got[1] || !got[2] {
		t.Fatalf("isolated items %v", got)
	}
	if _, ids := w.take(); !slices.Equal(ids, []uint64{2}) {
		t.Fatalf("second delivery of item 2 holds %v", ids)
	}
	// The server notices max_deliver when it would deliver again: to a worker that asks.
	waitFor(t, "item 2's attempt to end", func() bool {
		_, _ = w.cons.Next(jetstream.FetchMaxWait(20 * time.Millisecond))
		run.h.mu.Lock()
		defer run.h.mu.Unlock()
		return len(run.h.lost) == 1
	})
	run.h.mu.Lock()
	lost, ok1 := run.h.lost, run.h.ok[1]
	att := run.h.attempt[1]
	run.h.mu.Unlock()
	if lost[0] != 2 || ok1 != 1 {
		t.Errorf("lost %v, item 1 ok %d times", lost, ok1)
	}
	if att != 2 {
		t.Errorf("item 1 reported attempt %d, want 2 (the chunk's redelivery counted for its first item)", att)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	info, err := s.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if info.State.Msgs != 0 {
		t.Errorf("the stream still holds %d messages (max-delivered leftovers)", info.State.Msgs)
	}
}

// A one-item chunk that reaches max_deliver with no worker starting it (each took it besides
// the chunk it ran, and died) is sent again, up to maxUnstarted times; then its item fails.
func TestSessionMaxDeliverUnstarted(t *testing.T) {
	s, run := openTest(t, engine.Strategy{Kind: engine.Remote, AckWait: 50 * time.Millisecond, MaxDeliver: 2})
	w := newWorker(t, s)
	s.Submit(chunkOf(1), run.h)
	s.Submit(chunkOf(2), run.h)
	for range 2 * (maxUnstarted + 1) {
		m, ids := w.hold()
		if ids[0] == 1 {
			continue // never started, every time
		}
		if meta, _ := m.Metadata(); meta.NumDelivered == 1 {
			w.s.startedLine(m.Headers().Get(hChunk) + " 1")
			w.result(m, ids, 1)
			_ = m.Ack()
		}
	}
	waitFor(t, "item 1 to fail", func() bool {
		_, _ = w.cons.Next(jetstream.FetchMaxWait(20 * time.Millisecond))
		run.h.mu.Lock()
		defer run.h.mu.Unlock()
		return len(run.h.lost) == 1
	})
	s.Close()
	run.h.mu.Lock()
	defer run.h.mu.Unlock()
	if run.h.lost[0] != 1 || run.h.ok[2] != 1 || run.h.ok[1] != 0 {
		t.Errorf("lost %v, ok %v: want item 1 lost after its resends, item 2 ok", run.h.lost, run.h.ok)
	}
}

// Submit blocks once in_flight messages are out, until a result gives a credit back.
func TestSessionCreditWindow(t *testing.T) {
	s, run := openTest(t, engine.Strategy{Kind: engine.Remote, AckWait: time.Minute, InFlight: 2, Chunk: 1})
	w := newWorker(t, s)
	done := make(chan struct{})
	go func() {
		s.Submit(chunkOf(1, 2, 3), run.h) // three one-item messages, two credits
		close(done)
	}()
	m1, ids1 := w.take()
	m2, ids2 := w.take()
	select {
	case <-done:
		t.Fatal("Submit returned with no credit left for the third message")
	case <-time.After(100 * time.Millisecond):
	}
	s.mu.Lock()
	credits := s.credits
	s.mu.Unlock()
	if credits != 2 {
		t.Errorf("%d credits taken, want 2", credits)
	}
	w.result(m1, ids1, 1)
	_ = m1.Ack()
	<-done
	m3, ids3 := w.take()
	w.result(m2, ids2, 1)
	w.result(m3, ids3, 1)
	_, _ = m2.Ack(), m3.Ack()
	waitFor(t, "every item", func() bool { return run.h.settled() == 3 })
	s.Close()
	if err := errors.Join(run.fail); err != nil {
		t.Error(err)
	}
}

// An item larger than a message may carry fails at once, saying what to raise; the others
// of its chunk go.
func TestSessionRefusesLargeItem(t *testing.T) {
	s, run := openTest(t, engine.Strategy{Kind: engine.Remote, AckWait: time.Minute})
	w := newWorker(t, s)
	w.strings = true
	big := string(make([]byte, 2<<20))
	var refusal error
	h := &refuseRecorder{fakeHandler: run.h, err: &refusal}
	s.Submit(remote.TestChunk([]uint64{1, 2, 3}, []string{"a", big, "c"}), h)
	var ids []uint64
	for len(ids) < 2 {
		m, got := w.take()
		ids = append(ids, got...)
		_ = m.Ack()
	}
	s.mu.Lock()
	s.pending = map[uint64]*pchunk{} // the test reports no results: forget them
	s.credits = 0
	s.mu.Unlock()
	s.Close()
	if !slices.Equal(ids, []uint64{1, 3}) || !slices.Equal(run.h.refused, []uint64{2}) {
		t.Errorf("sent %v, refused %v; want 1 and 3 sent, 2 refused", ids, run.h.refused)
	}
	if refusal == nil || !strings.Contains(refusal.Error(), "max_payload") || !strings.Contains(refusal.Error(), "-nats-max-payload") {
		t.Errorf("refusal %v does not say what to raise", refusal)
	}
}

type refuseRecorder struct {
	*fakeHandler
	err *error
}

func (r *refuseRecorder) Refuse(id uint64, err error) {
	*r.err = err
	r.fakeHandler.Refuse(id, err)
}

// A remote(0) stage without a worker says, after a while, how to start one.
func TestSessionWarnsWithoutWorker(t *testing.T) {
	defer func(d time.Duration) { noWorkerWarning = d }(noWorkerWarning)
	noWorkerWarning = 20 * time.Millisecond
	var b syncBuf
	run := &fakeRun{spec: engine.StageSpec{Name: "st", Strategy: engine.Strategy{Kind: engine.Remote}}, dir: t.TempDir(),
		ctx: context.Background(), h: newHandler(), stderr: &b}
	s, err := openSession(run)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitFor(t, "the warning", func() bool { return strings.Contains(b.String(), "-worker st -nats nats://127.0.0.1:") })
	if !strings.Contains(b.String(), "stage st has no worker after 20ms") || !strings.Contains(b.String(), EnvToken+"=") {
		t.Errorf("warning: %s", b.String())
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The store directories of embedded servers whose processes are gone (SIGKILL) are removed
// when the next one starts; those of live processes stay.
func TestRemoveStaleStores(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	names := map[string]bool{ // name: kept
		storePrefix + strconv.Itoa(dead.Process.Pid) + "-123": false,
		storePrefix + strconv.Itoa(os.Getppid()) + "-456":     true,
		storePrefix + strconv.Itoa(os.Getpid()) + "-789":      true,
		storePrefix + "notapid":                               true,
		"other-dir":                                           true,
	}
	for name := range names {
		if err := os.MkdirAll(filepath.Join(dir, name, "jetstream"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("TMPDIR", dir)
	removeStale("") // a run without a work directory of its own: the system's temporary one
	for name, kept := range names {
		_, err := os.Stat(filepath.Join(dir, name))
		if got := err == nil; got != kept {
			t.Errorf("%s: kept %v, want %v", name, got, kept)
		}
	}
}

// A program that exits at once (a second Ctrl-C calls procexec.KillAll, then os.Exit) takes
// its embedded server's store with it; a hub closed as usual unregisters that removal.
func TestKillAllRemovesStore(t *testing.T) {
	dir := t.TempDir()
	h := &hub{}
	if err := h.embed(Config{MaxPayload: 1 << 20}, dir); err != nil {
		t.Fatal(err)
	}
	defer h.close()
	if _, err := os.Stat(h.dir); err != nil {
		t.Fatalf("no store: %v", err)
	}
	procexec.KillAll()
	if _, err := os.Stat(h.dir); !os.IsNotExist(err) {
		t.Errorf("the store %s is left after KillAll (%v)", h.dir, err)
	}
}
