// A producer that emits from a function literal it calls itself, and never looks at ctx:
// the body may emit from goroutines (its emits are serialized), but this emit runs on the
// body's own goroutine, so after SIGINT it unwinds the producer as a plain emit does and
// the run ends canceled, exit 130, rather than dropping values for ever.
// want:
// true canceled
//
// exit: 130
// timeout: 20s
package main

import (
	"fmt"
	"os"
	"syscall"
)

go {
	func each(n int, f func(int)) {
		for i := 0; i < n; i++ {
			f(i)
		}
	}
}

pipeline P {
	state {
		n int
	}

	producer gen() int {
		for {
			each(100, func(i int) { emit(i) })
		}
	}

	processor a(x int) int {
		emit(x)
	}

	consumer c(x int) {
		p.n++
		if p.n == 1000 {
			syscall.Kill(os.Getpid(), syscall.SIGINT)
		}
	}

	after_run {
		fmt.Println(p.n >= 1000, result.Status)
	}
}
