// Table "Routing" of shared/MINIGUN.md: the sequential rule, to/from,
// broadcast, round robin, fan-in, dynamic routing, named queues and exact end
// of stream. routing_test.go runs them.
package behavior

import (
	"sync/atomic"
	"time"
)

// The sequential rule: each stage sends to the next one in source order that
// has an input and no from(...). side takes from(gen), so a skips it; c2
// takes from(b); the consumer c1 sends nothing, in particular not to c2.
pipeline Sequential {
	state {
		side, c1, c2 Bag[int]
	}

	producer gen() int {
		for i := 1; i <= 5; i++ {
			emit(i)
		}
	}
	processor a(n int) int { emit(n * 10) }
	consumer side(n int) from(gen) { p.side.Add(n) }
	processor b(n int) int { emit(n + 1) }
	consumer c1(n int) { p.c1.Add(n) }
	consumer c2(n int) from(b) { p.c2.Add(n) }
}

go {
	// Got returns what side, c1 and c2 received.
	func (p *Sequential) Got() (side, c1, c2 []int) { return p.side.Items(), p.c1.Items(), p.c2.Items() }
}

// Explicit edges: to(...) replaces the sequential rule (path_a does not send
// to path_b, its next stage), from(...) names exact upstreams.
pipeline Explicit {
	state {
		merged Bag[int]
	}

	producer source() int to(path_a, path_b) {
		for i := 1; i <= 5; i++ {
			emit(i)
		}
	}
	processor path_a(n int) int to(merge) { emit(n * 2) }
	processor path_b(n int) int to(merge) { emit(n * 3) }
	consumer merge(n int) from(path_a, path_b) { p.merged.Add(n) }
}

go {
	// Merged returns what merge received.
	func (p *Explicit) Merged() []int { return p.merged.Items() }
}

// Broadcast by default: every downstream gets every item.
pipeline Broadcast {
	state {
		a, b, c Bag[int]
	}

	producer source() int to(a, b, c) {
		for i := 0; i < 100; i++ {
			emit(i)
		}
	}
	consumer a(n int) { p.a.Add(n) }
	consumer b(n int) { p.b.Add(n) }
	consumer c(n int) threads(3) { p.c.Add(n) }
}

go {
	// Got returns what a, b and c received.
	func (p *Broadcast) Got() (a, b, c []int) { return p.a.Items(), p.b.Items(), p.c.Items() }
}

