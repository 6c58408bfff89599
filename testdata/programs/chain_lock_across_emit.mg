// A stage that takes a lock may hold it across its emit: the stage after it must not run
// inside that emit (a chain), where it would wait for the lock for ever. Stage a emits while
// holding p.mu (defer Unlock) and the next stage takes p.mu; unfused (U: c has a queue of its
// own) emit only enqueues, and F, where gen -> a -> c would be a chain, must behave the same
// (c gives up after 1 s of TryLock rather than hang).
//
// want:
// F got=10 stuck=0
// U got=10 stuck=0
package main

import (
	"fmt"
	"sync"
	"time"
)

go {
	func lock(mu *sync.Mutex) bool {
		for t0 := time.Now(); time.Since(t0) < time.Second; time.Sleep(time.Millisecond) {
			if mu.TryLock() {
				return true
			}
		}
		return false
	}
}

pipeline F {
	state {
		mu    sync.Mutex
		got   int
		stuck int
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}

	processor a(x int) int {
		p.mu.Lock()
		defer p.mu.Unlock()
		emit(x)
	}

	consumer c(x int) {
		if !lock(&p.mu) {
			p.stuck++
			return nil
		}
		p.got++
		p.mu.Unlock()
	}

	after_run {
		fmt.Printf("F got=%d stuck=%d\n", p.got, p.stuck)
	}
}

pipeline U {
	state {
		mu    sync.Mutex
		got   int
		stuck int
	}

	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}

	processor a(x int) int {
		p.mu.Lock()
		defer p.mu.Unlock()
		emit(x)
	}

	consumer c(x int) queue_size(100) {
		if !lock(&p.mu) {
			p.stuck++
			return nil
		}
		p.got++
		p.mu.Unlock()
	}

	after_run {
		fmt.Printf("U got=%d stuck=%d\n", p.got, p.stuck)
	}
}
