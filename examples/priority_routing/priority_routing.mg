// Routing by priority: support tickets go to one of three lanes, each with the
// capacity its priority deserves. priority_routing_test.go runs it as a package.
package priority_routing

import (
	"fmt"
	"sync"
	"time"
)

go {
	// Priority of a ticket.
	type Priority int

	const (
		Low Priority = iota
		Normal
		High
	)

	func (p Priority) String() string { return [...]string{"low", "normal", "high"}[p] }

	// Ticket is one support request.
	type Ticket struct {
		ID       int
		Customer string
		Priority Priority
		Received time.Time
	}

	// Handled is a ticket once a lane has dealt with it.
	type Handled struct {
		Ticket Ticket
		Lane   string
		Wait   time.Duration // from receipt to the lane taking it
	}

	// priorityOf is the triage rule: outages are high, paying customers normal,
	// the rest low.
	func priorityOf(id int) Priority {
		switch {
		case id%10 == 0:
			return High
		case id%3 == 0:
			return Normal
		}
		return Low
	}
}

// Support triages tickets into lanes: high priority on eight goroutines, normal
// on two, low ones batched and answered by one goroutine.
pipeline Support {
	param Count int = 200
	// simulated time to handle one ticket
	param Cost time.Duration = 2 * time.Millisecond

	state {
		mu      sync.Mutex
		handled map[string][]Handled
		lowRuns int            // batches the low lane answered
		busy    map[string]int // tickets a lane is handling right now
		peak    map[string]int // the most it handled at once
	}

	before_run {
		p.handled = map[string][]Handled{}
		p.lowRuns = 0
		p.busy = map[string]int{}
		p.peak = map[string]int{}
	}

	producer intake() Ticket {
		for i := 1; i <= p.Count; i++ {
			emit(Ticket{ID: i, Customer: fmt.Sprintf("c%03d", i%37), Priority: priorityOf(i), Received: time.Now()})
		}
	}

	processor triage(t Ticket) Ticket to(high, normal, low) {
		switch t.Priority {
		case High:
			to.high(t)
		case Normal:
			to.normal(t)
		default:
			to.low(t)
		}
	}

	processor high(t Ticket) Handled threads(8) to(done) {
		emit(p.handle("high", t))
	}

	processor normal(t Ticket) Handled threads(2) to(done) {
		emit(p.handle("normal", t))
	}

	// low-priority tickets wait for a batch of 20 (or 100ms) and get one canned reply
	accumulator low(b []Ticket) Handled max_size(20) max_wait(100ms) to(done) {
		time.Sleep(p.Cost)
		p.mu.Lock()
		p.lowRuns++
		p.mu.Unlock()
		for _, t := range b {
			emit(Handled{Ticket: t, Lane: "low", Wait: time.Since(t.Received)})
		}
	}

	consumer done(h Handled) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.handled[h.Lane] = append(p.handled[h.Lane], h)
	}

	after_run {
		fmt.Printf("high=%d normal=%d low=%d (in %d batches)\n",
			len(p.handled["high"]), len(p.handled["normal"]), len(p.handled["low"]), p.lowRuns)
	}
}

go {
	func (p *Support) handle(lane string, t Ticket) Handled {
		wait := time.Since(t.Received)
		p.mu.Lock()
		p.busy[lane]++
		p.peak[lane] = max(p.peak[lane], p.busy[lane])
		p.mu.Unlock()
		time.Sleep(p.Cost)
		p.mu.Lock()
		p.busy[lane]--
		p.mu.Unlock()
		return Handled{Ticket: t, Lane: lane, Wait: wait}
	}
}
