package engine

import "time"

// flusher is an output buffer that a goroutine flushes before it waits and when it ends, and
// between items when its receiver has asked.
type flusher interface {
	flush()
	flushIfAsked()
}

// runner is the context of one goroutine of a run: the output buffers it fills and the
// counters it keeps, for its own stage and for the stages fused into it.
type runner struct {
	_        cacheLinePad
	run      *run
	flushers []flusher
	stats    []*workerStats
	fused    []drainer // stages fused into this goroutine, in topological order
	slot     bool      // holds a max_threads slot
	fulls    uint      // local queues of fused stages filled: every 16th publishes the counters

	// Latency of fused stages: while an item is timed (timing > 0), the time spent in stages
	// fused into it is summed in nested and subtracted from its own.
	timing int
	nested time.Duration
	_      cacheLinePad
}

func (r *run) newRunner() *runner { return &runner{run: r} }

func (r *runner) addFlusher(f flusher) { r.flushers = append(r.flushers, f) }

func (r *runner) addStats(ws *workerStats) { r.stats = append(r.stats, ws) }

// idle processes what the fused stages hold, flushes every output buffer and publishes the
// counters: the goroutine is about to wait.
func (r *runner) idle() {
	r.drainFused()
	for _, f := range r.flushers {
		f.flush()
	}
	for _, ws := range r.stats {
		ws.publish()
	}
}

// drainFused processes the items queued for the stages fused into this goroutine.
func (r *runner) drainFused() {
	for _, f := range r.fused {
		f.drain()
	}
}

// afterItems is called after a chunk of items, or after each slow item: the fused stages
// process what they got, and the buffers whose receivers are idle are flushed.
func (r *runner) afterItems() {
	r.drainFused()
	r.poll()
}

// poll flushes the buffers whose receivers are idle.
func (r *runner) poll() {
	for _, f := range r.flushers {
		f.flushIfAsked()
	}
}

// acquireSlot takes a max_threads slot when the run caps Threads bodies.
func (r *runner) acquireSlot() {
	slots := r.run.slots
	if slots == nil || r.slot {
		return
	}
	select {
	case slots <- struct{}{}:
	default:
		r.idle()
		slots <- struct{}{}
	}
	r.slot = true
}

func (r *runner) releaseSlot() {
	if r.slot {
		<-r.run.slots
		r.slot = false
	}
}

// cacheLinePad keeps the fields that one goroutine writes for each item off the cache lines
// of other goroutines' data: objects allocated together at build time would otherwise share
// lines, and every write would bounce them between cores.
type cacheLinePad [64]byte
