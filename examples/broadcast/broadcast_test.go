package broadcast

import (
	"context"
	"math"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// expected replays the feed without the pipeline.
func expected(rounds int, threshold float64) (last map[string]int64, total int64, alerts map[int]bool) {
	last = map[string]int64{}
	alerts = map[int]bool{}
	seq := 0
	for i := 0; i < rounds; i++ {
		for s, sym := range symbols {
			c := price(s, i)
			if old, ok := last[sym]; ok && math.Abs(100*float64(c-old)/float64(old)) > threshold {
				alerts[seq] = true
			}
			last[sym] = c
			total += c
			seq++
		}
	}
	return last, total, alerts
}

func TestBroadcast(t *testing.T) {
	for _, rounds := range []int{0, 1, 100, 2000} {
		p := NewPrices()
		p.Rounds = rounds
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("rounds %d: %v", rounds, err)
		}
		n := rounds * len(symbols)
		wantLast, wantTotal, wantAlerts := expected(rounds, p.Threshold)

		if len(p.last) != len(wantLast) {
			t.Errorf("rounds %d: cache holds %d symbols, want %d", rounds, len(p.last), len(wantLast))
		}
		for sym, c := range wantLast {
			if p.last[sym] != c {
				t.Errorf("rounds %d: cache[%s] = %d, want %d", rounds, sym, p.last[sym], c)
			}
		}

		// audit is a single inline consumer fed by one producer: it sees the feed in order
		var total int64
		for i, tk := range p.audit {
			total += tk.Cents
			if tk.Seq != i {
				t.Fatalf("rounds %d: audit[%d] is tick %d", rounds, i, tk.Seq)
			}
			if tk.Alert {
				t.Fatalf("rounds %d: audit saw tick %d flagged: the alerts subscriber's copy leaked", rounds, tk.Seq)
			}
		}
		if len(p.audit) != n || total != wantTotal {
			t.Errorf("rounds %d: audit has %d ticks worth %d, want %d worth %d", rounds, len(p.audit), total, n, wantTotal)
		}

		if len(p.alerts) != len(wantAlerts) {
			t.Errorf("rounds %d: %d alerts, want %d", rounds, len(p.alerts), len(wantAlerts))
		}
		for _, a := range p.alerts {
			if !a.Alert || !wantAlerts[a.Seq] {
				t.Errorf("rounds %d: unexpected alert %+v", rounds, a)
			}
		}
		if rounds >= 100 && len(wantAlerts) == 0 {
			t.Errorf("rounds %d: the feed raised no alert: the test proves nothing", rounds)
		}

		if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
			t.Errorf("rounds %d: status %s, failures %v", rounds, res.Status, res.Failures)
		}
		feed, _ := res.Stage("feed")
		if feed.Out != int64(n) {
			t.Errorf("rounds %d: feed emitted %d, want %d", rounds, feed.Out, n)
		}
		for _, name := range []string{"cache", "audit", "alerts"} {
			if st, _ := res.Stage(name); st.In != int64(n) || st.Failed != 0 {
				t.Errorf("rounds %d: %s took %d items (%d failed), want every one of %d", rounds, name, st.In, st.Failed, n)
			}
		}
	}
}
