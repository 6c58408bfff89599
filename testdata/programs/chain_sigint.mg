// A fused chain whose producer never checks ctx: SIGINT at item 1000 stops the
// producer (its emit unwinds it), the items in flight finish, exit 130.
package main

import (
	"fmt"
	"os"
	"syscall"
)

pipeline P {
	state {
		n int
	}
	producer gen() int {
		for i := 0; ; i++ {
			emit(i)
		}
	}
	processor a(x int) int {
		if x == 1000 {
			syscall.Kill(os.Getpid(), syscall.SIGINT)
		}
		emit(x)
	}
	consumer c(x int) { p.n++ }
	after_run {
		fmt.Println(p.n >= 1000, result.Status)
	}
}
// want:
// true canceled

// exit: 130
// runs: 3
