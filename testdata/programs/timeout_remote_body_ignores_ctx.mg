// timeout(D) on a remote stage: nothing can kill a remote worker from outside, so a body that
// ignores its ctx (time.Sleep) would keep its worker, and its chunk, forever. Past the deadline
// (plus a grace period) the worker reports the item failed with a timeout error naming the
// deadline, gives back the items after it, and ends; the run goes on and ends with the other
// items delivered. (The same program with processes(2) is bug4_timeout_pool_body_ignores_ctx.)
//
// want:
// delivered=9 failures=1
// failed item 3: error names the 200ms deadline: true
//
// exit: 3
// args: -shutdown-timeout 1s
// timeout: 20s
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

	processor work(x int) int remote(2, ack_wait: 1s) timeout(200ms) {
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
