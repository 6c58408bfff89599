// Failures: a flaky payment gateway retried with exponential backoff, cards
// declined for good dead-lettered, and receipts that fail for good recorded
// in the run's result. error_handling_test.go runs it as a package.
package error_handling

import (
	"errors"
	"fmt"
	"sync"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

go {
	// Payment is one card charge to make.
	type Payment struct {
		ID    int
		Cents int
		Card  string
	}

	// ErrUnavailable is the gateway's transient error: trying again may work.
	var ErrUnavailable = errors.New("gateway unavailable")

	// ErrDeclined is a card the bank refuses: trying again never works.
	type ErrDeclined struct{ Card string }

	func (e *ErrDeclined) Error() string { return "card " + e.Card + " declined" }

	// flakiness says how many times the gateway is unavailable for payment id
	// before it answers: every 5th needs one retry, every 15th two, every 45th
	// three (more than the stage's retries: it fails for good).
	func flakiness(id int) int {
		switch {
		case id%45 == 0:
			return 4
		case id%15 == 0:
			return 2
		case id%5 == 0:
			return 1
		}
		return 0
	}
}

// Checkout charges payments through a flaky gateway (retry(3, backoff: 2ms):
// four attempts, 2ms, 4ms then 8ms apart), sends the ones that failed for good
// to a dead-letter stage that refunds them, and prints receipts; a receipt
// that cannot be printed fails for good and is reported.
pipeline Checkout {
	param Count int = 100

	state {
		mu       sync.Mutex
		attempts map[int][]time.Time          // payment id -> when charge ran for it
		charged  map[int]int                  // payment id -> cents charged
		refunds  map[int]mgrt.Failed[Payment] // payment id -> why it was refunded
		receipts int
		reported []int // ids passed to on_error(receipt)
	}

	before_run {
		p.attempts = map[int][]time.Time{}
		p.charged = map[int]int{}
		p.refunds = map[int]mgrt.Failed[Payment]{}
		p.receipts = 0
		p.reported = nil
	}

	producer orders() Payment {
		for i := 1; i <= p.Count; i++ {
			card := fmt.Sprintf("4111-%04d", i)
			if i%17 == 0 {
				card = "0000-0000" // stolen: always declined
			}
			emit(Payment{ID: i, Cents: 500 + i*3, Card: card})
		}
	}

	processor charge(pm Payment) Payment threads(4) retry(3, backoff: 2ms) dead_letter(refund) {
		p.mu.Lock()
		p.attempts[pm.ID] = append(p.attempts[pm.ID], time.Now())
		n := len(p.attempts[pm.ID])
		p.mu.Unlock()
		if pm.Card == "0000-0000" {
			return &ErrDeclined{Card: pm.Card}
		}
		if n <= flakiness(pm.ID) {
			return fmt.Errorf("charge %d: %w", pm.ID, ErrUnavailable)
		}
		p.mu.Lock()
		p.charged[pm.ID] = pm.Cents
		p.mu.Unlock()
		emit(pm)
	}

	// receives what charge gave up on, with the last error and the attempts made
	consumer refund(f mgrt.Failed[Payment]) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.refunds[f.Item.ID] = f
	}

	// the printer jams on every 31st receipt: no retry, no dead letter, so the
	// item fails for good; a panic on every 62nd is recovered the same way
	consumer receipt(pm Payment) {
		if pm.ID%62 == 0 {
			panic(fmt.Sprintf("printer on fire at receipt %d", pm.ID))
		}
		if pm.ID%31 == 0 {
			return fmt.Errorf("receipt %d: paper jam", pm.ID)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.receipts++
	}

	on_error(receipt) (err error, item any) {
		p.reported = append(p.reported, item.(Payment).ID)
	}

	after_run {
		fmt.Printf("charged=%d refunded=%d receipts=%d failed=%d\n", len(p.charged), len(p.refunds), p.receipts, len(result.Failures))
	}
}
