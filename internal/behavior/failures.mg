// Table "Failures, shutdown, results" of shared/MINIGUN.md: item errors,
// retries, dead letters, producer errors, fail_fast, panics, the Result,
// Start/Stop and cancellation. failures_test.go runs them.
package behavior

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

go {
	// ErrOdd is the error items 3 and 7 fail with.
	var ErrOdd = errors.New("odd item")
}

// Items 3 and 7 fail; the others go on; the run succeeds.
pipeline ItemErrors {
	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processor check(n int) int threads(2) {
		if n == 3 || n == 7 {
			return fmt.Errorf("check %d: %w", n, ErrOdd)
		}
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
}

// Every item fails its first two attempts after emitting; retry(3) gets it
// through on the third, and the emits of the failed attempts are discarded.
// Item 5 always fails: four attempts, then it is a failure.
pipeline Retries {
	state {
		mu       sync.Mutex
		attempts map[int]int
		got      Bag[int]
	}

	before_run { p.attempts = map[int]int{} }

	producer gen() int {
		for i := 0; i < 20; i++ {
			emit(i)
		}
	}
	processor flaky(n int) int retry(3) threads(3) {
		p.mu.Lock()
		p.attempts[n]++
		a := p.attempts[n]
		p.mu.Unlock()
		emit(n)
		if n == 5 || a < 3 {
			return fmt.Errorf("attempt %d of %d", a, n)
		}
	}
	consumer keep(n int) { p.got.Add(n) }
}

go {
	// Attempts returns how many times flaky ran for item n.
	func (p *Retries) Attempts(n int) int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.attempts[n]
	}
}

// retry with backoff: the attempts of one item are spaced by at least D, 2D, ...
pipeline Backoff {
	state {
		mu    sync.Mutex
		times []time.Time
	}

	producer gen() int { emit(1) }
	processor flaky(n int) int retry(2, backoff: 20ms) {
		p.mu.Lock()
		p.times = append(p.times, time.Now())
		p.mu.Unlock()
		return errors.New("always")
	}
	consumer keep(n int) {}
}

go {
	// Times returns when each attempt started.
	func (p *Backoff) Times() []time.Time {
		p.mu.Lock()
		defer p.mu.Unlock()
		return append([]time.Time(nil), p.times...)
	}
}

