package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogram(t *testing.T) {
	var h histogram
	if q := h.quantiles(0.5); q[0] != 0 {
		t.Fatalf("empty histogram: %v", q)
	}
	var samples []time.Duration
	for range 100000 {
		d := time.Duration(rand.ExpFloat64() * float64(time.Millisecond))
		samples = append(samples, d)
		h.record(d)
	}
	slices.Sort(samples)
	qs := []float64{0.5, 0.9, 0.95, 0.99}
	got := h.quantiles(qs...)
	for i, q := range qs {
		exact := samples[int(q*float64(len(samples)))-1]
		if rel := float64(got[i]-exact) / float64(exact); rel > 0.05 || rel < -0.05 {
			t.Errorf("p%v = %v, exact %v", q*100, got[i], exact)
		}
	}
	for _, ns := range []uint64{0, 1, 15, 16, 17, 1000, 123456789, 1 << 40, 1<<63 + 5} {
		i := histIndex(ns)
		if i < 0 || i >= histBuckets {
			t.Fatalf("index %d of %d", i, ns)
		}
		if v := histValue(i); ns >= 16 && (float64(v) < float64(ns)*0.94 || float64(v) > float64(ns)*1.07) {
			t.Errorf("bucket %d of %d represents %d", i, ns, v)
		}
	}
}

func TestHistogramCumulative(t *testing.T) {
	var h histogram
	for _, d := range []time.Duration{100 * time.Nanosecond, time.Microsecond, time.Millisecond, time.Millisecond, time.Second} {
		h.record(d)
	}
	counts, total, sum := h.cumulative([]time.Duration{500 * time.Nanosecond, 2 * time.Millisecond, 10 * time.Second})
	if total != 5 || counts[0] != 1 || counts[1] != 4 || counts[2] != 5 {
		t.Errorf("counts %v total %d", counts, total)
	}
	if want := time.Second + 2*time.Millisecond; sum < want*96/100 || sum > want*104/100 {
		t.Errorf("sum %v, want about %v", sum, want)
	}
}
