// Table "Hooks" of shared/MINIGUN.md, in-process hooks: before_run,
// after_run, after_producer, before/after(stage) at every level, on_error.
// hooks_test.go runs them.
package behavior

import (
	"errors"
	"fmt"
	"time"
)

// Every run-level and stage hook of a root pipeline with two producers.
pipeline Hooked {
	state {
		log       Bag[string]
		resultIn  int64
		resultErr error
	}

	before_run { p.log.Add("before_run") }

	producer gen1() int to(work) {
		for i := 0; i < 20; i++ {
			p.log.Add("emit")
			emit(i)
		}
	}
	producer gen2() int to(work) {
		time.Sleep(5 * time.Millisecond)
		for i := 20; i < 40; i++ {
			p.log.Add("emit")
			emit(i)
		}
	}
	processor work(n int) int threads(3) {
		p.log.Add("item work")
		emit(n)
	}
	consumer sink(n int) { p.log.Add("item sink") }

	after_producer { p.log.Add("after_producer") }
	before(gen1) { p.log.Add("before(gen1)") }
	after(gen1) { p.log.Add("after(gen1)") }
	before(work) { p.log.Add("before(work)") }
	after(work) { p.log.Add("after(work)") }
	before(sink) { p.log.Add("before(sink)") }
	after(sink) { p.log.Add("after(sink)") }

	after_run {
		p.log.Add("after_run")
		if st, ok := result.Stage("sink"); ok {
			p.resultIn = st.In
		}
	}
}

go {
	// Log returns the hook and body events, in the order they happened.
	func (p *Hooked) Log() []string { return p.log.Items() }
}

// A nested pipeline with hooks of its own: they fire on its own value.
pipeline HookedInner {
	state {
		log Bag[string]
	}

	processor twice(n int) int {
		p.log.Add("item twice")
		emit(n * 2)
	}

	before(twice) { p.log.Add("before(twice)") }
	after(twice) { p.log.Add("after(twice)") }
}

// Hooks at every level: the root, a nested pipeline, an inline sub-pipeline
// (declared inside it and, qualified, in the root).
pipeline HookedLevels {
	state {
		log Bag[string]
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	nested inner = HookedInner
	pipeline sub {
		processor step(n int) int threads(2) {
			p.log.Add("item step")
			emit(n + 1)
		}
		before(step) { p.log.Add("sub before(step)") }
		after(step) { p.log.Add("sub after(step)") }
	}
	consumer sink(n int) from(sub.step) { p.got.Add(n) }

	before(sub.step) { p.log.Add("root before(sub.step)") }
	after(inner.twice) { p.log.Add("root after(inner.twice)") }
}

go {
	// Logs returns the events of the host and of its nested pipeline.
	func (p *HookedLevels) Logs() (host, inner []string) { return p.log.Items(), p.mgNestedInner.log.Items() }
}

// after(stage) also when the stage failed: every item of fails fails, and the
// producer returns an error after its items.
pipeline HookedFailures {
	state {
		log Bag[string]
	}

	producer gen() int {
		for i := 0; i < 5; i++ {
			emit(i)
		}
		return errors.New("producer gave up")
	}
	processor fails(n int) int threads(2) {
		p.log.Add("item fails")
		if n == 4 {
			panic("four")
		}
		return fmt.Errorf("item %d failed", n)
	}
	consumer sink(n int) {}

	after(gen) { p.log.Add("after(gen)") }
	after(fails) { p.log.Add("after(fails)") }
	after(sink) { p.log.Add("after(sink)") }
	on_error(fails) (err error, item any) {
		p.log.Add(fmt.Sprintf("on_error(fails) %v: %v", item, err))
	}
}

go {
	// Log returns the events, in order.
	func (p *HookedFailures) Log() []string { return p.log.Items() }
}

// on_error fires once per item that failed for good (after its retries).
pipeline OnError {
	state {
		errs  Bag[string]
		items Bag[int]
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processor check(n int) int retry(1) {
		if n%3 == 0 {
			return fmt.Errorf("bad %d", n)
		}
		emit(n)
	}
	consumer sink(n int) {}

	on_error(check) (err error, item any) {
		p.errs.Add(err.Error())
		p.items.Add(item.(int))
	}
}

// Many hooks that could overlap: stage hooks of stages running side by side
// and on_error for items failing on four goroutines. Each hook stays a while
// and the gauge records how many ran at once.
pipeline HooksSerial {
	state {
		gauge Gauge
		calls Bag[string]
	}

	producer gen() int to(a, b, c) {
		for i := 0; i < 40; i++ {
			emit(i)
		}
	}
	processor a(n int) int threads(4) {
		if n%2 == 0 {
			return errors.New("even")
		}
		emit(n)
	}
	processor b(n int) int threads(4) { emit(n) }
	processor c(n int) int threads(4) { emit(n) }
	consumer sink(n int) threads(4) {}

	before(a) { p.hook("before(a)") }
	before(b) { p.hook("before(b)") }
	before(c) { p.hook("before(c)") }
	before(sink) { p.hook("before(sink)") }
	after(a) { p.hook("after(a)") }
	after(b) { p.hook("after(b)") }
	after(c) { p.hook("after(c)") }
	after(sink) { p.hook("after(sink)") }
	after_producer { p.hook("after_producer") }
	on_error(a) (err error, item any) { p.hook("on_error(a)") }
}

go {
	func (p *HooksSerial) hook(name string) {
		p.gauge.Enter()
		p.calls.Add(name)
		time.Sleep(500 * time.Microsecond)
		p.gauge.Leave()
	}
}

// A nested pipeline with run-level hooks: they fire once, like the root's.
pipeline RunHooksInner {
	state {
		log Bag[string]
	}

	before_run { p.log.Add("before_run") }
	processor inc(n int) int { emit(n + 1) }
	after_run { p.log.Add("after_run") }
}

pipeline RunHooksOuter {
	state {
		log Bag[string]
	}

	before_run { p.log.Add("before_run") }
	producer gen() int {
		for i := 0; i < 3; i++ {
			emit(i)
		}
	}
	nested inner = RunHooksInner
	pipeline sub {
		before_run { p.log.Add("sub before_run") }
		consumer keep(n int) {}
		after_run { p.log.Add("sub after_run") }
	}
	after_run { p.log.Add("after_run") }
}

go {
	// Logs returns the events of the host and of its nested pipeline.
	func (p *RunHooksOuter) Logs() (host, inner []string) { return p.log.Items(), p.mgNestedInner.log.Items() }
}
