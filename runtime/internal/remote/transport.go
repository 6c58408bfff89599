package remote

import (
	"context"
	"io"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/engine"
)

// A Transport carries a stage's items to its workers and their results back: package procexec
// runs worker processes of this executable over pipes; a message engine may run them anywhere.
// It moves encoded items and results and watches its workers; the Stage decides everything the
// items mean (DESIGN 3.3): what is released downstream, retried, failed or dropped.
//
// The contract: every item of every chunk given to Session.Submit is settled exactly once,
// by a results frame that names it (Handler.Results) or by Handler.Lost when its worker ended
// without reporting it, also when the run is canceled or a worker could not start.
type Transport interface {
	// Check reports why the transport cannot serve a stage with this spec in this process.
	Check(spec engine.StageSpec) error
	// Slots is how many goroutines of the transport deliver results for a stage with this
	// spec: Run.Handler takes 0 <= slot < Slots.
	Slots(spec engine.StageSpec) int
	// Open starts serving one run of a stage.
	Open(run Run) (Session, error)
}

// Session is a transport serving one run of one stage.
type Session interface {
	// ChunkSize is how many items the stage should put in a chunk at most.
	ChunkSize() int
	// Submit hands a chunk to the workers. It waits while they have no room (backpressure)
	// and returns once the transport has taken the chunk. Items it cannot take (the run
	// stopped, no worker could start) or cannot send (the item cannot be encoded) it
	// settles at once through h, the submitting goroutine's handler.
	Submit(c *Chunk, h Handler)
	// Close says that no chunk comes anymore, once every submitted item was settled; it
	// stops the workers and returns when they have ended.
	Close()
}

// Chunk is a batch of items for workers.
type Chunk struct {
	IDs      []uint64
	Attempts []int32 // the attempt number of each item; nil: all 1
	Values   any     // the items: a []In of the stage's input type
	sub      func(i, j int) any
}

// Len is the number of items.
func (c *Chunk) Len() int { return len(c.IDs) }

// Sub returns the items i to j-1 as a chunk.
func (c *Chunk) Sub(i, j int) *Chunk {
	if i == 0 && j == len(c.IDs) {
		return c
	}
	s := &Chunk{IDs: c.IDs[i:j], Values: c.sub(i, j), sub: nil}
	if c.Attempts != nil {
		s.Attempts = c.Attempts[i:j]
	}
	base := c.sub
	s.sub = func(a, b int) any { return base(i+a, i+b) }
	return s
}

// Frame returns the items frame of the chunk.
func (c *Chunk) Frame() *ToWorker {
	return &ToWorker{Kind: KindItems, IDs: c.IDs, Attempts: c.Attempts}
}

// Run is one run of a stage, seen by its transport (the Stage implements it).
type Run interface {
	// Spec is the stage's spec.
	Spec() engine.StageSpec
	// Pipeline is the name of the stage's pipeline; JobID the run's.
	Pipeline() string
	JobID() string
	// WorkerKey names the pipeline to the workers (RegisterPipeline).
	WorkerKey() string
	// WorkDir is where work directories and spilled data go ("" = the system's).
	WorkDir() string
	// Context is canceled when the run stops; Canceled reports it cheaply.
	Context() context.Context
	Canceled() bool
	// ShutdownTimeout is how long workers get to finish once asked to stop.
	ShutdownTimeout() time.Duration
	// Output is where the lines of the workers' stdout and stderr go.
	Output() (stdout, stderr io.Writer)
	// Hello runs the before_fork hooks and returns the hello of a new worker: the parameters
	// and the state's start values. Its error is the run's failure.
	Hello() (*ToWorker, error)
	// Joined folds the state delta a worker reported when it became ready.
	Joined(delta []byte)
	// Handler returns the handler of the results that slot i of the transport reads
	// (0 <= i < Transport.Slots).
	Handler(slot int) Handler
	// AcquireProcess and ReleaseProcess take and give back a slot of the run's
	// max_processes budget around a short-lived worker; AcquireProcess returns false when
	// the run was canceled meanwhile. While it waits, it reclaims a process that holds a slot
	// idle (IdleProcess).
	AcquireProcess(h Handler) bool
	ReleaseProcess()
	// Workers counts the stage's worker processes that run now, for its stats: a transport
	// that starts them calls it with +1 once one has started and -1 once it has ended.
	Workers(delta int)
	// TryAcquireProcess takes a slot for a process started ahead of need: only if one is free
	// now and no stage waits for one (see budget.go).
	TryAcquireProcess() bool
	// IdleProcess registers a process that holds a slot while it waits for work. reclaim is
	// called, at most once and from any goroutine, when a stage needs the slot: the process
	// must then end and its slot be given back. claim takes the process off the list when it
	// gets work; it returns false if the process was reclaimed (or is being).
	IdleProcess(reclaim func()) (claim func() bool)
	// Fail fails the run (the stage's error).
	Fail(err error)
	// SetWorkers says how many workers serve the stage now, for its stats.
	SetWorkers(n int)
}

// Handler settles the items of one transport slot. It is used by one goroutine at a time.
type Handler interface {
	// Results decodes a results frame from a worker; decode decodes its payload. The function
	// it returns applies it (emits released downstream, which may wait for room; failures
	// recorded); it must be called, once, before the slot's next frame is decoded.
	Results(m *FromWorker, decode func(any) error) (apply func(), err error)
	// Lost settles the items a worker ended without reporting: ran is the item it was running
	// (0 if none), whose attempt ended with cause; the others it had not run, or ran without
	// their results reaching the stage: they run again.
	Lost(ran uint64, cause error, others []uint64)
	// Refuse settles an item that cannot be sent to a worker: it fails for good with err.
	Refuse(id uint64, err error)
	// Idle is called before the slot's goroutine waits: what is buffered for downstream goes.
	Idle()
}

// ChildConn is a worker's connection to its stage, served by a transport.
type ChildConn interface {
	// Recv returns the next frame for the worker (items, revoke, stop) and its payload's
	// decoder, both valid until the next Recv. An error means the stage is gone: the worker
	// exits.
	Recv() (*ToWorker, func(any) error, error)
	// Send sends a frame to the stage.
	Send(m *FromWorker, payload any) error
	// Started and Finished mark the item the worker runs, for its transport to know which
	// one a dying worker was running.
	Started(id uint64)
	Finished()
}

// Abandoner is a ChildConn whose stage cannot kill its worker (a remote worker): the worker
// itself ends an attempt that runs past its timeout and TimeoutGrace, reporting it abandoned and the
// items after it given back, and calls Abandon, which waits until what it sent is out, before
// it exits.
type Abandoner interface{ Abandon() }

// TimeoutGrace is how long past its timeout an item may run before its worker is ended: time
// for a body that watches its ctx to notice.
func TimeoutGrace(timeout time.Duration) time.Duration {
	return min(max(timeout/2, 200*time.Millisecond), 5*time.Second)
}

// HookFailure is a worker's setup failure in a hook (after_fork): Run.Fail names the hook.
type HookFailure struct {
	Hook string
	Err  error
}

func (e *HookFailure) Error() string { return e.Hook + " hook: " + e.Err.Error() }
func (e *HookFailure) Unwrap() error { return e.Err }

// TestChunk makes a chunk of values (a []In) for a transport's tests.
func TestChunk[In any](ids []uint64, values []In) *Chunk {
	return &Chunk{IDs: ids, Values: values, sub: func(i, j int) any { return values[i:j] }}
}
