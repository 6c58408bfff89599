package mgnats

import (
	"errors"
	"fmt"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/engine"
	"github.com/minigun-go/minigun/runtime/internal/procexec"
	"github.com/minigun-go/minigun/runtime/internal/remote"
)

func init() {
	remote.SetRemoteTransport(transport{})
	remote.RegisterTransport("nats", serveWorker)
}

// transport runs the items of remote stages on workers fed through NATS JetStream.
type transport struct{}

// Defaults of remote(N) (REMOTE.md 4.2).
const (
	defaultChunk      = 1024
	defaultAckWait    = 10e9 // 10s
	minInFlight       = 16
	payloadHeadroom   = 4 << 10
	defaultMaxDeliver = 3 // plus retry
)

// noWorkerWarning is how long a remote(0) stage waits for a worker before it says how to
// start one.
var noWorkerWarning = 10 * time.Second

// Check reports why the stage cannot run here.
func (transport) Check(spec engine.StageSpec) error {
	s := spec.Strategy
	if s.N < 0 {
		return fmt.Errorf("remote(%d): the number of local workers is negative", s.N)
	}
	if s.N > 0 {
		if err := procexec.Supported(); err != nil {
			return err
		}
	}
	if s.Chunk < 0 || s.InFlight < 0 || s.MaxDeliver < 0 || s.AckWait < 0 {
		return errors.New("chunk, ack_wait, in_flight and max_deliver cannot be negative")
	}
	if s.AckWait > 0 && s.AckWait < 3e6 {
		return fmt.Errorf("ack_wait %v is too short (at least 3ms)", s.AckWait)
	}
	return nil
}

// Slots: one goroutine applies a stage's results.
func (transport) Slots(engine.StageSpec) int { return 1 }

// Open starts serving a run of the stage.
func (transport) Open(run remote.Run) (remote.Session, error) { return openSession(run) }

// chunkSize, ackWait, window and maxDeliver are the stage's options with their defaults.
func chunkSize(s engine.Strategy) int {
	if s.Chunk > 0 {
		return s.Chunk
	}
	return defaultChunk
}

func ackWait(s engine.Strategy) int64 {
	if s.AckWait > 0 {
		return int64(s.AckWait)
	}
	return defaultAckWait
}

func window(s engine.Strategy) int {
	if s.InFlight > 0 {
		return s.InFlight
	}
	return max(4*s.N, minInFlight)
}

func maxDeliver(spec engine.StageSpec) int {
	if spec.Strategy.MaxDeliver > 0 {
		return spec.Strategy.MaxDeliver
	}
	return spec.Retry + defaultMaxDeliver
}
