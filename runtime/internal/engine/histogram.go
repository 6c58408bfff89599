package engine

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram is a streaming latency estimator: log-linear buckets over nanoseconds, 16 buckets
// per power of two (relative error under 4%), updated with one atomic add per sample so it
// can be read while the run goes on.
type histogram struct {
	buckets [histBuckets]atomic.Uint64
}

const (
	histSubBits = 4
	histSub     = 1 << histSubBits
	histBuckets = histSub + (64-histSubBits)*histSub
)

// histIndex returns the bucket of a duration of ns nanoseconds.
func histIndex(ns uint64) int {
	if ns < histSub {
		return int(ns)
	}
	e := bits.Len64(ns) - 1 // ns in [2^e, 2^(e+1))
	sub := (ns >> (uint(e) - histSubBits)) & (histSub - 1)
	return histSub + (e-histSubBits)*histSub + int(sub)
}

// histValue returns a representative duration (the middle) of bucket i.
func histValue(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	e := (i-histSub)/histSub + histSubBits
	sub := uint64((i - histSub) % histSub)
	lo := uint64(1)<<uint(e) | sub<<(uint(e)-histSubBits)
	width := uint64(1) << (uint(e) - histSubBits)
	return lo + width/2
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.buckets[histIndex(uint64(d))].Add(1)
}

// quantiles returns the durations below which the fractions qs of the samples fall, in the
// order of qs (which must be increasing). With no sample every result is 0.
func (h *histogram) quantiles(qs ...float64) []time.Duration {
	out := make([]time.Duration, len(qs))
	var counts [histBuckets]uint64
	var total uint64
	for i := range h.buckets {
		c := h.buckets[i].Load()
		counts[i] = c
		total += c
	}
	if total == 0 {
		return out
	}
	qi := 0
	var seen uint64
	for i := 0; i < histBuckets && qi < len(qs); i++ {
		seen += counts[i]
		for qi < len(qs) {
			rank := uint64(qs[qi]*float64(total) + 0.999999)
			if rank < 1 {
				rank = 1
			}
			if seen < rank {
				break
			}
			out[qi] = time.Duration(histValue(i))
			qi++
		}
	}
	return out
}

// mean returns the mean of the samples (0 with none).
func (h *histogram) mean() time.Duration {
	var total, sum float64
	for i := range h.buckets {
		if c := h.buckets[i].Load(); c != 0 {
			total += float64(c)
			sum += float64(c) * float64(histValue(i))
		}
	}
	if total == 0 {
		return 0
	}
	return time.Duration(sum / total)
}

// cumulative returns how many samples are at most each of bounds (increasing), how many
// there are in all and their sum, each sample taken at the middle of its bucket.
func (h *histogram) cumulative(bounds []time.Duration) (counts []uint64, total uint64, sum time.Duration) {
	counts = make([]uint64, len(bounds))
	for i := range h.buckets {
		c := h.buckets[i].Load()
		if c == 0 {
			continue
		}
		v := histValue(i)
		total += c
		sum += time.Duration(c * v)
		for j, b := range bounds {
			if v <= uint64(b) {
				counts[j] += c
			}
		}
	}
	return counts, total, sum
}
