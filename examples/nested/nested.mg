// Nested pipelines: `nested x = Other` uses a pipeline of the file as one
// stage, with its own parameters and state. nested_test.go runs it.
package nested

import (
	"fmt"
	"sync"
)

go {
	// Image is a grayscale picture, W*H bytes row by row.
	type Image struct {
		Name    string
		W, H    int
		Pix     []byte
		Variant string // which copy of Downscale made it
		Seq     int    // its number among the images that copy made
		Marked  bool
	}

	// shrink scales img down by f, each pixel the average of an f*f block.
	func shrink(img Image, f int) Image {
		out := Image{Name: img.Name, W: img.W / f, H: img.H / f}
		out.Pix = make([]byte, out.W*out.H)
		for y := 0; y < out.H; y++ {
			for x := 0; x < out.W; x++ {
				sum := 0
				for dy := 0; dy < f; dy++ {
					for dx := 0; dx < f; dx++ {
						sum += int(img.Pix[(y*f+dy)*img.W+x*f+dx])
					}
				}
				out.Pix[y*out.W+x] = byte(sum / (f * f))
			}
		}
		return out
	}

	// upload is the i-th uploaded picture: 32*32, a diagonal gradient.
	func upload(i int) Image {
		img := Image{Name: fmt.Sprintf("photo-%d.raw", i), W: 32, H: 32, Pix: make([]byte, 32*32)}
		for y := 0; y < 32; y++ {
			for x := 0; x < 32; x++ {
				img.Pix[y*32+x] = byte((x*4 + y*3 + i*50) % 256)
			}
		}
		return img
	}
}

// Downscale shrinks images by Factor. It has no producer: pipelines nest it,
// each copy with its own parameters and its own count of the images it made.
pipeline Downscale {
	// how many times smaller in each direction
	param Factor int = 2
	// the name of the images made
	param Variant string = "half"

	state {
		made int // shrink is inline: one goroutine per copy
	}

	processor shrink(img Image) Image {
		p.made++
		out := shrink(img, p.Factor)
		out.Variant, out.Seq, out.Marked = p.Variant, p.made, img.Marked
		emit(out)
	}
}

// Thumbnail is Downscale four times smaller: a nested copy takes its
// pipeline's defaults, and extends is how a pipeline gets other defaults.
pipeline Thumbnail extends Downscale {
	param Factor int = 4
	param Variant string = "thumb"
}

// Watermark sets the top-left 2*2 pixels to white.
pipeline Watermark {
	processor stamp(img Image) Image {
		// Behind a broadcast, the Image is a copy but its pixels are shared
		// with the other downstreams: stamp a copy of them.
		img.Pix = append([]byte(nil), img.Pix...)
		for y := 0; y < 2; y++ {
			for x := 0; x < 2; x++ {
				img.Pix[y*img.W+x] = 255
			}
		}
		img.Marked = true
		emit(img)
	}
}

// Preview nests two pipelines in turn: a half-size copy of Downscale, then
// Watermark. Nested in Gallery, it makes two levels.
pipeline Preview {
	nested half = Downscale
	nested mark = Watermark
}

// Gallery makes a thumbnail and a watermarked preview of every upload.
pipeline Gallery {
	// how many pictures are uploaded
	param Count int = 3

	state {
		mu    sync.Mutex
		saved []Image
	}

	producer uploads() Image to(thumb, preview) {
		for i := 0; i < p.Count; i++ {
			emit(upload(i))
		}
	}

	nested thumb to(save) = Thumbnail
	nested preview to(save) = Preview

	consumer save(img Image) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.saved = append(p.saved, img)
	}

	after_run {
		for _, img := range p.saved {
			fmt.Printf("%s %-5s #%d %dx%d marked=%v\n", img.Name, img.Variant, img.Seq, img.W, img.H, img.Marked)
		}
	}
}
