package fanout

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestFanout(t *testing.T) {
	p := NewFanout()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}

	// The audit log: every event, in the producer's order.
	var audit []string
	var mails []int
	for seq := 0; seq < 300; seq++ {
		kind := []string{"placed", "paid", "shipped"}[seq%3]
		audit = append(audit, fmt.Sprintf("%d %d %s", seq, 1000+seq/3, kind))
		if kind == "shipped" {
			mails = append(mails, 1000+seq/3)
		}
	}
	if !slices.Equal(p.audit, audit) {
		t.Errorf("audit log of %d events, want all 300 in order; first %q", len(p.audit), p.audit[:min(3, len(p.audit))])
	}
	// The counter: every event once, though four goroutines shared them.
	if want := map[string]int{"placed": 100, "paid": 100, "shipped": 100}; !maps.Equal(p.counts, want) {
		t.Errorf("counts %v, want %v", p.counts, want)
	}
	// The mailer: one mail per shipped order, in order (it is inline too).
	if !slices.Equal(p.mails, mails) {
		t.Errorf("mails to %d orders, want %d in order", len(p.mails), len(mails))
	}

	// One emit per event reached each of the three consumers.
	if st, _ := res.Stage("events"); st.Out != 300 {
		t.Errorf("events emitted %d, want 300", st.Out)
	} else if st.BlockedOut == 0 {
		t.Errorf("the producer never waited for the slow mailer's queue of 10")
	}
	for _, name := range []string{"audit", "metrics", "mailer"} {
		if st, ok := res.Stage(name); !ok || st.In != 300 || st.Failed != 0 || st.Dropped != 0 {
			t.Errorf("%s: in=%d failed=%d dropped=%d, want every one of 300", name, st.In, st.Failed, st.Dropped)
		}
	}
	var targets []string
	for _, e := range p.Graph().Edges {
		if e.From == "events" {
			targets = append(targets, e.To)
		}
	}
	if !slices.Equal(targets, []string{"audit", "metrics", "mailer"}) {
		t.Errorf("events sends to %v", targets)
	}
}
