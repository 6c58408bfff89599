// Backpressure: a fast producer of video frames and a slow encoder joined by
// a bounded queue. backpressure_test.go runs it as a package.
package backpressure

import (
	"fmt"
	"sync/atomic"
	"time"
)

go {
	// Frame is one raw video frame.
	type Frame struct {
		N      int
		Pixels []byte
	}
}

// Frames: the camera makes frames as fast as it can, the encoder takes
// EncodeTime per frame; encode's input queue holds Queue frames, so the
// camera is held back instead of piling frames up in memory.
pipeline Frames {
	param Count int = 200
	param EncodeTime time.Duration = time.Millisecond
	// capacity of the encoder's input queue, in frames
	param Queue int = 16

	state {
		captured atomic.Int64 // frames the camera has handed over (emit returned)
		encoded  atomic.Int64 // frames the encoder has finished
		maxAhead atomic.Int64 // the most frames captured and not yet encoded, seen at each capture
		bytes    atomic.Int64
	}

	producer camera() Frame {
		for i := 0; i < p.Count; i++ {
			emit(Frame{N: i, Pixels: make([]byte, 64<<10)})
			c := p.captured.Add(1)
			ahead := c - p.encoded.Load()
			for {
				m := p.maxAhead.Load()
				if ahead <= m || p.maxAhead.CompareAndSwap(m, ahead) {
					break
				}
			}
		}
	}

	consumer encode(f Frame) queue_size(Queue) {
		time.Sleep(p.EncodeTime)
		p.bytes.Add(int64(len(f.Pixels)))
		p.encoded.Add(1)
	}

	after_run {
		fmt.Printf("encoded %d frames; the camera was at most %d frames ahead\n", p.encoded.Load(), p.maxAhead.Load())
	}
}
