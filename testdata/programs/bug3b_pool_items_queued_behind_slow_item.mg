// Bug 3b: head-of-line blocking in a pool. With processes(2) and one slow item (2 s), the
// items sent to the slow item's worker after it wait there until it ends, while the other
// worker idles. Every fast item must start while the slow one still runs: here, within 1 s of
// the slow item's start.
//
// Each result carries the unix times its body started; the consumer compares them with the
// slow item's (the same machine's clock).
//
// want:
// fast items started more than 1s after the slow one: 0
// fast items delivered: 199
package main

import (
	"fmt"
	"os"
	"time"
)

go {
	type startedAt struct {
		X     int
		Start int64 // unix nanoseconds when the body started
	}
}

pipeline PoolItemsQueuedBehindSlow {
	state {
		starts    []int64
		items     []int
		slowStart int64
	}

	producer gen() int {
		for i := 0; i < 200; i++ {
			emit(i)
		}
	}

	processor work(x int) startedAt processes(2) {
		r := startedAt{X: x, Start: time.Now().UnixNano()}
		if x == 10 {
			time.Sleep(2 * time.Second)
		}
		emit(r)
	}

	consumer collect(r startedAt) {
		if r.X == 10 {
			p.slowStart = r.Start
			return nil
		}
		p.starts = append(p.starts, r.Start)
		p.items = append(p.items, r.X)
	}

	after_run {
		late := 0
		for i, s := range p.starts {
			if d := time.Duration(s - p.slowStart); d > time.Second {
				late++
				if late <= 5 {
					fmt.Fprintf(os.Stderr, "item %d started %v after the slow one\n", p.items[i], d.Round(time.Millisecond))
				}
			}
		}
		fmt.Println("fast items started more than 1s after the slow one:", late)
		fmt.Println("fast items delivered:", len(p.starts))
	}
}
