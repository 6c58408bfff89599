// fail_fast in a fused chain: the first item error fails the run and cancels
// the producer; exit 1.
package main

import (
	"errors"
	"fmt"
)

pipeline P {
	fail_fast
	state {
		n int
	}
	producer gen() int {
		for i := 0; i < 1000000; i++ {
			emit(i)
		}
	}
	processor a(x int) int {
		if x == 500 {
			return errors.New("boom")
		}
		emit(x)
	}
	consumer c(x int) { p.n++ }
	after_run {
		fmt.Println(p.n < 1000000, result.Status, len(result.Failures))
	}
}
// want:
// true failed 1

// exit: 1
