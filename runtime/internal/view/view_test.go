package view

import (
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Count(999), "999"}, {Count(12345), "12.3k"}, {Count(1234567), "1.23M"}, {Count(5e9), "5.00G"},
		{Rate(0), "0/s"}, {Rate(3.25), "3.2/s"}, {Rate(1850), "1850/s"}, {Rate(76.6e6), "76.6M/s"},
		{Duration(0), "-"}, {Duration(950), "950ns"}, {Duration(1234 * time.Nanosecond), "1.23µs"},
		{Duration(45600 * time.Microsecond), "45.6ms"}, {Elapsed(1234 * time.Millisecond), "1.2s"},
		{Elapsed(125 * time.Second), "2m05s"}, {Percent(0.874), "87%"},
		{Truncate("enrich_customers", 8), "enrich_…"}, {Pad("save", 6), "save  "},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// Rates and busy shares over the window; the busiest stage, when busy at least half of the
// time, is the bottleneck.
func TestSampler(t *testing.T) {
	stages := func(in int64, busy time.Duration) []mgrt.StageStats {
		return []mgrt.StageStats{
			{Name: "src", Kind: mgrt.KindProducer, Out: in, Busy: busy / 10},
			{Name: "work", Kind: mgrt.KindProcessor, Strategy: mgrt.Strategy{Kind: mgrt.Threads, N: 2}, In: in, Busy: busy, QueueLen: 50, QueueCap: 100},
		}
	}
	s := NewSampler(nil)
	t0 := time.Now()
	s.add(t0, stages(0, 0))
	f := s.add(t0.Add(500*time.Millisecond), stages(1000, 800*time.Millisecond))
	if w := f.Stages[1]; w.Rate != 2000 || w.Busy != 0.8 || w.Fill != 0.5 || !w.Bottleneck || f.Bottleneck != 1 {
		t.Errorf("work %+v, bottleneck %d", w, f.Bottleneck)
	}
	if p := f.Stages[0]; p.Rate != 2000 || p.Fill != -1 || p.Bottleneck {
		t.Errorf("src %+v", p)
	}
	f = s.add(t0.Add(2*time.Second), stages(1000, 800*time.Millisecond))
	if f.Bottleneck != -1 || f.Stages[1].Rate != 0 {
		t.Errorf("an idle run has a bottleneck or a rate: %+v", f)
	}
}
