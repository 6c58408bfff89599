// A body that calls runtime.Goexit ends the goroutine it runs on, which no recovery can stop:
// the run must neither hang (the stage's other goroutines and the stages after it waiting for
// an end that never comes) nor end as if nothing happened (the items that goroutine held gone
// without a word). Here an ordered threads(4) stage whose item 50 waits, then calls Goexit,
// once the items after it fill the reorder window: the run fails with an error that says so, at
// the stage (the other goroutines waited for room that item would never make).
//
// want:
// status=failed goexit=true at stage: true
//
// exit: 1
// timeout: 20s
package main

import (
	"fmt"
	goruntime "runtime"
	"strings"
	"time"
)

pipeline Goexit {
	producer gen() int {
		for i := 0; i < 5000; i++ {
			emit(i)
		}
	}

	processor th(n int) int threads(4) ordered {
		if n == 50 {
			time.Sleep(200 * time.Millisecond)
			goruntime.Goexit()
		}
		emit(n)
	}

	consumer c(n int) {}

	after_run {
		msg := fmt.Sprint(result.Err)
		fmt.Printf("status=%v goexit=%v at stage: %v\n", result.Status, strings.Contains(msg, "runtime.Goexit"), strings.Contains(msg, "goexit_ordered.mg:"))
	}
}