// Failed items go, after one retry, to a dead-letter stage that receives
// mgrt.Failed[int].
pipeline DeadLetters {
	state {
		dead    Bag[mgrt.Failed[int]]
		got     Bag[int]
		onError Bag[int]
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processor check(n int) int retry(1) dead_letter(dead) {
		if n%4 == 0 {
			return fmt.Errorf("multiple of four: %d", n)
		}
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
	consumer dead(f mgrt.Failed[int]) { p.dead.Add(f) }

	on_error(check) (err error, item any) { p.onError.Add(item.(int)) }
}

// A producer error fails the run once the rest has drained.
pipeline ProducerError {
	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < 100; i++ {
			emit(i)
		}
		return errors.New("source closed")
	}
	processor slow(n int) int {
		time.Sleep(50 * time.Microsecond)
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
}

// fail_fast: the first item failure fails the run and cancels it; the
// producer, blocked until then, sees its context end.
pipeline FailFast {
	fail_fast

	state {
		canceled atomic.Bool
		after    atomic.Int64
	}

	producer gen() int {
		emit(0)
		select {
		case <-ctx.Done():
			p.canceled.Store(true)
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
		for i := 1; i < 100; i++ {
			emit(i)
			p.after.Add(1)
		}
	}
	processor check(n int) int {
		if n == 0 {
			return errors.New("zero")
		}
		emit(n)
	}
	consumer keep(n int) {}
}

// A panic in a body is that item's failure, with the stage's position and the stack.
pipeline Panics {
	state {
		got Bag[int]
	}

	producer gen() int {
		for i := 0; i < 5; i++ {
			emit(i)
		}
	}
	processor boom(n int) int {
		if n == 2 {
			var m map[string]int
			m["x"] = n // assignment to a nil map
		}
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
}

// A producer that runs until it is stopped, feeding a slow threads stage.
pipeline Endless {
	state {
		emitted atomic.Int64
		got     atomic.Int64
		started chan struct{}
		once    sync.Once
	}

	producer gen() int {
		for i := 0; ; i++ {
			emit(i)
			p.emitted.Add(1)
		}
	}
	processor work(n int) int threads(4) {
		time.Sleep(100 * time.Microsecond)
		emit(n)
	}
	batch 10
	consumer keep(b []int) {
		p.got.Add(int64(len(b)))
		if p.started != nil {
			p.once.Do(func() { close(p.started) })
		}
	}
}

go {
	// Started returns a channel closed once the consumer got its first batch.
	// Call it before the run starts.
	func (p *Endless) Started() <-chan struct{} {
		p.started = make(chan struct{})
		return p.started
	}

	// Counts returns how many values the producer emitted and the consumer got.
	func (p *Endless) Counts() (emitted, got int64) { return p.emitted.Load(), p.got.Load() }
}

// A quick run with a known duration, for the Result's fields.
pipeline Timed {
	producer gen() int {
		for i := 0; i < 3; i++ {
			emit(i)
		}
	}
	processor wait(n int) int {
		time.Sleep(10 * time.Millisecond)
		emit(n)
	}
	consumer keep(n int) {}
}

// Cancellation flushes what an accumulator holds: the producer emits three
// items, then waits for the end of the run.
pipeline CancelFlush {
	state {
		got Bag[[]int]
	}

	producer gen() int {
		for i := 0; i < 3; i++ {
			emit(i)
		}
		<-ctx.Done()
		return ctx.Err()
	}
	batch 100
	consumer keep(b []int) { p.got.Add(b) }
}

// Retries with dynamic routing, ordered output and an accumulator: the
// emits of a failed attempt never get out, whichever way they were sent.
pipeline RetryRouted {
	state {
		mu       sync.Mutex
		attempts map[string]int
		evens    Bag[int]
		odds     Bag[int]
		ordered  Bag[int]
		sums     Bag[int]
		dead     Bag[mgrt.Failed[int]]
	}

	before_run { p.attempts = map[string]int{} }

	producer gen() int to(split, order, group) {
		for i := 0; i < 30; i++ {
			emit(i)
		}
	}
	processor split(n int) int retry(2) threads(2) to(evens, odds) {
		if n%2 == 0 {
			to.evens(n)
		} else {
			to.odds(n)
		}
		if p.attempt(fmt.Sprint("split ", n)) < 2 {
			return errors.New("first attempt")
		}
	}
	consumer evens(n int) { p.evens.Add(n) }
	consumer odds(n int) { p.odds.Add(n) }

	processor order(n int) int retry(1) threads(3) ordered to(keep_order) {
		emit(n)
		if p.attempt(fmt.Sprint("order ", n)) < 2 {
			time.Sleep(time.Duration(n%3) * 100 * time.Microsecond)
			return errors.New("first attempt")
		}
	}
	consumer keep_order(n int) { p.ordered.Add(n) }

	accumulator group(b []int) int max_size(10) retry(1) dead_letter(lost) to(sum) {
		total := 0
		for _, v := range b {
			total += v
		}
		emit(total)
		if p.attempt(fmt.Sprint("group ", b[0])) < 2 || b[0] == 10 {
			return errors.New("batch failed")
		}
	}
	consumer sum(n int) { p.sums.Add(n) }
	consumer lost(f mgrt.Failed[int]) { p.dead.Add(f) }
}

go {
	// attempt counts an attempt of key and returns its number.
	func (p *RetryRouted) attempt(key string) int {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.attempts[key]++
		return p.attempts[key]
	}
}

// A producer's panic fails the run with the producer's position.
pipeline ProducerPanic {
	state {
		got Bag[int]
	}

	producer gen() int {
		emit(1)
		panic("producer exploded")
	}
	consumer keep(n int) { p.got.Add(n) }
}

// fail_fast: an item that goes to a dead letter does not fail the run.
pipeline FailFastDead {
	fail_fast

	state {
		dead Bag[mgrt.Failed[int]]
		got  Bag[int]
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processor check(n int) int dead_letter(dead) {
		if n == 4 {
			return errors.New("four")
		}
		emit(n)
	}
	consumer keep(n int) { p.got.Add(n) }
	consumer dead(f mgrt.Failed[int]) { p.dead.Add(f) }
}

// A failure budget from a param: items 3, 5 and 7 fail.
pipeline Budgeted {
	param Budget int = 3
	max_failures Budget

	producer gen() int total(10) {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	consumer check(n int) {
		if n == 3 || n == 5 || n == 7 {
			return fmt.Errorf("odd %d", n)
		}
	}
}
