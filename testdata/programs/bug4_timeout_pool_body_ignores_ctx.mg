// Bug 4: timeout(D) is not enforced on worker processes. In a pool (processes(2)), a body that ignores
// its ctx (time.Sleep) keeps its worker forever and the run hangs. Past the deadline (plus a
// grace period) the item must fail with a timeout error naming the deadline, and the run must
// go on and end with the other items delivered. (-shutdown-timeout 1s in case the grace
// period is taken from it.)
//
// want:
// delivered=9 failures=1
// failed item 3: error names the 200ms deadline: true
//
// exit: 3
// args: -shutdown-timeout 1s
// timeout: 6s
package main

import (
	"fmt"
	"strings"
	"time"
)

pipeline TimeoutPool {
	state {
		delivered int
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}

	processor work(x int) int processes(2) timeout(200ms) {
		if x == 3 {
			time.Sleep(time.Hour) // ignores ctx
		}
		emit(x)
	}

	consumer collect(x int) {
		p.delivered++
	}

	after_run {
		fmt.Printf("delivered=%d failures=%d\n", p.delivered, len(result.Failures))
		for _, f := range result.Failures {
			fmt.Printf("failed item %v: error names the 200ms deadline: %v\n", f.Item, strings.Contains(f.Err.Error(), "200ms"))
		}
	}
}
