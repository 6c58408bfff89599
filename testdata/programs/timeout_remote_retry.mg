// timeout(D) with retry(N) on a remote stage: the worker ends an attempt that runs past its
// deadline (plus a grace period) without returning, and the item then has attempts left, so
// it runs again on another worker rather than failing. The first attempt of item 3 ignores
// its ctx (a marker file tells the attempts apart across worker processes); the second one
// returns at once.
//
// want:
// delivered=10 failures=0 item 3 twice: true
//
// exit: 0
// args: -shutdown-timeout 1s
// timeout: 20s
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

go {
	func marker(pid int) string {
		return filepath.Join(os.TempDir(), fmt.Sprintf("mg-timeout-retry-%d", pid))
	}
}

pipeline TimeoutRetry {
	state {
		delivered int
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}

	processor work(x int) int remote(2, ack_wait: 1s) timeout(200ms) retry(2, backoff: 10ms) {
		if x == 3 {
			f, err := os.OpenFile(marker(os.Getppid()), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err == nil {
				f.Close()
				time.Sleep(time.Hour) // the first attempt ignores ctx
			}
		}
		emit(x)
	}

	consumer collect(x int) {
		p.delivered++
	}

	after_run {
		_, err := os.Stat(marker(os.Getpid()))
		os.Remove(marker(os.Getpid()))
		fmt.Printf("delivered=%d failures=%d item 3 twice: %v\n", p.delivered, len(result.Failures), err == nil)
		for _, f := range result.Failures {
			fmt.Printf("failed item %v: %v\n", f.Item, f.Err)
		}
	}
}
