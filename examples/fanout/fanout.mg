// Fan-out: one producer, several consumers, each getting every item.
// fanout_test.go runs it.
package fanout

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

go {
	// Event is something that happened to an order.
	type Event struct {
		Seq   int
		Order int
		Kind  string // "placed", "paid", "shipped"
	}

	var kinds = []string{"placed", "paid", "shipped"}

	// eventAt is event number seq: order seq/3 goes through the three kinds.
	func eventAt(seq int) Event { return Event{Seq: seq, Order: 1000 + seq/3, Kind: kinds[seq%3]} }
}

// Fanout sends every order event to three consumers at once (broadcast, the
// default when a stage has several downstreams): an audit log that keeps them
// in order, a metrics counter on four goroutines, and a mailer that writes to
// customers about shipped orders and is slow at it. Each queue is bounded, so
// the producer runs no further ahead of the slowest consumer than its queue.
pipeline Fanout {
	// how many events to send
	param Count int = 300
	// how long the mailer takes per mail
	param MailDelay time.Duration = 200 * time.Microsecond

	state {
		audit  []string // inline: one goroutine, no lock
		mu     sync.Mutex
		counts map[string]int
		mails  []int // orders written to, in mailer's order
	}

	before_run {
		p.counts = map[string]int{}
	}

	producer events() Event to(audit, metrics, mailer) {
		for seq := 0; seq < p.Count; seq++ {
			emit(eventAt(seq))
		}
	}

	consumer audit(e Event) {
		p.audit = append(p.audit, fmt.Sprintf("%d %d %s", e.Seq, e.Order, e.Kind))
	}

	consumer metrics(e Event) threads(4) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.counts[e.Kind]++
	}

	consumer mailer(e Event) queue_size(10) {
		if e.Kind != "shipped" {
			return nil
		}
		time.Sleep(p.MailDelay)
		p.mails = append(p.mails, e.Order)
	}

	after_run {
		kinds := make([]string, 0, len(p.counts))
		for k := range p.counts {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Printf("%-8s %d\n", k, p.counts[k])
		}
		fmt.Printf("%d events audited, %d shipping mails sent\n", len(p.audit), len(p.mails))
	}
}
