// A producer that emits from its own loop and from a goroutine it starts, then waits for it
// (wg.Wait, not deferred), never looking at ctx. SIGINT unwinds the body at its own next emit;
// the goroutine's later emits are dropped, as the run was canceled: the run ends canceled,
// exit 130, not failed for an emit after the body returned.
// want:
// canceled
//
// exit: 130
// timeout: 20s
package main

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

pipeline P {
	state {
		n int
	}

	producer gen() int {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				emit(-1)
				time.Sleep(100 * time.Microsecond)
			}
		}()
		for i := 0; ; i++ {
			emit(i)
			time.Sleep(50 * time.Microsecond)
		}
		wg.Wait()
	}

	consumer c(x int) {
		p.n++
		if p.n == 500 {
			syscall.Kill(os.Getpid(), syscall.SIGINT)
		}
	}

	after_run {
		fmt.Println(result.Status)
	}
}
