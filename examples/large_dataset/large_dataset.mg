// A large dataset in flat memory: two million trade records streamed through
// a pricing stage, a batcher and a two-goroutine aggregation.
// large_dataset_test.go runs it as a package.
package large_dataset

import (
	"encoding/binary"
	"fmt"
	"sync"
)

go {
	// Trade is one record of the dataset (about 100 bytes).
	type Trade struct {
		ID       int64
		Account  [16]byte
		Symbol   [8]byte
		Qty      int64
		Cents    int64
		Notional int64 // Qty * Cents, filled in by price
		Venue    [32]byte
		Flags    uint64
	}

	// tradeAt is record i of the dataset, made on the fly as a reader of a
	// big file would decode it.
	func tradeAt(i int64) Trade {
		t := Trade{ID: i, Qty: 1 + i%97, Cents: 100 + i*7919%100000, Symbol: symbols[i%4]}
		binary.BigEndian.PutUint64(t.Account[8:], uint64(i%100003))
		return t
	}

	var symbols = [4][8]byte{{'A', 'C', 'M', 'E'}, {'G', 'L', 'B', 'X'}, {'I', 'N', 'I', 'T'}, {'U', 'M', 'B', 'R'}}

	// Totals is the aggregate of the whole dataset.
	type Totals struct {
		Trades   int64
		Qty      int64
		Notional int64
		Batches  int64
	}
}

// Trades: no stage keeps the records and every queue is bounded, so memory
// stays flat however many records go through.
pipeline Trades {
	param Count int = 2000000

	state {
		mu     sync.Mutex
		totals Totals
	}

	before_run {
		p.totals = Totals{}
	}

	producer read() Trade {
		for i := int64(0); i < int64(p.Count); i++ {
			emit(tradeAt(i))
		}
	}

	// inline, it runs on the producer's goroutine, called directly by its emit
	processor price(t Trade) Trade {
		t.Notional = t.Qty * t.Cents
		emit(t)
	}

	batch 1000

	// a queue counts items, and here an item is a batch of 1000 trades: a
	// small queue keeps what may wait here small too
	consumer aggregate(b []Trade) threads(2) queue_size(4) {
		var qty, notional int64
		for _, t := range b {
			qty += t.Qty
			notional += t.Notional
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.totals.Trades += int64(len(b))
		p.totals.Qty += qty
		p.totals.Notional += notional
		p.totals.Batches++
	}

	after_run {
		fmt.Printf("%d trades, qty %d, notional %d cents, %d batches\n", p.totals.Trades, p.totals.Qty, p.totals.Notional, p.totals.Batches)
	}
}
