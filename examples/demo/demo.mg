// Demo is what `make demo` runs: a few seconds of visible work through every
// kind of stage. Orders are looked up on several goroutines (simulated I/O;
// an unknown order is retried, then dead-lettered), large ones are reviewed,
// all are packed into batches, each batch is priced in a fresh worker
// process, and the invoices are booked.
package demo

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

go {
	// Order is one order on its way through the pipeline.
	type Order struct {
		ID       int
		Cents    int
		Reviewed bool
	}

	// Invoice is what a worker process makes of one batch of orders.
	type Invoice struct {
		Orders int
		Cents  int
		Digest string
		PID    int
	}
}

pipeline Demo {
	// how many orders to make
	param Count int = 4000
	// goroutines that look orders up
	param Workers int = 8
	// simulated latency of one lookup
	param Latency time.Duration = 5 * time.Millisecond

	state {
		mu       sync.Mutex
		invoices int
		booked   int
		cents    int
		rejected int
		pids     map[int]bool
		priced   int merge(sum) // counted in the worker processes
	}

	producer orders() Order total(Count) {
		for i := 1; i <= p.Count && ctx.Err() == nil; i++ {
			emit(Order{ID: i, Cents: i * 7919 % 100000})
		}
	}

	// looks an order up; every 500th is unknown
	processor lookup(o Order) Order threads(Workers) retry(1) dead_letter(rejected) {
		time.Sleep(p.Latency)
		if o.ID%500 == 0 {
			return fmt.Errorf("order %d: not found", o.ID)
		}
		emit(o)
	}

	// sends orders of 900.00 or more to review, the others straight to packing
	processor triage(o Order) Order to(review, pack) {
		if o.Cents >= 90000 {
			to.review(o)
		} else {
			to.pack(o)
		}
	}

	processor review(o Order) Order threads(2) to(pack) {
		time.Sleep(2 * p.Latency)
		o.Reviewed = true
		emit(o)
	}

	accumulator pack(b []Order) max_size(100) max_wait(250ms)

	// prices a batch in a worker process of its own; the digest stands for real work
	processor price(b []Order) Invoice process_per_batch(max: 2) {
		h := sha256.New()
		inv := Invoice{Orders: len(b), PID: os.Getpid()}
		for _, o := range b {
			for i := 0; i < 1000; i++ {
				fmt.Fprintf(h, "%d:%d:%d;", o.ID, o.Cents, i)
			}
			inv.Cents += o.Cents
		}
		inv.Digest = fmt.Sprintf("%x", h.Sum(nil))[:12]
		p.priced += len(b)
		emit(inv)
	}

	consumer book(inv Invoice) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.invoices++
		p.booked += inv.Orders
		p.cents += inv.Cents
		p.pids[inv.PID] = true
	}

	consumer rejected(f mgrt.Failed[Order]) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.rejected++
	}

	before_run {
		p.pids = map[int]bool{}
	}

	after_run {
		fmt.Printf("booked %d orders worth %d.%02d in %d invoices, priced by %d worker processes; %d orders rejected\n",
			p.booked, p.cents/100, p.cents%100, p.invoices, len(p.pids), p.rejected)
	}
}
