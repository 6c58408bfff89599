// Table "Stages" of shared/MINIGUN.md: producer forms, typed consumers,
// accumulators, batch and custom stages. stages_test.go runs them.
package behavior

import (
	"context"
	"errors"
	"iter"
	"sync"
	"sync/atomic"
	"time"
)

go {
	// PlainNumbers is a producer of shape func(emit func(T)).
	func PlainNumbers(emit func(int)) {
		emit(10)
		emit(11)
	}

	// CtxNumbers is a producer of shape func(ctx, emit func(T)) error.
	func CtxNumbers(ctx context.Context, emit func(int)) error {
		emit(20)
		return nil
	}

	// SeqNumbers is a producer of shape func() iter.Seq[T].
	func SeqNumbers() iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := 30; i < 33; i++ {
				if !yield(i) {
					return
				}
			}
		}
	}

	// gen is a producer bound as a method expression: it sees the pipeline as receiver.
	func (p *ProducerForms) gen(emit func(int)) {
		emit(p.Base)
	}

	// Got returns what the consumer received.
	func (p *ProducerForms) Got() []int { return p.got.Items() }
}

// Every producer shape feeds one consumer: a body, three bound functions and
// a bound method.
pipeline ProducerForms {
	param Base int = 40

	state {
		got Bag[int]
	}

	producer body() int {
		for i := 0; i < 3; i++ {
			emit(i)
		}
	}
	producer plain = PlainNumbers
	producer withctx = CtxNumbers
	producer seq = SeqNumbers
	producer method = (*ProducerForms).gen

	consumer collect(n int) {
		p.got.Add(n)
	}
}

go {
	// Upper is a processor of shape func(T) U.
	func Upper(s string) string {
		b := []byte(s)
		for i, c := range b {
			if c >= 'a' && c <= 'z' {
				b[i] = c - 'a' + 'A'
			}
		}
		return string(b)
	}

	// Twice is a processor of shape func(T, emit func(U)): the `yield` of Ruby stage classes.
	func Twice(s string, emit func(string)) {
		emit(s)
		emit(s + "'")
	}

	// Got returns what the bound consumer stored.
	func (p *BoundStages) Got() []string { return p.got.Items() }

	func (p *BoundStages) store(s string) error {
		if s == "" {
			return errors.New("empty")
		}
		p.got.Add(s)
		return nil
	}
}

// A processor and a consumer bound to Go functions, the consumer a method.
pipeline BoundStages {
	state {
		got Bag[string]
	}

	producer words() string {
		for _, w := range []string{"a", "b", ""} {
			emit(w)
		}
	}
	processor upper = Upper
	processor twice = Twice
	consumer store = (*BoundStages).store
}

go {
	// Batches returns the batches the consumer received, in order.
	func (p *AccSize) Batches() [][]int { return p.got.Items() }

	// Sums returns the sums the accumulator with a body emitted, in order.
	func (p *AccBody) Sums() []int { return p.got.Items() }
}

// An accumulator without a body: full batches of max_size, the rest flushed
// at the end.
pipeline AccSize {
	param Count int = 10

	state {
		got Bag[[]int]
	}

	producer gen() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	accumulator group(b []int) max_size(4)

	consumer keep(b []int) {
		p.got.Add(b)
	}
}

// An accumulator with a body: it receives each batch and emits its sum.
pipeline AccBody {
	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < 25; i++ {
			emit(i)
		}
	}

	accumulator sums(b []int) int max_size(10) {
		total := 0
		for _, v := range b {
			total += v
		}
		emit(total)
	}

	consumer keep(n int) {
		p.got.Add(n)
	}
}

go {
	// Batches returns the batches received, in order, and whether the
	// producer saw the first partial batch arrive while it waited.
	func (p *AccTime) Batches() ([][]int, bool) { return p.got.Items(), p.sawFlush.Load() }

	// Batches returns the batches received, in order, and whether the
	// producer saw the first partial batch arrive while it waited.
	func (p *BatchEvery) Batches() ([][]int, bool) { return p.got.Items(), p.sawFlush.Load() }
}

// An accumulator with max_wait flushes a partial batch while the producer
// still runs: the producer emits 3 items, then waits for the consumer to
// receive them before it emits the last one.
pipeline AccTime {
	state {
		got      Bag[[]int]
		flushed  chan struct{}
		once     sync.Once
		sawFlush atomic.Bool
	}

	before_run {
		p.flushed = make(chan struct{})
	}

	producer gen() int {
		emit(1)
		emit(2)
		emit(3)
		select {
		case <-p.flushed:
			p.sawFlush.Store(true)
		case <-time.After(5 * time.Second):
		}
		emit(4)
	}

	accumulator group(b []int) []int max_size(100) max_wait(30ms) {
		emit(b)
	}

	consumer keep(b []int) {
		p.got.Add(b)
		p.once.Do(func() { close(p.flushed) })
	}
}

// The same with the shorthand `batch N every D`.
pipeline BatchEvery {
	state {
		got      Bag[[]int]
		flushed  chan struct{}
		once     sync.Once
		sawFlush atomic.Bool
	}

	before_run {
		p.flushed = make(chan struct{})
	}

	producer gen() int {
		emit(1)
		emit(2)
		emit(3)
		select {
		case <-p.flushed:
			p.sawFlush.Store(true)
		case <-time.After(5 * time.Second):
		}
		emit(4)
	}

	batch 100 every 30ms

	consumer keep(b []int) {
		p.got.Add(b)
		p.once.Do(func() { close(p.flushed) })
	}
}

go {
	// Batches returns the batches received.
	func (p *BatchThreads) Batches() [][]int { return p.got.Items() }
}

// batch inside a threads block, between stages on several goroutines: no
// item is dropped (Ruby drops every item of a batch inside cow_fork).
pipeline BatchThreads {
	param Count int = 1000

	execution threads(4)

	state {
		got Bag[[]int]
	}

	producer gen() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	processor pass(n int) int {
		emit(n)
	}

	threads(4) {
		batch 3
	}

	consumer keep(b []int) {
		p.got.Add(b)
	}
}

go {
	// Suffix is a custom stage: a value implementing mgrt.Stage[string, string].
	type Suffix struct {
		S     string
		calls atomic.Int64
	}

	// Process emits the item with the suffix; "bad" fails.
	func (s *Suffix) Process(ctx context.Context, in string, emit func(string)) error {
		s.calls.Add(1)
		if in == "bad" {
			return errors.New("bad item")
		}
		emit(in + s.S)
		return nil
	}

	// suffixStage is the value bound to the custom stage, shared by its goroutines.
	var suffixStage = &Suffix{S: "!"}

	// Got returns what the consumer received.
	func (p *CustomStage) Got() []string { return p.got.Items() }
}

pipeline CustomStage {
	state {
		got Bag[string]
	}

	producer words() string {
		for _, w := range []string{"a", "b", "bad", "c"} {
			emit(w)
		}
	}

	stage shout threads(2) = suffixStage

	consumer keep(s string) {
		p.got.Add(s)
	}
}
