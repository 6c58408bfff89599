// process_per_batch: while the batches run, goroutines of the parent end locked to their OS
// thread (runtime.LockOSThread without Unlock), so Go ends those threads. A child started from
// such a thread is SIGKILLed by Pdeathsig although the parent lives on. No batch may fail.
//
// runs: 5
//
// want:
// batches=60 failed=0
package main

import (
	"fmt"
	"runtime"
	"time"
)

pipeline P {
	state { n int }
	producer gen() int {
		for i := 0; i < 60; i++ {
			for j := 0; j < 16; j++ {
				go func() { runtime.LockOSThread(); time.Sleep(time.Millisecond) }()
			}
			emit(i)
		}
	}
	batch 1
	processor work(b []int) int process_per_batch(max: 2) {
		time.Sleep(10 * time.Millisecond)
		emit(b[0])
	}
	consumer sink(n int) { p.n++ }
	after_run { fmt.Printf("batches=%d failed=%d\n", p.n, result.FailedItems) }
}
