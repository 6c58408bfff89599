// The smallest useful pipeline: a producer, a concurrent processor, a batcher
// and a consumer. `make demo` runs it; quickstart_test.go runs it as a package.
package quickstart

import (
	"fmt"
	"sync"
)

pipeline Quickstart {
	param Count int = 100

	state {
		mu      sync.Mutex
		batches int
		items   int
		sum     int
	}

	producer generate() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	processor double(n int) int threads(4) {
		emit(n * 2)
	}

	batch 10

	consumer save(b []int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.batches++
		p.items += len(b)
		for _, v := range b {
			p.sum += v
		}
	}

	after_run {
		fmt.Printf("batches=%d items=%d sum=%d\n", p.batches, p.items, p.sum)
	}
}

go {
	// Totals reports what the last run saw, for callers of Run.
	func (p *Quickstart) Totals() (batches, items, sum int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.batches, p.items, p.sum
	}
}
