// fail_fast with a producer that emits from a function literal it calls itself and never
// looks at ctx: the failure cancels the run, the producer's next emit unwinds it, exit 1.
// want:
// failed true
//
// exit: 1
// timeout: 20s
package main

import (
	"errors"
	"fmt"
)

go {
	func each(n int, f func(int)) {
		for i := 0; i < n; i++ {
			f(i)
		}
	}
}

pipeline P {
	fail_fast

	producer gen() int {
		for {
			each(100, func(i int) { emit(i) })
		}
	}

	consumer c(x int) {
		if x == 10 {
			return errors.New("ten")
		}
	}

	after_run {
		fmt.Println(result.Status, len(result.Failures) > 0)
	}
}
