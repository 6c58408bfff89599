// A parent-side stage whose helper goroutines end while locked to their OS thread (as code
// using runtime.LockOSThread does): Go then ends those threads. Workers of a processes stage
// started from such a thread must not be killed (Pdeathsig fires on the death of the thread
// that forked, not of the process). No item may fail.
//
// runs: 5
//
// want:
// out=400 failed=0
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

pipeline P {
	state { out int }
	producer gen() int { for i := 0; i < 400; i++ { emit(i) } }
	processor churn(n int) int threads(2) {
		var wg sync.WaitGroup
		for j := 0; j < 8; j++ {
			wg.Add(1)
			go func() { defer wg.Done(); runtime.LockOSThread(); time.Sleep(100 * time.Microsecond) }()
		}
		wg.Wait()
		emit(n)
	}
	processor work(n int) int processes(2, recycle: 20) {
		time.Sleep(2 * time.Millisecond)
		emit(n)
	}
	consumer sink(n int) { p.out++ }
	after_run { fmt.Printf("out=%d failed=%d\n", p.out, result.FailedItems) }
}
