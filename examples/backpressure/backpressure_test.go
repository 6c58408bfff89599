package backpressure

import (
	"context"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestBackpressure(t *testing.T) {
	for _, queue := range []int{4, 16, 64} {
		p := NewFrames()
		p.Count = 300
		p.Queue = queue
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("queue %d: %v", queue, err)
		}
		if p.captured.Load() != 300 || p.encoded.Load() != 300 || p.bytes.Load() != 300*64<<10 {
			t.Errorf("queue %d: captured %d, encoded %d, %d bytes", queue, p.captured.Load(), p.encoded.Load(), p.bytes.Load())
		}
		// never more than the queue and its chunks ahead; and the queue, not
		// something else, is what held the camera back: it did fill up
		ahead := p.maxAhead.Load()
		if limit := int64(queue + queue/2); ahead > limit {
			t.Errorf("queue %d: the camera ran %d frames ahead of the encoder, more than %d", queue, ahead, limit)
		}
		if ahead < int64(queue) {
			t.Errorf("queue %d: the camera was at most %d frames ahead: the queue never filled", queue, ahead)
		}
		enc, _ := res.Stage("encode")
		cam, _ := res.Stage("camera")
		if enc.In != 300 || cam.Out != 300 {
			t.Errorf("queue %d: camera out %d, encode in %d", queue, cam.Out, enc.In)
		}
		// the camera spent most of the run waiting for room in the queue
		if cam.BlockedOut < 50*time.Millisecond {
			t.Errorf("queue %d: the camera was blocked on output for %v only", queue, cam.BlockedOut)
		}
		if res.Status != mgrt.StatusSucceeded {
			t.Errorf("queue %d: status %s", queue, res.Status)
		}
	}
}

// The queue's capacity comes from the param: Graph reports it.
func TestBackpressureQueueSize(t *testing.T) {
	p := NewFrames()
	p.Queue = 7
	for _, s := range p.Graph().Stages {
		if s.Name == "encode" && s.QueueSize != 7 {
			t.Errorf("encode's queue holds %d, want 7", s.QueueSize)
		}
	}
}
