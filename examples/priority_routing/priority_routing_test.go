package priority_routing

import (
	"context"
	"slices"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestSupport(t *testing.T) {
	for _, count := range []int{0, 1, 10, 200, 999} {
		p := NewSupport()
		p.Count = count
		p.Cost = 0
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("count %d: %v", count, err)
		}
		want := map[string][]int{}
		for i := 1; i <= count; i++ {
			lane := priorityOf(i).String()
			want[lane] = append(want[lane], i)
		}
		for _, lane := range []string{"high", "normal", "low"} {
			var ids []int
			for _, h := range p.handled[lane] {
				if h.Lane != lane || h.Ticket.Priority.String() != lane {
					t.Errorf("count %d: ticket %d (%s) handled in lane %s", count, h.Ticket.ID, h.Ticket.Priority, h.Lane)
				}
				ids = append(ids, h.Ticket.ID)
			}
			slices.Sort(ids)
			if !slices.Equal(ids, want[lane]) {
				t.Errorf("count %d: lane %s handled %v, want %v", count, lane, ids, want[lane])
			}
		}
		// the low lane is fed in order by inline triage: its batches are full but the last
		nLow := len(want["low"])
		if wantRuns := (nLow + 19) / 20; p.lowRuns != wantRuns {
			t.Errorf("count %d: low lane answered %d batches, want %d", count, p.lowRuns, wantRuns)
		}
		triage, _ := res.Stage("triage")
		low, _ := res.Stage("low")
		done, _ := res.Stage("done")
		if triage.In != int64(count) || triage.Out != int64(count) || low.In != int64(nLow) || low.Out != int64(nLow) || done.In != int64(count) {
			t.Errorf("count %d: triage %d/%d, low %d/%d, done %d", count, triage.In, triage.Out, low.In, low.Out, done.In)
		}
		if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
			t.Errorf("count %d: status %s, failures %v", count, res.Status, res.Failures)
		}
	}
}

// Under load each lane uses the capacity it was given: the high lane handles
// up to eight tickets at once, the normal lane never more than two.
func TestSupportLaneCapacity(t *testing.T) {
	p := NewSupport()
	p.Count = 1000
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(p.handled["high"]) != 100 || len(p.handled["normal"]) != 300 {
		t.Fatalf("high %d, normal %d", len(p.handled["high"]), len(p.handled["normal"]))
	}
	// 100 tickets of 2ms each on eight goroutines: more than two run at once
	if h, n := p.peak["high"], p.peak["normal"]; h > 8 || h <= 2 || n > 2 {
		t.Errorf("at most %d high tickets at once, %d normal: want 3..8 and at most 2", h, n)
	}
}
