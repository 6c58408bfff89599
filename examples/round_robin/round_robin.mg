// Round-robin load balancing: thumbnail jobs dealt out in turn to three
// renderers. round_robin_test.go runs it as a package.
package round_robin

import (
	"fmt"
	"hash/crc32"
	"sync"
	"time"
)

go {
	// Job asks for one thumbnail of an image.
	type Job struct {
		Seq   int
		Image string
		Width int
	}

	// Thumb is a rendered thumbnail and who rendered it.
	type Thumb struct {
		Seq      int
		Renderer string
		Sum      uint32
	}

	// render stands for the real resize: a checksum of the image and width.
	func render(j Job) uint32 {
		return crc32.ChecksumIEEE(fmt.Appendf(nil, "%s@%dpx", j.Image, j.Width))
	}
}

// Thumbnails deals jobs to three renderers in turn; each renderer is a slow
// consumer of its own, so the round robin spreads the load evenly.
pipeline Thumbnails {
	// how many thumbnails to render
	param Count int = 30
	// simulated time one render takes
	param Cost time.Duration = 0

	state {
		mu   sync.Mutex
		done map[string][]Thumb // renderer -> thumbnails, in the order it rendered them
	}

	before_run {
		p.done = map[string][]Thumb{}
	}

	// round robin: job 0 to r1, 1 to r2, 2 to r3, 3 to r1 again...
	producer jobs() Job to(r1, r2, r3) routing(round_robin) {
		for i := 0; i < p.Count; i++ {
			emit(Job{Seq: i, Image: fmt.Sprintf("img-%04d.png", i), Width: 64 + i%4*32})
		}
	}

	processor r1(j Job) Thumb to(store) { emit(p.renderAs("r1", j)) }
	processor r2(j Job) Thumb to(store) { emit(p.renderAs("r2", j)) }
	processor r3(j Job) Thumb to(store) { emit(p.renderAs("r3", j)) }

	consumer store(t Thumb) from(r1, r2, r3) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.done[t.Renderer] = append(p.done[t.Renderer], t)
	}

	after_run {
		fmt.Printf("r1=%d r2=%d r3=%d\n", len(p.done["r1"]), len(p.done["r2"]), len(p.done["r3"]))
	}
}

go {
	func (p *Thumbnails) renderAs(name string, j Job) Thumb {
		time.Sleep(p.Cost)
		return Thumb{Seq: j.Seq, Renderer: name, Sum: render(j)}
	}
}
