package round_robin

import (
	"context"
	"fmt"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestRoundRobin(t *testing.T) {
	for _, count := range []int{0, 1, 2, 10, 30, 301} {
		p := NewThumbnails()
		p.Count = count
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("count %d: %v", count, err)
		}
		names := []string{"r1", "r2", "r3"}
		total := 0
		for k, name := range names {
			got := p.done[name]
			want := (count - k + 2) / 3 // jobs k, k+3, k+6, ... below count
			if len(got) != want {
				t.Errorf("count %d: %s rendered %d, want %d", count, name, len(got), want)
			}
			for i, th := range got {
				// each renderer is inline and fed in producer order, so it renders its
				// share in order: its i-th thumbnail is job k+3i
				if th.Seq != k+3*i {
					t.Fatalf("count %d: %s's thumbnail %d is job %d, want %d", count, name, i, th.Seq, k+3*i)
				}
				j := Job{Seq: th.Seq, Image: fmt.Sprintf("img-%04d.png", th.Seq), Width: 64 + th.Seq%4*32}
				if th.Sum != render(j) {
					t.Errorf("count %d: job %d checksum %x, want %x", count, th.Seq, th.Sum, render(j))
				}
			}
			total += len(got)
			if st, _ := res.Stage(name); st.In != int64(want) || st.Out != int64(want) {
				t.Errorf("count %d: stats of %s in=%d out=%d, want %d", count, name, st.In, st.Out, want)
			}
		}
		if total != count {
			t.Errorf("count %d: %d thumbnails stored", count, total)
		}
		if st, _ := res.Stage("store"); st.In != int64(count) {
			t.Errorf("count %d: store took %d", count, st.In)
		}
		if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
			t.Errorf("count %d: status %s, failures %v", count, res.Status, res.Failures)
		}
	}
}

// With slow renderers the round robin still deals strictly in turn: a slow
// renderer is not skipped, it holds up its own share only.
func TestRoundRobinSlow(t *testing.T) {
	p := NewThumbnails()
	p.Count = 12
	p.Cost = 5 * time.Millisecond
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"r1", "r2", "r3"} {
		if len(p.done[name]) != 4 {
			t.Errorf("%s rendered %d, want 4", name, len(p.done[name]))
		}
	}
}
