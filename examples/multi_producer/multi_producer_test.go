package multi_producer

import (
	"context"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func want(s, n int) Summary {
	w := Summary{Min: reading(s, 0), Max: reading(s, 0), LastSeq: n - 1}
	for i := 0; i < n; i++ {
		r := reading(s, i)
		w.Count++
		w.Sum += r
		w.Min = min(w.Min, r)
		w.Max = max(w.Max, r)
	}
	return w
}

func TestSensors(t *testing.T) {
	for _, count := range []int{1, 10, 500, 20000} {
		p := NewSensors()
		p.Count = count
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("count %d: %v", count, err)
		}
		for s, name := range []string{"cellar", "garden", "roof"} {
			got := p.summary[name]
			// each producer's readings reach the aggregator in the order it emitted them:
			// one queue, several senders, each sender's items first in, first out
			if got == nil || *got != want(s, count) {
				t.Errorf("count %d: %s = %+v, want %+v", count, name, got, want(s, count))
			}
			if st, _ := res.Stage(name); st.Out != int64(count) {
				t.Errorf("count %d: %s emitted %d", count, name, st.Out)
			}
		}
		if len(p.summary) != 3 || len(p.arrivals) != 3*count {
			t.Errorf("count %d: %d sensors, %d arrivals", count, len(p.summary), len(p.arrivals))
		}
		if !p.donePost {
			t.Errorf("count %d: after_producer ran before every producer had finished", count)
		}
		agg, _ := res.Stage("aggregate")
		store, _ := res.Stage("store")
		if agg.In != int64(3*count) || store.In != int64(3*count) {
			t.Errorf("count %d: aggregate took %d, store %d", count, agg.In, store.In)
		}
		if res.Status != mgrt.StatusSucceeded || res.Err != nil {
			t.Errorf("count %d: status %s, err %v", count, res.Status, res.Err)
		}
	}
}

// A producer's error fails the run, after everything the producers emitted
// (the failing one's readings before its error included) has been processed.
func TestSensorsProducerFails(t *testing.T) {
	p := NewSensors()
	p.Count = 1000
	p.RoofFailsAfter = 123
	res, err := p.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "roof sensor: lost contact after 123 readings") {
		t.Fatalf("err = %v", err)
	}
	if res.Status != mgrt.StatusFailed || res.Err == nil {
		t.Errorf("status %s, Err %v", res.Status, res.Err)
	}
	if got := p.summary["roof"]; got == nil || *got != want(2, 123) {
		t.Errorf("roof = %+v, want %+v", got, want(2, 123))
	}
	for s, name := range []string{"cellar", "garden"} {
		if got := p.summary[name]; got == nil || *got != want(s, 1000) {
			t.Errorf("%s = %+v: the other producers' readings were not all processed", name, got)
		}
	}
	if agg, _ := res.Stage("aggregate"); agg.In != 2123 || agg.Dropped != 0 {
		t.Errorf("aggregate took %d, dropped %d, want 2123 and 0", agg.In, agg.Dropped)
	}
}
