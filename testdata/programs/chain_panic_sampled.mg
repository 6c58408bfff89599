// Panics in covered stages of a chain, on the first item (slow path) and on
// items that are sampled for latency: each is a failure of its own stage.
package main

import "fmt"

pipeline P {
	state {
		n int
	}
	producer gen() int {
		for i := 0; i < 100000; i++ {
			emit(i)
		}
	}
	processor a(x int) int { emit(x) }
	processor b(x int) int {
		if x%7 == 0 {
			panic(x)
		}
		emit(x)
	}
	processor c(x int) int { emit(x) }
	processor d(x int) int {
		if x%11 == 0 {
			panic("d")
		}
		emit(x)
	}
	consumer e(x int) {
		if x%13 == 0 {
			panic("e")
		}
		p.n++
	}
	after_run {
		fmt.Println(p.n, result.FailedItems, len(result.Failures))
		for _, s := range result.Stages {
			fmt.Println(s.Name, s.In, s.Out, s.Failed)
		}
	}
}
// want:
// 71928 28072 1000
// gen 0 100000 0
// a 100000 100000 0
// b 100000 85714 14286
// c 85714 85714 0
// d 85714 77922 7792
// e 77922 0 5994

// exit: 3
