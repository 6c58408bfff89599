// Bug 3a: head-of-line blocking in a pool. A worker reports the items it finished in batches,
// and does not send what it finished before it starts a slow item: those results reach the
// consumer only when the slow item ends (2 s later). Every fast item's result must reach the
// consumer soon after its body returned (here: within 1 s, while the slow item takes 2 s).
//
// Each result carries the unix time its body returned; the consumer compares it with its own
// clock (the same machine).
//
// want:
// fast results delivered more than 1s after their body returned: 0
// slow item delivered: true
package main

import (
	"fmt"
	"os"
	"time"
)

go {
	type doneAt struct {
		X    int
		Done int64 // unix nanoseconds when the body returned
	}
}

pipeline PoolFinishedResultsWait {
	state {
		late int
		slow bool
	}

	producer gen() int {
		for i := 0; i < 200; i++ {
			emit(i)
		}
	}

	processor work(x int) doneAt processes(2) {
		if x == 10 {
			time.Sleep(2 * time.Second)
		}
		emit(doneAt{X: x, Done: time.Now().UnixNano()})
	}

	consumer collect(r doneAt) {
		if r.X == 10 {
			p.slow = true
			return nil
		}
		if d := time.Since(time.Unix(0, r.Done)); d > time.Second {
			p.late++
			fmt.Fprintf(os.Stderr, "item %d delivered %v after its body returned\n", r.X, d.Round(time.Millisecond))
		}
	}

	after_run {
		fmt.Println("fast results delivered more than 1s after their body returned:", p.late)
		fmt.Println("slow item delivered:", p.slow)
	}
}
