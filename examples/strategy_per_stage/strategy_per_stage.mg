// Minigun's 09_strategy_per_stage: a strategy per stage, and the results of
// worker processes collected without tempfiles. strategy_per_stage_test.go
// runs it.
package strategyperstage

import (
	"fmt"
	"os"
	"sync"
	"time"
)

go {
	// Order is an order on its way from lookup to storage.
	type Order struct {
		ID    int
		Cents int // net amount after lookup, gross after pricing
	}

	// lookupCents stands for the amount a database lookup would return.
	func lookupCents(id int) int { return id*7919%10000 + 100 }

	// withTax adds 20% value-added tax, rounded down to the cent.
	func withTax(cents int) int { return cents + cents/5 }
}

// StrategyPerStage gives each stage the strategy its work needs: order ids are
// looked up on eight goroutines (waiting on I/O), priced by a pool of two
// persistent worker processes (CPU work), packed into batches of 25, and each
// batch is saved by a fresh worker process of its own.
pipeline StrategyPerStage {
	// how many orders to make
	param Count int = 200
	// simulated latency of one lookup
	param Latency time.Duration = time.Millisecond

	state {
		mu      sync.Mutex
		lookups int                       // counted on the goroutines of lookup, in this process
		pricers map[int]bool merge(union) // pids of the pool that priced orders
		savers  map[int]bool merge(union) // pids of the processes that saved a batch
		saved   []int        merge(append)
		batches int          merge(sum)
		cents   int          merge(sum)
	}

	producer ids() int {
		for id := 1; id <= p.Count; id++ {
			emit(id)
		}
	}

	// I/O-bound: eight goroutines wait on lookups side by side
	processor lookup(id int) Order threads(8) {
		time.Sleep(p.Latency)
		p.mu.Lock()
		p.lookups++
		p.mu.Unlock()
		emit(Order{ID: id, Cents: lookupCents(id)})
	}

	// CPU-bound: two persistent worker processes share the orders
	processor price(o Order) Order processes(2) {
		p.pricers[os.Getpid()] = true
		o.Cents = withTax(o.Cents)
		emit(o)
	}

	batch 25

	// each batch is written by a fresh process, at most three at once
	consumer save(b []Order) process_per_batch(max: 3) {
		p.batches++
		p.savers[os.Getpid()] = true
		for _, o := range b {
			p.saved = append(p.saved, o.ID)
			p.cents += o.Cents
		}
	}

	after_run {
		fmt.Printf("looked up %d orders, priced by %d pool workers, saved %d orders worth %d.%02d in %d batches by %d processes\n",
			p.lookups, len(p.pricers), len(p.saved), p.cents/100, p.cents%100, p.batches, len(p.savers))
	}
}
