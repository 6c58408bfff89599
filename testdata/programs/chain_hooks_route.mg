// Hooks on fused stages fire once each, in order; the last stage of a chain
// routes with to.NAME into a threads stage; stats count every stage.
package main

import (
	"fmt"
	"sort"
	"sync"
)

pipeline P {
	state {
		mu     sync.Mutex
		events []string
		odd    []int
		even   []int
	}
	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processor a(x int) int { emit(x + 1) }
	processor b(x int) int to(odds, evens) {
		if x%2 == 1 {
			to.odds(x)
		} else {
			to.evens(x)
		}
	}
	consumer odds(x int) threads(3) {
		p.mu.Lock()
		p.odd = append(p.odd, x)
		p.mu.Unlock()
	}
	consumer evens(x int) { p.even = append(p.even, x) }
	before(a) { p.events = append(p.events, "before a") }
	after(a) { p.events = append(p.events, "after a") }
	before(b) { p.events = append(p.events, "before b") }
	after(b) { p.events = append(p.events, "after b") }
	after_run {
		sort.Ints(p.odd)
		fmt.Println(p.events)
		fmt.Println(p.odd, p.even)
		for _, s := range result.Stages {
			fmt.Println(s.Name, s.In, s.Out)
		}
	}
}
// want:
// [before a before b after a after b]
// [1 3 5 7 9] [2 4 6 8 10]
// gen 0 10
// a 10 10
// b 10 10
// odds 5 0
// evens 5 0
