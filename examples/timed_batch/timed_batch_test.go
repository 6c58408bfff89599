package timed_batch

import (
	"context"
	"fmt"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestMeters(t *testing.T) {
	p := NewMeters()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// bursts of 3, 7, 1, 5, 12 with 300ms of quiet between them and batches of 5
	// every 50ms: a burst leaves as full batches, then its rest after 50ms, well
	// before the next burst starts
	want := [][]int{
		{0, 1, 2},
		{3, 4, 5, 6, 7}, {8, 9},
		{10},
		{11, 12, 13, 14, 15},
		{16, 17, 18, 19, 20}, {21, 22, 23, 24, 25}, {26, 27},
	}
	var got [][]int
	for _, u := range p.uploads {
		got = append(got, u.Meters)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("uploads %v\nwant    %v", got, want)
	}
	// a partial batch left because its oldest reading had waited FlushAfter, not
	// before; the last one left at the end of the stream (TestMetersSizeOnly)
	for _, u := range p.uploads[:len(p.uploads)-1] {
		if len(u.Meters) < 5 && u.Oldest < p.FlushAfter {
			t.Errorf("partial batch %v left after %v, before FlushAfter (%v)", u.Meters, u.Oldest, p.FlushAfter)
		}
	}
	if st, _ := res.Stage("batch"); st.In != 28 || st.Out != int64(len(want)) {
		t.Errorf("batch in %d out %d, want 28 and %d", st.In, st.Out, len(want))
	}
	if res.Status != mgrt.StatusSucceeded {
		t.Errorf("status %s", res.Status)
	}
}

// Without the timer's help (FlushAfter longer than the whole run) the same
// trickle fills batches of five across the quiet gaps, and the rest leaves at
// the end of the stream, without waiting for the timer.
func TestMetersSizeOnly(t *testing.T) {
	p := NewMeters()
	p.Gap = 20 * time.Millisecond
	p.FlushAfter = time.Minute
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, u := range p.uploads {
		sizes = append(sizes, len(u.Meters))
	}
	if fmt.Sprint(sizes) != "[5 5 5 5 5 3]" {
		t.Errorf("batch sizes %v, want [5 5 5 5 5 3]", sizes)
	}
}
