// A body that calls runtime.Goexit in a worker process ends the goroutine that runs the
// worker's items: the worker ends as if it crashed on the item, which the stage fails (or
// runs again, with retry) as for any crash, saying why; the other items are delivered.
//
// want:
// delivered=9 failed=[3] says goexit: true
//
// exit: 3
// timeout: 20s
package main

import (
	"fmt"
	goruntime "runtime"
	"strings"
)

pipeline GoexitPool {
	state {
		del int
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}

	processor th(n int) int processes(2) {
		if n == 3 {
			goruntime.Goexit()
		}
		emit(n)
	}

	consumer c(n int) {
		p.del++
	}

	after_run {
		var fs []any
		says := len(result.Failures) > 0
		for _, f := range result.Failures {
			fs = append(fs, f.Item)
			says = says && strings.Contains(f.Err.Error(), "runtime.Goexit")
		}
		fmt.Printf("delivered=%d failed=%v says goexit: %v\n", p.del, fs, says)
	}
}
