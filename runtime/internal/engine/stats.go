package engine

import (
	"sync/atomic"
	"time"
)

// StageStats is a snapshot of one stage's counters.
//
// In counts the items a stage started to process (for an accumulator, the items it collected);
// Dropped the items it received but did not process because the run was canceled (for a
// producer, the emit that was refused). Out counts emitted values, each once whatever the
// fan-out; the emits of a failed attempt are not counted. BlockedIn and BlockedOut are summed
// over the stage's goroutines. For a stage run in worker processes the parent keeps the
// counts: In counts an item when its outcome comes back, and latency is sampled in the
// workers.
type StageStats struct {
	Name     string
	Kind     StageKind
	Pos      Pos
	Strategy Strategy

	In, Out, Failed, Retried, DeadLettered, Dropped int64

	// Per-item latency (for an accumulator, per batch) from a streaming histogram of sampled
	// items; time spent in stages fused into this one is not included. Zero for producers.
	P50, P90, P95, P99 time.Duration
	// Items in per second (for a producer, values out) from the stage's first item to its end.
	Throughput float64
	// Time spent waiting for input, and waiting for room in downstream queues.
	BlockedIn, BlockedOut time.Duration
	// Workers is, for a remote stage, how many workers are connected (local and external);
	// once the stage has ended, the most that were connected at once. 0 for other stages.
	Workers int
}

// stageStats holds a stage's live counters. Workers keep their own plain counters and publish
// them here with atomic adds from time to time (workerStats.publish).
type stageStats struct {
	in, out, failed, retried, deadLettered, dropped atomic.Int64
	blockedIn, blockedOut                           atomic.Int64
	firstNs, endNs                                  atomic.Int64 // unix nanos of the first item and of the end
	workers, peakWorkers                            atomic.Int64
	hist                                            histogram
}

// workerStats is one goroutine's unpublished share of a stage's counters. Only that goroutine
// touches it.
type workerStats struct {
	st                    *stageStats
	in, out, dropped      int64
	blockedIn, blockedOut int64
	seen                  uint64 // items seen, for sampling
	mask                  uint64 // an item is timed when seen&mask == 0
	sawFirst              bool
}

func (ws *workerStats) publish() {
	st := ws.st
	if ws.in != 0 {
		st.in.Add(ws.in)
		ws.in = 0
	}
	if ws.out != 0 {
		st.out.Add(ws.out)
		ws.out = 0
	}
	if ws.dropped != 0 {
		st.dropped.Add(ws.dropped)
		ws.dropped = 0
	}
	if ws.blockedIn != 0 {
		st.blockedIn.Add(ws.blockedIn)
		ws.blockedIn = 0
	}
	if ws.blockedOut != 0 {
		st.blockedOut.Add(ws.blockedOut)
		ws.blockedOut = 0
	}
}

// sample records the duration of a timed item, adapts the sampling rate to the item cost
// (cheap items are timed rarely, so the clock costs little; slow items are all timed) and
// publishes the counters.
func (ws *workerStats) sample(start time.Time, d time.Duration) {
	if !ws.sawFirst {
		ws.sawFirst = true
		ws.st.firstNs.CompareAndSwap(0, start.UnixNano())
	}
	ws.st.hist.record(d)
	switch {
	case d < 200*time.Nanosecond:
		ws.mask = 255
	case d < 2*time.Microsecond:
		ws.mask = 63
	case d < 20*time.Microsecond:
		ws.mask = 7
	default:
		ws.mask = 0
	}
	ws.publish()
}

// markFirst records the start of a stage's activity for throughput when no item is timed.
func (ws *workerStats) markFirst() {
	if !ws.sawFirst {
		ws.sawFirst = true
		ws.st.firstNs.CompareAndSwap(0, time.Now().UnixNano())
	}
}

// snapshot returns the live or final stats of st.
func (s *stageRun) snapshot() StageStats {
	b := s.base
	st := &s.stats
	out := StageStats{
		Name:         b.spec.Name,
		Kind:         b.spec.Kind,
		Pos:          b.spec.Pos,
		Strategy:     b.spec.Strategy,
		In:           st.in.Load(),
		Out:          st.out.Load(),
		Failed:       st.failed.Load(),
		Retried:      st.retried.Load(),
		DeadLettered: st.deadLettered.Load(),
		Dropped:      st.dropped.Load(),
		BlockedIn:    time.Duration(st.blockedIn.Load()),
		BlockedOut:   time.Duration(st.blockedOut.Load()),
		Workers:      int(st.workers.Load()),
	}
	if st.endNs.Load() != 0 {
		out.Workers = int(st.peakWorkers.Load())
	}
	if b.spec.Kind != KindProducer {
		q := st.hist.quantiles(0.50, 0.90, 0.95, 0.99)
		out.P50, out.P90, out.P95, out.P99 = q[0], q[1], q[2], q[3]
	}
	if first := st.firstNs.Load(); first != 0 {
		end := st.endNs.Load()
		if end == 0 {
			end = time.Now().UnixNano()
		}
		n := out.In
		if b.spec.Kind == KindProducer {
			n = out.Out
		}
		if secs := float64(end-first) / 1e9; secs > 0 {
			out.Throughput = float64(n) / secs
		}
	}
	return out
}
