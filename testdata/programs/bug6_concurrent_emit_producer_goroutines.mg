// Bug 6: a producer that emits from several goroutines it starts (and waits for) crashes the
// program (nil pointer dereference in the producer's buffer) or loses items. Every item must
// arrive exactly once. (If the runtime chooses to refuse concurrent emits instead, this
// program's expectations change to a clear failure.) Racy: run many times.
//
// want:
// items=80000 distinct=80000 out_of_range=0
//
// runs: 20
package main

import (
	"fmt"
	"sync"
)

pipeline ConcurrentProducerEmit {
	state {
		seen map[int]int
	}

	before_run {
		p.seen = map[int]int{}
	}

	producer gen() int {
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10000; i++ {
					emit(g*10000 + i)
				}
			}()
		}
		wg.Wait()
	}

	consumer count(x int) {
		p.seen[x]++
	}

	after_run {
		n, bad := 0, 0
		for v, c := range p.seen {
			n += c
			if v < 0 || v >= 80000 {
				bad++
			}
		}
		fmt.Printf("items=%d distinct=%d out_of_range=%d\n", n, len(p.seen), bad)
	}
}
