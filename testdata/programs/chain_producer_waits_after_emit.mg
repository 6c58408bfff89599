// A chain headed by a producer runs on the producer's goroutine, which may wait in user code
// after an emit: what the chain's last stage emitted must reach an idle receiver meanwhile, as
// a producer's own emits do. The producer emits 0, then 1 while the consumer is still busy
// with 0, then waits (up to 1 s) until the consumer has seen 1. Unfused (U: a has a queue of
// its own) the consumer takes 1 as soon as it is free (~200ms); fused (F: gen -> a is a
// chain) it must too (it sat in the chain's output buffer until the producer returned).
//
// want:
// F seen=true
// U seen=true
package main

import (
	"fmt"
	"time"
)

go {
	func wait(ack chan bool) bool {
		select {
		case <-ack:
			return true
		case <-time.After(time.Second):
			return false
		}
	}
}

pipeline F {
	state { ack chan bool; seen bool }
	before_run { p.ack = make(chan bool, 1) }
	producer gen() int {
		time.Sleep(100 * time.Millisecond)
		emit(0)
		emit(1)
		p.seen = wait(p.ack)
	}
	processor a(x int) int { emit(x) }
	consumer c(x int) threads(1) {
		if x == 0 { time.Sleep(200 * time.Millisecond) } else { p.ack <- true }
	}
	after_run { fmt.Println("F seen=" + fmt.Sprint(p.seen)) }
}

pipeline U {
	state { ack chan bool; seen bool }
	before_run { p.ack = make(chan bool, 1) }
	producer gen() int {
		time.Sleep(100 * time.Millisecond)
		emit(0)
		emit(1)
		p.seen = wait(p.ack)
	}
	processor a(x int) int queue_size(10) { emit(x) }
	consumer c(x int) threads(1) {
		if x == 0 { time.Sleep(200 * time.Millisecond) } else { p.ack <- true }
	}
	after_run { fmt.Println("U seen=" + fmt.Sprint(p.seen)) }
}
