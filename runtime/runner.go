package mgrt

import (
	"sync/atomic"
	"time"
)

// flusher is an output buffer that a goroutine flushes before it waits and when it ends.
type flusher interface {
	flush()
}

// runner is the context of one goroutine of a run: the output buffers it fills and the
// counters it keeps, for its own stage and for the stages fused into it.
type runner struct {
	run      *run
	flushers []flusher
	requests []*atomic.Bool // requests[i] is set when flushers[i]'s receiver is idle
	stats    []*workerStats
	slot     bool // holds a max_threads slot

	// Latency of fused stages: while an item is timed (timing > 0), the time spent in stages
	// fused into it is summed in nested and subtracted from its own.
	timing int
	nested time.Duration
}

func (r *run) newRunner() *runner { return &runner{run: r} }

func (r *runner) addFlusher(f flusher, req *atomic.Bool) {
	r.flushers = append(r.flushers, f)
	r.requests = append(r.requests, req)
}

func (r *runner) addStats(ws *workerStats) { r.stats = append(r.stats, ws) }

// idle flushes every output buffer and publishes the counters: the goroutine is about to wait.
func (r *runner) idle() {
	for _, f := range r.flushers {
		f.flush()
	}
	for _, ws := range r.stats {
		ws.publish()
	}
}

// poll flushes the buffers whose receivers are idle. Called between items.
func (r *runner) poll() {
	for i, req := range r.requests {
		if req.Load() {
			r.flushers[i].flush()
		}
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
