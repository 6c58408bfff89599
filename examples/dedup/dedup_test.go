package dedup

import (
	"context"
	"fmt"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestClicks(t *testing.T) {
	for _, events := range []int{0, 1, 77, 1000, 5000} {
		p := NewClicks()
		p.Events = events
		// a second Run of the same value builds a new Dedup: it passes every event again
		for run := 0; run < 2; run++ {
			res, err := p.Run(context.Background())
			if err != nil {
				t.Fatalf("events %d: %v", events, err)
			}
			delivered := 0
			pages := map[string]int{}
			for i := 0; i < events; i++ {
				delivered += redeliveries(i)
				pages[fmt.Sprintf("/p/%d", i%9)]++
			}
			if len(p.ids) != events {
				t.Errorf("events %d run %d: %d distinct ids counted", events, run, len(p.ids))
			}
			for id, n := range p.ids {
				if n != 1 {
					t.Errorf("events %d run %d: %s counted %d times", events, run, id, n)
				}
			}
			if fmt.Sprint(p.pages) != fmt.Sprint(pages) {
				t.Errorf("events %d run %d: pages %v, want %v", events, run, p.pages, pages)
			}
			st, _ := res.Stage("dedup")
			if st.Kind != mgrt.KindCustom || st.In != int64(delivered) || st.Out != int64(events) || st.Failed != 0 {
				t.Errorf("events %d run %d: dedup stats kind %v in %d out %d failed %d, want in %d out %d",
					events, run, st.Kind, st.In, st.Out, st.Failed, delivered, events)
			}
			// of 1000 events, 143 are multiples of 7 and 91 of 11: 234 redeliveries
			if events == 1000 && delivered != 1234 {
				t.Errorf("the tracker delivered %d, want 1234", delivered)
			}
			if res.Status != mgrt.StatusSucceeded {
				t.Errorf("status %s", res.Status)
			}
		}
	}
}

// Dedup on its own, as a Go value: the stage interface is all it needs.
func TestDedupValue(t *testing.T) {
	var s mgrt.Stage[int, int] = NewDedup(func(n int) int { return n % 10 })
	var out []int
	for i := 0; i < 35; i++ {
		if err := s.Process(context.Background(), i, func(v int) { out = append(out, v) }); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(out) != "[0 1 2 3 4 5 6 7 8 9]" {
		t.Errorf("passed %v, want the first item of each key", out)
	}
}
