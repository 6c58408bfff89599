// Package view turns the live stats of a run into what the live views of built binaries
// show (runtime/progress, runtime/hud): rates and busy shares over the last second, queue
// fill, the bottleneck, and the short number formats they print. It uses the standard
// library only and does nothing at package initialisation.
package view

import (
	"fmt"
	"strconv"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// Window is how far back rates and busy shares look.
const Window = time.Second

// Stage is one stage of a frame.
type Stage struct {
	mgrt.StageStats
	// Rate is items per second over the last Window: values out for a producer, items in
	// for the others. OutRate is values out per second for every stage.
	Rate, OutRate float64
	// Busy is the share (0..1) of the stage's goroutines or process slots that worked over
	// the last Window.
	Busy float64
	// Fill is QueueLen/QueueCap (0..1), or -1 when the stage has no bounded queue.
	Fill float64
	// Bottleneck marks the stage the others wait on (Frame.Bottleneck).
	Bottleneck bool
}

// Frame is one sample of a run.
type Frame struct {
	At      time.Time
	Elapsed time.Duration // since the Sampler was made
	Stages  []Stage
	// Bottleneck is the index of the busiest stage when it is busy at least half of the
	// time over the last Window, else -1.
	Bottleneck int
}

// Sampler keeps the recent snapshots of a run.
type Sampler struct {
	stats func() []mgrt.StageStats
	start time.Time
	past  []snap // oldest first, within Window of the newest
}

type snap struct {
	at     time.Time
	stages []mgrt.StageStats
}

// NewSampler returns a sampler of stats (Handle.Stats).
func NewSampler(stats func() []mgrt.StageStats) *Sampler {
	return &Sampler{stats: stats, start: time.Now()}
}

// Sample takes a snapshot and returns the frame it gives.
func (s *Sampler) Sample() Frame {
	now := time.Now()
	return s.add(now, s.stats())
}

func (s *Sampler) add(now time.Time, cur []mgrt.StageStats) Frame {
	s.past = append(s.past, snap{now, cur})
	for len(s.past) > 2 && now.Sub(s.past[1].at) >= Window {
		s.past = s.past[1:]
	}
	f := Frame{At: now, Elapsed: now.Sub(s.start), Bottleneck: -1, Stages: make([]Stage, len(cur))}
	old := s.past[0]
	dt := now.Sub(old.at).Seconds()
	best := 0.0
	for i, st := range cur {
		v := Stage{StageStats: st, Fill: -1}
		if st.QueueCap > 0 {
			v.Fill = min(float64(st.QueueLen)/float64(st.QueueCap), 1)
		}
		if dt > 0 && i < len(old.stages) && old.stages[i].Name == st.Name {
			o := old.stages[i]
			v.OutRate = float64(st.Out-o.Out) / dt
			v.Rate = float64(st.In-o.In) / dt
			v.Busy = float64(st.Busy-o.Busy) / (dt * float64(time.Second) * float64(Slots(st)))
		} else {
			// The first sample: the rate since the stage's first item; busy unknown yet.
			v.Rate, v.OutRate = st.Throughput, st.Throughput
		}
		if st.Kind == mgrt.KindProducer {
			v.Rate = v.OutRate
		}
		v.Busy = min(max(v.Busy, 0), 1)
		if v.Busy > best {
			best, f.Bottleneck = v.Busy, i
		}
		f.Stages[i] = v
	}
	if best < 0.5 {
		f.Bottleneck = -1
	}
	if f.Bottleneck >= 0 {
		f.Stages[f.Bottleneck].Bottleneck = true
	}
	return f
}

// Slots is how many goroutines or process slots run a stage's bodies: the denominator of its
// busy share.
func Slots(st mgrt.StageStats) int {
	if st.Kind == mgrt.KindProducer || st.Kind == mgrt.KindAccumulator {
		return 1
	}
	return max(st.Strategy.N, 1)
}

// Count formats n in at most 6 characters: 999, 12.3k, 1.23M, 4.56G.
func Count(n int64) string {
	f := float64(n)
	switch {
	case n < 0:
		return "-" + Count(-n)
	case n < 10000:
		return strconv.FormatInt(n, 10)
	case f < 1e6:
		return short(f/1e3) + "k"
	case f < 1e9:
		return short(f/1e6) + "M"
	default:
		return short(f/1e9) + "G"
	}
}

// Rate formats items per second: 0/s, 12/s, 3.4k/s, 76.6M/s.
func Rate(f float64) string {
	switch {
	case f <= 0:
		return "0/s"
	case f < 10:
		return strconv.FormatFloat(f, 'f', 1, 64) + "/s"
	case f < 1e4:
		return strconv.FormatFloat(f, 'f', 0, 64) + "/s"
	}
	return Count(int64(f)) + "/s"
}

// Elapsed formats a run's elapsed time: 0.4s, 12.3s, 2m05s, 1h02m.
func Elapsed(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.FormatFloat(max(d.Seconds(), 0), 'f', 1, 64) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// Percent formats a share (0..1) as 0%..100%.
func Percent(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" }

// Duration formats d with three significant digits: 950ns, 1.23µs, 45.6ms, 2.00s, "-" for 0.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	case d < time.Minute:
		return sig3(d.Seconds()) + "s"
	}
	return d.Round(time.Second).String()
}

// short formats v (1 <= v < 1000) with three significant digits at most.
func short(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	if v >= 10 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func sig3(v float64) string { return short(v) }

// Truncate cuts s to at most n columns, ending it with "…" when it was longer. Stage names
// are ASCII or simple letters: a rune is taken as one column.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	return string(r[:n-1]) + "…"
}

// Pad pads s with spaces to n columns (runes), or truncates it.
func Pad(s string, n int) string {
	s = Truncate(s, n)
	for k := len([]rune(s)); k < n; k++ {
		s += " "
	}
	return s
}
