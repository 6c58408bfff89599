// Bug 7: queue_size(N) counts chunks, not items. A sender whose own input trickles in flushes a
// one-item chunk each time it waits, and the queue (about 4 chunks for queue_size(1000)) is
// full after about 6 items: the sender blocks while the consumer is busy. A queue_size(1000)
// queue must hold about 1000 items: when the slow consumer takes its first item and dwells on
// it, the sender must get about 1000 items ahead (at least 900 here) instead of 6.
//
// want:
// sender ahead by at least 900 items while the consumer dwelt on its first: true
package main

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

go {
	// forwarded counts the values "forward" emitted.
	var forwarded atomic.Int64
}

pipeline QueueSizeCountsItems {
	state {
		seen int
	}

	producer gen() int {
		for i := 0; i < 1500; i++ {
			emit(i)
			// A fast sender, but one whose input trickles (a spin: a 20µs sleep lasts
			// much longer on some systems).
			for t := time.Now(); time.Since(t) < 20*time.Microsecond; {
			}
		}
	}

	processor forward(x int) int {
		emit(x)
		forwarded.Add(1)
	}

	consumer slow(x int) queue_size(1000) {
		p.seen++
		if p.seen == 1 {
			time.Sleep(800 * time.Millisecond)
			ahead := forwarded.Load()
			fmt.Fprintf(os.Stderr, "forwarded when the consumer had taken its first item: %d\n", ahead)
			fmt.Println("sender ahead by at least 900 items while the consumer dwelt on its first:", ahead >= 900)
		}
	}
}
