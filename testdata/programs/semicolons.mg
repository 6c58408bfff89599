// Go syntax in imports and state fields: semicolons between paths and between fields.
//
// want:
// a=1 b=2 sum=6
package main

import ("fmt"; "sync")

pipeline S {
	state { mu sync.Mutex; a int; b, c int; sum int merge(sum) }
	producer gen() int { emit(1); emit(2); emit(3) }
	processor add(x int) int processes(2) { p.sum += x; emit(x) }
	consumer sink(x int) { p.mu.Lock(); p.a = 1; p.b = 2; p.mu.Unlock() }
	after_run { fmt.Printf("a=%d b=%d sum=%d\n", p.a, p.b, p.sum) }
}
