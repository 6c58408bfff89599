// Thumbnails made on remote workers: the coordinator renders source images,
// worker processes fed through NATS JetStream shrink and hash them, and the
// thumbnails, pixel counts and worker tallies come back to the coordinator.
// remote_workers_test.go runs it as a package and as a built program.
package remote_workers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"

	mgrt "github.com/minigun-go/minigun/runtime"
)

go {
	// Image is a grayscale source picture, one byte per pixel, row by row.
	type Image struct {
		ID   int
		W, H int
		Pix  []byte
	}

	// Thumb is what a worker sends back for an image: the thumbnail's size,
	// the SHA-256 of its pixels, and the key it is stored under.
	type Thumb struct {
		ID   int
		W, H int
		Sum  string
		Key  string // mgrt.ItemKey: the same on every delivery of the image
	}

	// render draws source image id: a size that varies with the id, and a
	// pattern of gradients and stripes that differs from image to image.
	func render(id int) Image {
		w, h := 96+id%4*32, 64+id%3*32
		pix := make([]byte, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				pix[y*w+x] = byte(x*3 + y*5 + id*29 ^ (x*y)>>(id%5))
			}
		}
		return Image{ID: id, W: w, H: h, Pix: pix}
	}

	// shrink scales img down by factor with a box filter (each thumbnail pixel
	// is the mean of a factor×factor block) and hashes the result.
	func shrink(img Image, factor int) (w, h int, sum string) {
		w, h = img.W/factor, img.H/factor
		out := make([]byte, w*h)
		for ty := 0; ty < h; ty++ {
			for tx := 0; tx < w; tx++ {
				total := 0
				for y := ty * factor; y < (ty+1)*factor; y++ {
					for x := tx * factor; x < (tx+1)*factor; x++ {
						total += int(img.Pix[y*img.W+x])
					}
				}
				out[ty*w+tx] = byte(total / (factor * factor))
			}
		}
		s := sha256.Sum256(out)
		return w, h, hex.EncodeToString(s[:])
	}

	// digest is one hash over every thumbnail's hash, in id order.
	func digest(thumbs map[int]Thumb) string {
		ids := make([]int, 0, len(thumbs))
		for id := range thumbs {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		h := sha256.New()
		for _, id := range ids {
			fmt.Fprintf(h, "%d %dx%d %s\n", id, thumbs[id].W, thumbs[id].H, thumbs[id].Sum)
		}
		return hex.EncodeToString(h.Sum(nil))[:16]
	}

	// addCounts merges per-process counters: merge(addCounts) sums them by key.
	func addCounts(into, from map[int]int) map[int]int {
		if into == nil {
			into = map[int]int{}
		}
		for k, v := range from {
			into[k] += v
		}
		return into
	}
}

// Thumbnails renders Count source images in the coordinator, makes their
// thumbnails on remote workers (Workers local worker processes, and any
// started with -worker thumbnail -nats URL), and stores them in the
// coordinator.
pipeline Thumbnails {
	// source images to render
	param Count int = 240
	// local worker processes of the thumbnail stage (0: only workers started by hand)
	param Workers int = 3
	// how much smaller a thumbnail is on each side
	param Factor int = 4

	state {
		thumbs  map[int]Thumb                 // image id -> its thumbnail, stored in the coordinator
		pixels  int64       merge(sum)        // source pixels the workers read
		largest int         merge(max)        // the largest source image, in pixels
		workers map[int]int merge(addCounts)  // worker pid -> images it shrank
	}

	before_run {
		p.thumbs = map[int]Thumb{}
		p.pixels, p.largest = 0, 0
		p.workers = map[int]int{}
	}

	producer images() Image total(Count) {
		for id := 1; id <= p.Count; id++ {
			emit(render(id))
		}
	}

	// runs in the worker processes: a chunk of up to 16 images per message
	processor thumbnail(img Image) Thumb remote(Workers, chunk: 16) {
		w, h, sum := shrink(img, p.Factor)
		p.pixels += int64(len(img.Pix))
		p.largest = max(p.largest, len(img.Pix))
		p.workers[os.Getpid()]++
		emit(Thumb{ID: img.ID, W: w, H: h, Sum: sum, Key: mgrt.ItemKey(ctx)})
	}

	consumer store(t Thumb) {
		p.thumbs[t.ID] = t
	}

	after_run {
		fmt.Printf("%d thumbnails, digest %s\n", len(p.thumbs), digest(p.thumbs))
		fmt.Printf("%d source pixels read, the largest image %d, by %d worker processes\n", p.pixels, p.largest, len(p.workers))
	}
}
