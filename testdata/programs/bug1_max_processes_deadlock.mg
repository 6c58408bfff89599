// Bug 1: two process_per_batch stages in a row under max_processes 2 never finish. Each item of
// "split" fans out to 5 values; once "join" falls behind, both process slots are held by "split"
// workers whose parent-side slot is blocked routing a finished child's emits into the full queue
// of "join", and "join" waits for a slot: a deadlock. The run must end with every value.
//
// want:
// values=200 sum=3900
//
// timeout: 5s
package main

import "fmt"

pipeline MaxProcessesDeadlock {
	max_processes 2

	state {
		values int
		sum    int
	}

	producer gen() int {
		for i := 0; i < 40; i++ {
			emit(i)
		}
	}

	processor split(x int) int process_per_batch(max: 2) {
		for j := 0; j < 5; j++ {
			emit(x)
		}
	}

	processor join(x int) int process_per_batch(max: 2) {
		emit(x)
	}

	consumer total(x int) {
		p.values++
		p.sum += x
	}

	after_run {
		fmt.Printf("values=%d sum=%d\n", p.values, p.sum)
	}
}
