// Table "Execution" of shared/MINIGUN.md, in-process strategies: inline,
// threads, named contexts, strategy blocks, the execution default,
// max_threads, ordered and backpressure. execution_test.go runs them.
package behavior

import (
	"sync"
	"sync/atomic"
	"time"
)

// No strategy anywhere: every stage is inline, one body at a time.
pipeline InlineDefault {
	state {
		gauge Gauge
		got   Bag[int]
	}

	producer gen() int {
		for i := 0; i < 200; i++ {
			emit(i)
		}
	}
	processor work(n int) int {
		p.gauge.Enter()
		time.Sleep(20 * time.Microsecond)
		p.gauge.Leave()
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
}

// threads(4): four bodies run at once. Each body waits until four run
// together (or 5 s), so the run proves they do.
pipeline ThreadsReal {
	param Items int = 8

	state {
		gauge    Gauge
		timedOut atomic.Int64
		got      Bag[int]
	}

	before_run { p.gauge.Expect(4) }

	producer gen() int {
		for i := 0; i < p.Items; i++ {
			emit(i)
		}
	}
	processor work(n int) int threads(4) {
		p.gauge.Enter()
		defer p.gauge.Leave()
		if !p.gauge.Await(5 * time.Second) {
			p.timedOut.Add(1)
		}
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
}

// A named context used by a stage: three bodies at once, never more.
pipeline NamedContext {
	context io = threads(3)

	state {
		gauge    Gauge
		timedOut atomic.Int64
	}

	before_run { p.gauge.Expect(3) }

	producer gen() int {
		for i := 0; i < 12; i++ {
			emit(i)
		}
	}
	processor fetch(n int) int context(io) {
		p.gauge.Enter()
		defer p.gauge.Leave()
		if !p.gauge.Await(5 * time.Second) {
			p.timedOut.Add(1)
		}
		time.Sleep(time.Millisecond)
		emit(n)
	}
	consumer keep(n int) {}
}

// Strategy blocks nest: the innermost wins, and a stage's own option beats
// its block; the pipeline's execution applies outside any block.
pipeline Blocks {
	execution threads(7)
	context io = threads(9)

	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < 50; i++ {
			emit(i)
		}
	}
	threads(5) {
		processor outer(n int) int { emit(n) }
		threads(2) {
			processor inner(n int) int { emit(n) }
			processor own(n int) int threads(3) { emit(n) }
			processor ctx_opt(n int) int context(io) { emit(n) }
		}
		processor flat(n int) int inline { emit(n) }
		processor after_inner(n int) int { emit(n) }
	}
	processor default_exec(n int) int { emit(n) }
	consumer keep(n int) inline { p.got.Add(n) }
}

// max_threads 3 caps the bodies of all threads stages together.
pipeline MaxThreads {
	max_threads 3

	state {
		gauge Gauge
		got   Bag[int]
	}

	producer gen() int {
		for i := 0; i < 120; i++ {
			emit(i)
		}
	}
	processor a(n int) int threads(4) {
		p.gauge.Enter()
		time.Sleep(500 * time.Microsecond)
		p.gauge.Leave()
		emit(n)
	}
	processor b(n int) int threads(4) {
		p.gauge.Enter()
		time.Sleep(500 * time.Microsecond)
		p.gauge.Leave()
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
}

// The same stages without the cap, to show that the workload would exceed it.
pipeline NoMaxThreads {
	state {
		gauge Gauge
	}

	producer gen() int {
		for i := 0; i < 120; i++ {
			emit(i)
		}
	}
	processor a(n int) int threads(4) {
		p.gauge.Enter()
		time.Sleep(500 * time.Microsecond)
		p.gauge.Leave()
		emit(n)
	}
	processor b(n int) int threads(4) {
		p.gauge.Enter()
		time.Sleep(500 * time.Microsecond)
		p.gauge.Leave()
		emit(n)
	}
	consumer keep(n int) {}
}

// ordered with threads: emits leave in input order although bodies finish
// out of order (every fourth item is slow).
pipeline Ordered {
	param Items int = 200

	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < p.Items; i++ {
			emit(i)
		}
	}
	processor work(n int) int threads(4) ordered {
		if n%4 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
}

// The same without ordered: the slow items come out late.
pipeline Unordered {
	param Items int = 200

	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < p.Items; i++ {
			emit(i)
		}
	}
	processor work(n int) int threads(4) {
		if n%4 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
}

// Backpressure: a slow consumer with queue_size(4) holds the producer back;
// the consumer measures how far the producer ran ahead of it.
pipeline Backpressure {
	param Items int = 300

	state {
		produced atomic.Int64
		consumed int64
		maxLag   int64
	}

	producer gen() int {
		for i := 0; i < p.Items; i++ {
			emit(i)
			p.produced.Add(1)
		}
	}
	consumer slow(n int) queue_size(4) {
		p.consumed++
		if lag := p.produced.Load() - p.consumed; lag > p.maxLag {
			p.maxLag = lag
		}
		time.Sleep(100 * time.Microsecond)
	}
}

go {
	// Lag returns the items consumed and the largest lead of the producer over the consumer.
	func (p *Backpressure) Lag() (consumed, maxLag int64) { return p.consumed, p.maxLag }
}

// Per-stage options of DESIGN 2.4 beyond strategies: timeout(D) gives each
// attempt a deadline through the body's ctx.
pipeline StageOptions {
	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < 4; i++ {
			emit(i)
		}
	}
	processor slow(n int) int timeout(20ms) {
		if n == 1 {
			<-ctx.Done() // only the deadline ends this wait
			return ctx.Err()
		}
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
}

// max_threads 1 over a chain of threads stages with tiny queues: the one
// slot moves between stages, the run ends.
pipeline OneSlot {
	max_threads 1
	queue_size 1

	state {
		gauge Gauge
		got   Bag[int]
	}

	producer gen() int {
		for i := 0; i < 200; i++ {
			emit(i)
		}
	}
	processor a(n int) int threads(2) {
		p.gauge.Enter()
		p.gauge.Leave()
		emit(n)
		emit(n + 1000)
	}
	processor b(n int) int threads(2) {
		p.gauge.Enter()
		p.gauge.Leave()
		emit(n)
	}
	consumer keep(n int) threads(2) { p.got.Add(n) }
}

// ordered with several emits per item: they stay grouped, in input order.
pipeline OrderedMulti {
	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < 100; i++ {
			emit(i)
		}
	}
	processor multi(n int) int threads(4) ordered {
		if n%5 == 0 {
			time.Sleep(time.Millisecond)
		}
		for j := 0; j < n%3; j++ {
			emit(n*10 + j)
		}
	}
	consumer keep(n int) { p.got.Add(n) }
}

// queue_size(unbounded): the producer never waits for the slow consumer.
pipeline Unbounded {
	param Items int = 300

	state {
		produced atomic.Int64
		consumed int64
		maxLag   int64
	}

	producer gen() int {
		for i := 0; i < p.Items; i++ {
			emit(i)
			p.produced.Add(1)
		}
	}
	consumer slow(n int) queue_size(unbounded) {
		p.consumed++
		if lag := p.produced.Load() - p.consumed; lag > p.maxLag {
			p.maxLag = lag
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// A nested pipeline's own execution default applies to its stages; the
// host's max_threads caps them with the host's own threads stages.
pipeline CappedInner {
	execution threads(3)

	state {
		gauge *Gauge
	}

	processor work(n int) int threads(4) {
		p.gauge.Enter()
		time.Sleep(500 * time.Microsecond)
		p.gauge.Leave()
		emit(n)
	}
	processor other(n int) int { emit(n) }
}

pipeline CappedHost {
	max_threads 2

	state {
		gauge Gauge
	}

	before_run { p.mgNestedInner.gauge = &p.gauge }

	producer gen() int {
		for i := 0; i < 100; i++ {
			emit(i)
		}
	}
	nested inner = CappedInner
	processor own(n int) int threads(4) {
		p.gauge.Enter()
		time.Sleep(500 * time.Microsecond)
		p.gauge.Leave()
		emit(n)
	}
	consumer sink(n int) {}
}

// Option arguments read from params when the run starts (DESIGN 2.4).
pipeline ParamOptions {
	param Workers int = 2
	param Size int = 3
	param Queue int64 = 7
	param Wait time.Duration = time.Second
	max_threads Workers
	state {
		mu       sync.Mutex
		produced int
		batches  int
	}
	producer gen() int total(Size) {
		p.produced++
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processor work(n int) int threads(Workers) queue_size(Queue) timeout(Wait) { emit(n) }
	batch Size every Wait
	consumer sink(b []int) {
		p.mu.Lock()
		p.batches++
		p.mu.Unlock()
	}
}

// A nested pipeline's option reads its own param, through the host's value.
pipeline NestedParamOptions {
	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	nested inner = ParamInner
}

pipeline ParamInner {
	param K int = 2
	consumer sink(n int) threads(K) {}
}
