package engine

import (
	"sync"
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
// workers: it is the time in the body, without the start of a process or the trip of the item
// to the worker and back.
//
// Counters are published as a stage runs (a producer's every chunk of emits, another stage's
// every sampled item and whenever it waits), so a live snapshot (Handle.Stats) lags by at
// most a few hundred items per goroutine. Its JSON form is the schema of stats_json.go.
type StageStats struct {
	Name     string    `json:"name"`
	Kind     StageKind `json:"kind"`
	Pos      Pos       `json:"pos"`
	Strategy Strategy  `json:"strategy"`

	In           int64 `json:"in"`
	Out          int64 `json:"out"`
	Failed       int64 `json:"failed"`
	Retried      int64 `json:"retried"`
	DeadLettered int64 `json:"dead_lettered"`
	Dropped      int64 `json:"dropped"`
	// Total is, for a producer, how many items it declared it will emit (total(N)); 0 unknown.
	Total int64 `json:"total,omitempty"`

	// Per-item latency (for an accumulator, per batch) from a streaming histogram of sampled
	// items; time spent in stages fused into this one is not included. Zero for producers.
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P95 time.Duration `json:"p95_ns"`
	P99 time.Duration `json:"p99_ns"`
	// Items in per second (for a producer, values out) from the stage's first item to its end.
	Throughput float64 `json:"items_per_second"`
	// Time spent waiting for input, and waiting for room in downstream queues, summed over
	// the stage's goroutines.
	BlockedIn  time.Duration `json:"blocked_in_ns"`
	BlockedOut time.Duration `json:"blocked_out_ns"`

	// Elapsed is the time from the run's start to the stage's end (to now while it runs).
	Elapsed time.Duration `json:"elapsed_ns"`
	// Busy is the time spent in the stage's bodies, summed over its goroutines or worker
	// processes, estimated from the sampled latencies (each sample stands for the items since
	// the previous one); for a producer, its elapsed time less the time it waited for room.
	Busy time.Duration `json:"busy_ns"`
	// BusyShare is Busy over Elapsed times the stage's concurrency (Concurrency): the share of
	// its time each goroutine or worker process spent in bodies, from 0 to 1.
	BusyShare float64 `json:"busy_share"`
	// Concurrency is how many bodies of the stage may run at once: N for threads(N),
	// processes(N), process_per_batch(max: N) and remote(N), else 1.
	Concurrency int `json:"concurrency"`
	// Goroutines is how many goroutines the stage runs on: 0 for a stage fused into its
	// sender's goroutine; for a process stage, those that feed its workers and read their
	// results. Processes is how many of its worker processes run now.
	Goroutines int `json:"goroutines"`
	Processes  int `json:"processes"`
	// Workers is how many run the stage's bodies now: its goroutines (1 for an inline stage,
	// fused or not; N for threads(N)), for a process stage its worker processes alive now, for
	// a remote stage its workers connected now (local and external; once the stage has
	// ended, the most that were connected at once).
	Workers int `json:"workers"`
	// QueueLen is how many items wait in the stage's input queue now; QueueCap is its
	// capacity in items (-1 unbounded, 0 for a stage without a queue: producers, fused stages).
	QueueLen int `json:"queue_len"`
	QueueCap int `json:"queue_cap"`
	// Bottleneck marks the stage the others wait on (at most one per run; none before any
	// stage has worked): the one whose senders wait most for room in its queue, less what it
	// waits itself for room downstream; without such waits, the busiest stage.
	Bottleneck bool `json:"bottleneck"`
}

// stageStats holds a stage's live counters. Workers keep their own plain counters and publish
// them here with atomic adds from time to time (workerStats.publish).
type stageStats struct {
	in, out, failed, retried, deadLettered, dropped atomic.Int64
	blockedIn, blockedOut                           atomic.Int64
	firstNs, endNs                                  atomic.Int64 // unix nanos of the first item and of the end
	busyNs                                          atomic.Int64 // estimated time in bodies (in-process stages)
	latAvg, latSeen                                 atomic.Int64 // moving average of the sampled latencies, and how many
	latSum, latN                                    atomic.Int64 // sampled latencies from worker processes
	goroutines, procs                               atomic.Int32
	remoteWorkers, peakWorkers                      atomic.Int64 // remote stages: workers connected now, and the most at once
	hist                                            histogram

	// The goroutines waiting for input now, and the sum of the unix nanos they started at:
	// a wait counts against Busy while it lasts.
	waitMu             sync.Mutex
	waiting, waitSince int64
}

// beginWait records that a goroutine of the stage starts waiting for input.
func (st *stageStats) beginWait() time.Time {
	t0 := time.Now()
	st.waitMu.Lock()
	st.waiting++
	st.waitSince += t0.UnixNano()
	st.waitMu.Unlock()
	return t0
}

// endWait records the end of a wait begun at t0, adding it to BlockedIn.
func (st *stageStats) endWait(t0 time.Time) {
	st.waitMu.Lock()
	st.waiting--
	st.waitSince -= t0.UnixNano()
	st.waitMu.Unlock()
	st.blockedIn.Add(int64(time.Since(t0)))
}

// waitingNow returns the time the stage's goroutines have been waiting for input so far in
// the waits they have not ended.
func (st *stageStats) waitingNow(now int64) time.Duration {
	st.waitMu.Lock()
	defer st.waitMu.Unlock()
	return time.Duration(st.waiting*now - st.waitSince)
}

// workerStats is one goroutine's unpublished share of a stage's counters. Only that goroutine
// touches it.
type workerStats struct {
	st                    *stageStats
	in, out, dropped      int64
	blockedIn, blockedOut int64
	seen                  uint64 // items seen, for sampling
	mask                  uint64 // an item is timed when seen&mask == 0
	sampledAt             uint64 // seen at the last timed item: a sample stands for the items since
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
	ws.st.addSample(d, int64(ws.seen-ws.sampledAt))
	ws.sampledAt = ws.seen
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

// addSample records the duration d of a timed item, which stands for the n items since the
// last timed one in the stage's busy time.
func (st *stageStats) addSample(d time.Duration, n int64) {
	st.hist.record(d)
	st.recordLatency(d)
	st.busyNs.Add(int64(d) * n)
}

// recordLatency adds a sampled latency to the stage's moving average (an approximate one:
// goroutines that sample at once may overwrite each other's update).
func (st *stageStats) recordLatency(d time.Duration) {
	old := st.latAvg.Load()
	if st.latSeen.Add(1) == 1 {
		st.latAvg.Store(int64(d))
		return
	}
	st.latAvg.Store(old + (int64(d)-old)/8)
}

// markFirst records the start of a stage's activity for throughput when no item is timed.
func (ws *workerStats) markFirst() {
	if !ws.sawFirst {
		ws.sawFirst = true
		ws.st.firstNs.CompareAndSwap(0, time.Now().UnixNano())
	}
}

// snapshot returns the live or final stats of st at now (unix nanos) of a run that started at
// start (Bottleneck is set by run.snapshot).
func (s *stageRun) snapshot(start, now int64) StageStats {
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
		Concurrency:  b.concurrency(),
		Goroutines:   int(st.goroutines.Load()),
		Processes:    int(st.procs.Load()),
	}
	switch {
	case b.spec.Strategy.Kind == Remote:
		out.Workers = int(st.remoteWorkers.Load())
		if st.endNs.Load() != 0 {
			out.Workers = int(st.peakWorkers.Load())
		}
	case !b.spec.Strategy.Kind.InProcess():
		out.Workers = out.Processes
	default:
		out.Workers = out.Concurrency
	}
	if b.spec.Kind == KindProducer {
		out.Total = b.spec.Total
	} else {
		q := st.hist.quantiles(0.50, 0.90, 0.95, 0.99)
		out.P50, out.P90, out.P95, out.P99 = q[0], q[1], q[2], q[3]
		if g, ok := s.gauge.Load().(queueGauge); ok {
			out.QueueLen, out.QueueCap = g.queued(), b.queueSize()
		}
	}
	end := st.endNs.Load()
	if end == 0 {
		end = now
	}
	if start != 0 {
		out.Elapsed = time.Duration(max(end-start, 0))
	}
	if first := st.firstNs.Load(); first != 0 {
		n := out.In
		if b.spec.Kind == KindProducer {
			n = out.Out
		}
		if secs := float64(end-first) / 1e9; secs > 0 {
			out.Throughput = float64(n) / secs
		}
	}
	switch {
	case b.spec.Kind == KindProducer:
		if st.firstNs.Load() != 0 {
			// The stages chained to it run in its emits: their time is theirs.
			busy := out.Elapsed - out.BlockedOut
			for _, k := range s.kids {
				busy -= time.Duration(k.stats.busyNs.Load() + k.stats.blockedOut.Load())
			}
			out.Busy = max(busy, 0)
		}
	case b.external():
		if n := st.latN.Load(); n > 0 {
			out.Busy = time.Duration(float64(st.latSum.Load()) / float64(n) * float64(out.In))
		}
	default:
		out.Busy = time.Duration(st.busyNs.Load())
	}
	if out.Elapsed > 0 {
		// An estimate from samples may overshoot when item costs vary: never more than the
		// stage's time alive on each of its goroutines or processes.
		out.Busy = min(out.Busy, out.Elapsed*time.Duration(out.Concurrency))
		out.BusyShare = float64(out.Busy) / (float64(out.Elapsed) * float64(out.Concurrency))
	}
	if s.chained != nil && out.BlockedIn == 0 {
		// A chained stage never waits on a queue: it waits while the stages before it work.
		// Its time waiting for input is its time alive less its own time in its body, the time
		// of the stages chained after it, which run in its emits, and its waits for room.
		if first := st.firstNs.Load(); first != 0 {
			busy := time.Duration(out.In) * st.hist.mean()
			out.BlockedIn = max(time.Duration(end-first)-busy-s.chainedAfter()-out.BlockedOut, 0)
		}
	}
	return out
}

// chainedAfter is the time in their bodies of the stages chained after s (a chained stage).
func (s *stageRun) chainedAfter() time.Duration {
	head := s
	for head.chained != nil && head.chained.up != nil {
		head = head.chained.up
	}
	var d time.Duration
	after := false
	for _, k := range head.kids {
		if after {
			d += time.Duration(k.stats.busyNs.Load())
		}
		after = after || k == s
	}
	return d
}

// concurrency is how many bodies of the stage may run at once.
func (b *stageBase) concurrency() int {
	switch {
	case b.spec.Kind == KindProducer, b.spec.Kind == KindAccumulator:
		return 1
	case b.spec.Strategy.Kind == Inline:
		return 1
	}
	return max(b.spec.Strategy.N, 1)
}

// external reports whether the stage's bodies run in worker processes.
func (b *stageBase) external() bool {
	return b.spec.Kind != KindProducer && b.spec.Kind != KindAccumulator && !b.spec.Strategy.Kind.InProcess()
}

// markBottleneck marks the stage the others wait on (DESIGN 3.1), given each stage's
// senders (ups, indexes into stages). Waiting for room downstream spreads back up a chain of
// stages, so the bottleneck is the stage whose senders wait most for room in its queue less
// the time it waits itself for room further down (ties: the busier). When no stage holds its
// senders back, it is the busiest stage that is busier than it waits for room downstream: a
// slow producer, or a slow stage whose queue never filled. A router, which only passes items
// on, is never busier than it waits, so it is never marked.
func markBottleneck(stages []StageStats, ups [][]int) {
	blocked := make([]float64, len(stages))
	for i, s := range stages {
		if s.Elapsed > 0 {
			blocked[i] = min(float64(s.BlockedOut)/(float64(s.Elapsed)*float64(max(s.Goroutines, 1))), 1)
		}
	}
	best, bestScore := -1, 0.05 // below 5% of their time, senders are not held back
	for i, s := range stages {
		held := 0.0
		for _, u := range ups[i] {
			held = max(held, blocked[u])
		}
		score := held - blocked[i]
		if score > bestScore || best >= 0 && score == bestScore && s.BusyShare > stages[best].BusyShare {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		// The busiest over the whole run: a stage's own share is of its own time, and a
		// producer that ended at once was busy all of it.
		var span time.Duration
		for _, s := range stages {
			span = max(span, s.Elapsed)
		}
		share := func(s StageStats) float64 {
			return float64(s.Busy) / (float64(span) * float64(max(s.Concurrency, 1)))
		}
		for i, s := range stages {
			if s.BusyShare > blocked[i] && (best < 0 || share(s) > share(stages[best])) {
				best = i
			}
		}
	}
	if best >= 0 {
		stages[best].Bottleneck = true
	}
}

// queueGauge is a stage's input queue seen by its stats.
type queueGauge interface {
	queued() int
}
