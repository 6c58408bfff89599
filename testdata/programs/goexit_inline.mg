// A body that calls runtime.Goexit ends the goroutine it runs on, which no recovery can stop:
// the run must neither hang (the stage's other goroutines and the stages after it waiting for
// an end that never comes) nor end as if nothing happened (the items that goroutine held gone
// without a word). Here an inline stage fused into the producer's chain: the run fails with an error that says so, at the stage.
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
)

pipeline Goexit {
	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}

	processor th(n int) int {
		if n == 3 {
			goruntime.Goexit()
		}
		emit(n)
	}

	consumer c(n int) {}

	after_run {
		msg := fmt.Sprint(result.Err)
		fmt.Printf("status=%v goexit=%v at stage: %v\n", result.Status, strings.Contains(msg, "runtime.Goexit"), strings.Contains(msg, "goexit_inline.mg:"))
	}
}
