// Bug 6: a threads(4) processor whose body emits from goroutines it starts (and waits for)
// loses or duplicates items silently: the goroutine's emit buffer is not safe for concurrent
// use. Every item must arrive exactly once. (If the runtime chooses to refuse concurrent
// emits instead, this program's expectations change to a clear failure.) Racy: run many times.
//
// want:
// items=400000 distinct=400000 out_of_range=0
//
// runs: 20
package main

import (
	"fmt"
	"sync"
)

pipeline ConcurrentThreadsEmit {
	state {
		seen map[int]int
	}

	before_run {
		p.seen = map[int]int{}
	}

	producer gen() int {
		for i := 0; i < 1000; i++ {
			emit(i)
		}
	}

	processor fan(x int) int threads(4) {
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 100; j++ {
					emit(x*400 + g*100 + j)
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
			if v < 0 || v >= 400000 {
				bad++
			}
		}
		fmt.Printf("items=%d distinct=%d out_of_range=%d\n", n, len(p.seen), bad)
	}
}