// routing(round_robin): one downstream per item, in turn, starting with the
// first listed.
pipeline RoundRobin {
	state {
		w1, w2, w3 Bag[int]
	}

	producer source() int to(w1, w2, w3) routing(round_robin) {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	consumer w1(n int) { p.w1.Add(n) }
	consumer w2(n int) { p.w2.Add(n) }
	consumer w3(n int) { p.w3.Add(n) }
}

go {
	// Got returns what w1, w2 and w3 received.
	func (p *RoundRobin) Got() (w1, w2, w3 []int) { return p.w1.Items(), p.w2.Items(), p.w3.Items() }
}

// Fan-in: three upstreams, one through the sequential rule, interleave into one stage.
pipeline FanIn {
	state {
		got Bag[int]
	}

	producer odds() int to(merge) {
		for i := 1; i < 2000; i += 2 {
			emit(i)
		}
	}
	producer evens() int to(double) {
		for i := 0; i < 1000; i += 2 {
			emit(i)
		}
	}
	processor double(n int) int threads(2) { emit(n + 1000) }
	consumer merge(n int) { p.got.Add(n) }
}

go {
	// Got returns what merge received.
	func (p *FanIn) Got() []int { return p.got.Items() }
}

// Dynamic routing with to.NAME: each item goes to the one stage named.
pipeline Dynamic {
	state {
		even, odd Bag[int]
	}

	producer numbers() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processor split(n int) int to(evens, odds) {
		if n%2 == 0 {
			to.evens(n * 2)
		} else {
			to.odds(n * 3)
		}
	}
	consumer evens(n int) { p.even.Add(n) }
	consumer odds(n int) { p.odd.Add(n) }
}

go {
	// Got returns what evens and odds received.
	func (p *Dynamic) Got() (even, odd []int) { return p.even.Items(), p.odd.Items() }
}

// A named queue fed by a dynamic sender and a static one, shared by two
// subscribers: each urgent item reaches exactly one of them.
pipeline Jobs {
	state {
		normal, fast1, fast2 Bag[int]
	}

	queue urgent int

	producer gen() int to(triage, escalate) {
		for i := 0; i < 100; i++ {
			emit(i)
		}
	}
	processor triage(n int) int to(urgent, normal) {
		if n%10 == 0 {
			to.urgent(n)
		} else {
			to.normal(n)
		}
	}
	processor escalate(n int) int to(urgent) {
		if n%25 == 1 {
			emit(1000 + n)
		}
	}
	consumer normal(n int) { p.normal.Add(n) }
	consumer fast1(n int) from(urgent) { p.fast1.Add(n) }
	consumer fast2(n int) from(urgent) { p.fast2.Add(n) }
}

go {
	// Got returns what normal, fast1 and fast2 received.
	func (p *Jobs) Got() (normal, fast1, fast2 []int) {
		return p.normal.Items(), p.fast1.Items(), p.fast2.Items()
	}
}

// Exact end of stream: two dynamic senders into sink, one fast, one slow that
// starts sending only once fast has ended (Ruby ends sink at the first
// sender's end and loses the slow one's items).
pipeline EndOfStream {
	param Count int = 30

	state {
		got       Bag[int]
		fastEnded chan struct{}
		waited    atomic.Bool
		timedOut  atomic.Bool
	}

	before_run {
		p.fastEnded = make(chan struct{})
	}

	producer gen() int to(fast, slow) {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}
	processor fast(n int) int to(sink, other) {
		to.sink(n)
	}
	processor slow(n int) int to(sink, other) {
		if !p.waited.Swap(true) {
			select {
			case <-p.fastEnded:
			case <-time.After(5 * time.Second):
				p.timedOut.Store(true)
			}
		}
		time.Sleep(time.Millisecond)
		to.sink(1000 + n)
	}
	consumer sink(n int) { p.got.Add(n) }
	consumer other(n int) {}

	after(fast) {
		close(p.fastEnded)
	}
}

go {
	// Got returns what sink received, and whether slow gave up waiting for fast to end.
	func (p *EndOfStream) Got() ([]int, bool) { return p.got.Items(), p.timedOut.Load() }
}

// await is accepted for Ruby ports and has no effect.
pipeline Await {
	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processor a(n int) int await { emit(n) }
	consumer sink(n int) await(5s) { p.got.Add(n) }
}

go {
	// Got returns what sink received.
	func (p *Await) Got() []int { return p.got.Items() }
}

// Round robin from a stage on three goroutines: still one downstream per item
// in turn, so each gets a third.
pipeline RoundRobinThreads {
	state {
		w1, w2, w3 Bag[int]
	}

	producer source() int {
		for i := 0; i < 300; i++ {
			emit(i)
		}
	}
	processor spread(n int) int threads(3) to(w1, w2, w3) routing(round_robin) {
		emit(n)
	}
	consumer w1(n int) { p.w1.Add(n) }
	consumer w2(n int) { p.w2.Add(n) }
	consumer w3(n int) { p.w3.Add(n) }
}

// One edge declared on both sides (to on the sender, from on the receiver) is
// one edge: items are not delivered twice. The producer routes dynamically.
pipeline EdgeSet {
	state {
		got, odd Bag[int]
	}

	producer gen() int to(keep, odd) {
		for i := 0; i < 10; i++ {
			if i%2 == 0 {
				to.keep(i)
			} else {
				to.odd(i)
			}
		}
	}
	consumer keep(n int) from(gen) { p.got.Add(n) }
	consumer odd(n int) from(gen) { p.odd.Add(n) }
}
