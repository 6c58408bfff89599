// Table "Composition" of shared/MINIGUN.md: nested pipelines, named
// sub-pipelines, inheritance and reroute. composition_test.go runs them.
package behavior

import (
	"fmt"
	"sync/atomic"
	"time"
)

// A producer-less pipeline with its own parameter and state, used as a stage.
pipeline Scale {
	param Factor int = 2

	state {
		seen atomic.Int64
	}

	processor mul(n int) int {
		p.seen.Add(1)
		emit(n * p.Factor)
	}
	processor inc(n int) int { emit(n + 1) }
}

// Two nested copies of Scale, each its own value; the host has a parameter of
// the same name that the nested bodies do not see.
pipeline UsesNested {
	param Factor int = 100

	state {
		got Bag[int]
	}

	producer start() int {
		for i := 1; i <= 5; i++ {
			emit(i)
		}
	}
	nested first = Scale
	nested second = Scale
	consumer collect(n int) { p.got.Add(n) }
}

go {
	// Nested returns the two nested pipeline values.
	func (p *UsesNested) Nested() (first, second *Scale) { return p.mgNestedFirst, p.mgNestedSecond }
}

// Named sub-pipelines routed 1–1 (ingest -> validate), 1–n (validate -> fast,
// slow: broadcast) and n–1 (fast, slow -> report).
pipeline Flow {
	state {
		fast, slow, report Bag[int]
	}

	pipeline ingest to(validate) {
		producer read() int {
			for i := 1; i <= 10; i++ {
				emit(i)
			}
		}
		processor parse(n int) int { emit(n) }
	}
	pipeline validate to(fast, slow) {
		processor check(n int) int { emit(n) }
	}
	pipeline fast to(report) {
		processor f(n int) int {
			p.fast.Add(n)
			emit(n)
		}
	}
	pipeline slow to(report) {
		processor s(n int) int {
			p.slow.Add(n)
			emit(n + 100)
		}
	}
	pipeline report {
		consumer r(n int) { p.report.Add(n) }
	}
}

// Dynamic routing to named sub-pipelines.
pipeline Split {
	state {
		small, large Bag[int]
	}

	pipeline ingest to(triage) {
		producer read() int {
			for i := 1; i <= 10; i++ {
				emit(i)
			}
		}
	}
	pipeline triage to(small, large) {
		processor check(n int) int to(small, large) {
			if n <= 3 {
				to.small(n)
			} else {
				to.large(n)
			}
		}
	}
	pipeline small {
		consumer keep(n int) { p.small.Add(n) }
	}
	pipeline large {
		consumer keep(n int) { p.large.Add(n) }
	}
}

// A sub-pipeline with its own producer and an upstream keeps both inputs.
pipeline BothInputs {
	state {
		got Bag[int]
		log Bag[string]
	}

	pipeline up to(down) {
		producer a() int {
			for i := 1; i <= 3; i++ {
				p.log.Add("emit")
				emit(i)
			}
		}
	}
	pipeline down {
		producer b() int {
			time.Sleep(5 * time.Millisecond)
			p.log.Add("emit")
			emit(100)
			p.log.Add("emit")
			emit(101)
		}
		processor pass(n int) int { emit(n) }
		consumer keep(n int) { p.got.Add(n) }
	}

	after_producer { p.log.Add("after_producer") }
}

// A base pipeline, and children that add, redeclare and reroute.
pipeline Base {
	param Label string = "base"
	param Count int = 3

	state {
		log Bag[string]
		got Bag[int]
	}

	producer start() int {
		for i := 1; i <= p.Count; i++ {
			emit(i)
		}
	}
	processor square(n int) int { emit(n * n) }
	consumer collect(n int) { p.got.Add(n) }

	before(square) { p.log.Add("before(square)") }
	after_run { p.log.Add("Base after_run " + p.Label) }
}

// The child adds a stage and a hook after the parent's, and redeclares a
// parameter's default.
pipeline Child extends Base {
	param Label string = "child"

	consumer audit(n int) from(square) { p.log.Add(fmt.Sprint("audit ", n)) }

	before(square) { p.log.Add("child before(square)") }
	after_run { p.log.Add("Child after_run " + p.Label) }
}

// The child bypasses square: it is dropped, and its hook with it.
pipeline Skip extends Base {
	reroute start -> collect
}

// A chain a -> b -> c: bypassing it drops all three, one after the other.
pipeline LongBase {
	state {
		got Bag[int]
	}

	producer start() int {
		for i := 1; i <= 3; i++ {
			emit(i)
		}
	}
	processor a(n int) int { emit(n * 10) }
	processor b(n int) int { emit(n * 10) }
	processor c(n int) int { emit(n * 10) }
	consumer collect(n int) { p.got.Add(n) }
}

pipeline LongSkip extends LongBase {
	reroute start -> collect
}

pipeline ShortCut extends LongBase {
	reroute a -> c
}

// A sub-pipeline whose exit is two stages (both send nowhere inside it):
// both feed the next sub-pipeline.
pipeline TwoExits {
	state {
		got Bag[int]
	}

	pipeline source to(fan) {
		producer gen() int {
			for i := 1; i <= 4; i++ {
				emit(i)
			}
		}
	}
	pipeline fan to(sink) {
		processor split(n int) int to(low, high) { emit(n) }
		processor low(n int) int { emit(n) }
		processor high(n int) int from(split) { emit(n * 100) }
	}
	pipeline sink {
		consumer keep(n int) { p.got.Add(n) }
	}
}
