// Minigun's 18_resource_cleanup_hooks: resources acquired and released in
// hooks, in the parent and in each worker process. cleanup_hooks_test.go runs it.
package cleanuphooks

import (
	"errors"
	"fmt"
	"os"
)

go {
	// Side is the width and height of an image; Block the side of the square
	// of pixels that one thumbnail pixel averages.
	const (
		Side  = 8
		Block = 4
	)

	// Image is a grayscale picture, Side*Side bytes, row by row.
	type Image struct {
		ID     int
		Pixels []byte
	}

	// Thumb is an image scaled down by Block, and the process that made it.
	type Thumb struct {
		ID     int
		Pixels []byte
		PID    int
	}

	// pixel is the grey level of pixel i of image id.
	func pixel(id, i int) byte { return byte((id*31 + i*7) % 256) }

	// scratch is a worker's scratch buffer: acquired in after_fork, once per
	// worker process, and handed back when its batch is done.
	var scratch []int

	// shrink averages each Block*Block square of img, summing in buf.
	func shrink(img Image, buf []int) []byte {
		const out = Side / Block
		clear(buf)
		for y := 0; y < Side; y++ {
			for x := 0; x < Side; x++ {
				buf[(y/Block)*out+x/Block] += int(img.Pixels[y*Side+x])
			}
		}
		t := make([]byte, out*out)
		for i := range t {
			t[i] = byte(buf[i] / (Block * Block))
		}
		return t
	}

	// Archive is where thumbnails are written, in the parent. It must be
	// closed once every thumbnail is in.
	type Archive struct {
		thumbs []Thumb
		closed bool
	}

	func (a *Archive) add(t Thumb) error {
		if a == nil || a.closed {
			return fmt.Errorf("thumbnail %d: archive not open", t.ID)
		}
		a.thumbs = append(a.thumbs, t)
		return nil
	}
}

// CleanupHooks makes thumbnails of images, a batch of them in each worker
// process. Each worker acquires a scratch buffer in after_fork and releases
// it when its batch is done; the parent opens the archive that the thumbnails
// go to before the first one arrives and closes it after the last.
pipeline CleanupHooks {
	// how many images to shrink
	param Count int = 100

	state {
		archive   *Archive
		parentLog []string
		acquired  int      merge(sum)    // scratch buffers acquired by workers
		released  int      merge(sum)    // and released
		workerLog []string merge(append) // "pid event" lines from the workers
	}

	before_run {
		p.parentLog = append(p.parentLog, "before_run")
	}

	producer images() Image {
		for id := 0; id < p.Count; id++ {
			img := Image{ID: id, Pixels: make([]byte, Side*Side)}
			for i := range img.Pixels {
				img.Pixels[i] = pixel(id, i)
			}
			emit(img)
		}
	}

	batch 10

	processor thumbnail(b []Image) Thumb process_per_batch(max: 4) {
		if scratch == nil {
			return errors.New("no scratch buffer: after_fork did not run")
		}
		// No hook runs when a worker exits: the body hands the buffer back.
		defer func() {
			scratch = nil
			p.released++
			p.workerLog = append(p.workerLog, fmt.Sprintf("%d release", os.Getpid()))
		}()
		for _, img := range b {
			emit(Thumb{ID: img.ID, Pixels: shrink(img, scratch), PID: os.Getpid()})
		}
	}

	consumer write(t Thumb) {
		return p.archive.add(t)
	}

	after_fork(thumbnail) {
		scratch = make([]int, (Side/Block)*(Side/Block))
		p.acquired++
		p.workerLog = append(p.workerLog, fmt.Sprintf("%d acquire", os.Getpid()))
	}

	before(write) {
		p.archive = &Archive{}
		p.parentLog = append(p.parentLog, "open archive")
	}

	after(write) {
		p.archive.closed = true
		p.parentLog = append(p.parentLog, "close archive")
	}

	after_run {
		p.parentLog = append(p.parentLog, "after_run")
		fmt.Printf("%d thumbnails archived; scratch buffers acquired %d, released %d\n",
			len(p.archive.thumbs), p.acquired, p.released)
	}
}
