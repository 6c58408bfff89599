// Programs that once generated wrong code: each is run by regressions_test.go.
package behavior

import (
	"errors"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// to.x must deliver when the edge is also declared by the target's from(...).
pipeline ToWithFrom {
	state {
		got []int
	}
	consumer sink(n int) from(gen) { p.got = append(p.got, n) }
	producer gen() int to(sink) {
		for i := 0; i < 3; i++ {
			to.sink(i)
		}
	}
}

// to.x must deliver after a child's reroute keeps that edge.
pipeline RouteBase {
	state {
		a, b int
	}
	producer start() int to(left, right) {
		for i := 0; i < 4; i++ {
			to.left(i)
			to.right(i)
		}
	}
	consumer left(n int) { p.a++ }
	consumer right(n int) { p.b++ }
}

pipeline RouteChild extends RouteBase {
	reroute start -> left
}

// A child's process stage writes a merge field it inherits; a merge(FUNC)
// map field folds from its first delta.
pipeline MergeBase {
	state {
		n      int            merge(sum)
		counts map[string]int merge(AddCounts)
	}
	before_run {
		p.counts = map[string]int{}
	}
	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processes(2) {
		processor work(x int) int {
			p.n++
			p.counts["work"]++
			emit(x)
		}
	}
	consumer sink(x int) {}
}

pipeline MergeChild extends MergeBase {
	processes(2) {
		processor work2(x int) int from(work) {
			p.n++
			p.counts["work2"]++
			emit(x)
		}
	}
	consumer sink2(x int) from(work2) {}
}

// A child that redeclares a parameter without a default gets the zero value.
pipeline ParamBase {
	param Label string = "base"
	producer gen() int { emit(1) }
	consumer sink(n int) {}
}

pipeline ParamChild extends ParamBase {
	param Label string
}

// A dead-letter stage declared right after its sender is not the sender's
// sequential downstream: the next stage with an input is.
pipeline DeadLetterInline {
	state {
		dead []int
		kept []int
	}
	producer gen() int {
		for i := 0; i < 6; i++ {
			emit(i)
		}
	}
	processor check(n int) int dead_letter(rejects) {
		if n%3 == 0 {
			return errors.New("multiple of three")
		}
		emit(n)
	}
	consumer rejects(f mgrt.Failed[int]) { p.dead = append(p.dead, f.Item) }
	consumer keep(n int) { p.kept = append(p.kept, n) }
}

go {
	// AddCounts merges per-key counts.
	func AddCounts(into, from map[string]int) map[string]int {
		for k, v := range from {
			into[k] += v
		}
		return into
	}
}

// A union field of a named map type: a worker starts with its own copy of the
// parent's map (nil allocated), and a failed attempt's writes are undone.
pipeline NamedUnion {
	state {
		seen Seen merge(union)
	}
	producer gen() int {
		for i := 1; i <= 20; i++ {
			emit(i)
		}
	}
	processor mark(n int) int processes(2) retry(1) {
		p.seen[-n] = true
		if n%4 == 0 && !tried[n] {
			tried[n] = true // in this worker process: the retry runs here too
			return errors.New("first attempt fails")
		}
		delete(p.seen, -n)
		p.seen[n] = true
		emit(n)
	}
	consumer sink(n int) {}
}

go {
	// Seen is a set of item numbers.
	type Seen map[int]bool

	// tried records, in each worker process, the items whose first attempt failed.
	var tried = map[int]bool{}
}

// A pipeline whose name starts with a non-ASCII upper-case letter, with
// stages named in lower-case letters of the same script.
pipeline Ünïcode {
	state {
		got []int
	}
	producer gén() int {
		emit(1)
		emit(2)
	}
	consumer sïnk(n int) { p.got = append(p.got, n) }
}

// Hooks of stages that a child's reroute dropped do not fire, nor do the
// pipeline-level hooks of a nested pipeline whose every stage was dropped;
// the nested pipeline's sink is not the host's sink.
pipeline Audit {
	state {
		events []string
	}
	processor stamp(n int) int { emit(n) }
	consumer sink(n int) {}
	before_run { p.events = append(p.events, "audit before_run") }
	after(sink) { p.events = append(p.events, "audit after(sink)") }
	before(stamp) { p.events = append(p.events, "audit before(stamp)") }
}

pipeline AuditedBase {
	state {
		got []int
	}
	producer gen() int to(audit, sink) {
		emit(1)
	}
	nested audit = Audit
	consumer sink(n int) { p.got = append(p.got, n) }
}

pipeline AuditedChild extends AuditedBase {
	reroute gen -> sink
}

// A producer-less pipeline whose entrance is a batch, nested in another: the
// batch takes its item type from the stage after it.
pipeline Batcher {
	state {
		batches [][]int
	}
	batch 3
	consumer keep(b []int) { p.batches = append(p.batches, b) }
}

pipeline BatchedHost {
	producer gen() int {
		for i := 0; i < 7; i++ {
			emit(i)
		}
	}
	nested batcher = Batcher
}

// A chain of inline stages, where some bodies end in their only emit: a panic
// is the failure of the stage it happened in, on that stage's item, and never
// cuts short a body that had work left after its emit (c counts after its
// emit, also for the item e panics on).
pipeline ChainPanics {
	state {
		got       []int
		afterEmit int
	}
	producer gen() int {
		for i := 1; i <= 20; i++ {
			emit(i)
		}
	}
	processor a(x int) int { emit(x * 10) }
	processor b(x int) int {
		if x%50 == 0 {
			panic("b")
		}
		emit(x / 10)
	}
	processor c(x int) int {
		emit(x)
		p.afterEmit++
		if x == 7 {
			panic("c after emit")
		}
	}
	processor d(x int) int { emit(x) }
	consumer e(x int) {
		if x == 11 {
			panic("e")
		}
		p.got = append(p.got, x)
	}
}
