package nested

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// pixel is pixel (x, y) of upload i.
func pixel(i, x, y int) int { return (x*4 + y*3 + i*50) % 256 }

// scaled is upload i shrunk by f, computed here.
func scaled(i, f int) []byte {
	n := 32 / f
	out := make([]byte, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			sum := 0
			for dy := 0; dy < f; dy++ {
				for dx := 0; dx < f; dx++ {
					sum += pixel(i, x*f+dx, y*f+dy)
				}
			}
			out[y*n+x] = byte(sum / (f * f))
		}
	}
	return out
}

func TestNested(t *testing.T) {
	p := NewGallery()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}
	if len(p.saved) != 6 {
		t.Fatalf("%d images saved, want a thumbnail and a preview of each of 3", len(p.saved))
	}
	got := map[string]Image{}
	for _, img := range p.saved {
		got[fmt.Sprint(img.Variant, " ", img.Name)] = img
	}
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("photo-%d.raw", i)

		// The thumbnail: Thumbnail's defaults, Factor 4; its copy's own count.
		th, ok := got["thumb "+name]
		if !ok || th.W != 8 || th.H != 8 || th.Seq != i+1 || th.Marked || !slices.Equal(th.Pix, scaled(i, 4)) {
			t.Errorf("thumbnail of %s: %dx%d #%d marked=%v (found %v), want 8x8 #%d unmarked with the right pixels", name, th.W, th.H, th.Seq, th.Marked, ok, i+1)
		}

		// The preview: Downscale's defaults two levels down, then the watermark.
		pv, ok := got["half "+name]
		want := scaled(i, 2)
		for _, k := range []int{0, 1, 16, 17} {
			want[k] = 255
		}
		if !ok || pv.W != 16 || pv.H != 16 || pv.Seq != i+1 || !pv.Marked || !slices.Equal(pv.Pix, want) {
			t.Errorf("preview of %s: %dx%d #%d marked=%v (found %v), want 16x16 #%d marked with the right pixels", name, pv.W, pv.H, pv.Seq, pv.Marked, ok, i+1)
		}
	}

	// Stages are named by the path to them, at every level.
	var names []string
	for _, st := range res.Stages {
		names = append(names, st.Name)
		want := int64(3) // each nested stage sees each upload
		switch st.Name {
		case "uploads":
			want = 0
		case "save":
			want = 6
		}
		if st.In != want {
			t.Errorf("stage %s took %d items, want %d", st.Name, st.In, want)
		}
	}
	wantNames := []string{"uploads", "thumb.shrink", "preview.half.shrink", "preview.mark.stamp", "save"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("stages %v, want %v", names, wantNames)
	}
}

// A nested copy takes the defaults of its pipeline: Thumbnail's are its own.
func TestDefaults(t *testing.T) {
	if d, th := NewDownscale(), NewThumbnail(); d.Factor != 2 || d.Variant != "half" || th.Factor != 4 || th.Variant != "thumb" {
		t.Errorf("Downscale %d %q, Thumbnail %d %q", d.Factor, d.Variant, th.Factor, th.Variant)
	}
}

// Go code reaches each nested copy through its accessor: parameters set before Run are the
// ones its stages see, and its state holds what they did.
func TestNestedFromGo(t *testing.T) {
	p := NewGallery()
	p.Count = 2
	p.NestedThumb().Factor = 8
	p.NestedThumb().Variant = "tiny"
	p.NestedPreview().NestedHalf().Factor = 16
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatalf("run: %v", err)
	}
	sizes := map[string]int{}
	for _, img := range p.saved {
		sizes[img.Variant] = img.W
	}
	if want := map[string]int{"tiny": 4, "half": 2}; !maps.Equal(sizes, want) {
		t.Errorf("sizes by variant %v, want %v", sizes, want)
	}
	if th, half := p.NestedThumb().made, p.NestedPreview().NestedHalf().made; th != 2 || half != 2 {
		t.Errorf("made: thumb %d, half %d, want 2 each", th, half)
	}
}
