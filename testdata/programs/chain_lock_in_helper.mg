// Stage a holds a lock across its emit through methods of a go { } block, and stage b holds
// a one-slot semaphore (a channel) across its emit; the consumer takes both. Neither a nor b
// may call the stage after it inside its emit (a chain): that stage would wait for what the
// caller holds, for ever. They hand their items over a queue instead.
// want:
// got=200
//
// timeout: 30s
package main

import (
	"fmt"
	"sync"
)

go {
	func (p *P) acquire() { p.mu.Lock() }

	func (p *P) release() { p.mu.Unlock() }
}

pipeline P {
	state {
		mu  sync.Mutex
		sem chan struct{}
		got int
	}

	before_run {
		p.sem = make(chan struct{}, 1)
	}

	producer gen() int {
		for i := 0; i < 200; i++ {
			emit(i)
		}
	}

	processor a(x int) int {
		p.acquire()
		defer p.release()
		emit(x)
	}

	processor b(x int) int {
		p.sem <- struct{}{}
		emit(x)
		<-p.sem
	}

	consumer c(x int) {
		p.sem <- struct{}{}
		p.acquire()
		p.got++
		p.release()
		<-p.sem
	}

	after_run {
		fmt.Printf("got=%d\n", p.got)
	}
}
