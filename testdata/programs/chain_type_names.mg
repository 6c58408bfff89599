// DESIGN 5 (fused chains): each chain has a generated type; these three pipelines' chains must
// get distinct ones (a name built from the pipeline and its head stage alone would collide).
// want:
// A 6
// AB 60
package main

import "fmt"

pipeline A {
	state { sum int }
	producer b_c() int { emit(1); emit(2); emit(3) }
	processor d(n int) int { emit(n) }
	consumer s(n int) { p.sum += n }
	after_run { fmt.Println("A", p.sum) }
}

pipeline AB {
	state { sum int }
	producer c() int { emit(10); emit(20); emit(30) }
	processor d(n int) int { emit(n) }
	consumer s(n int) { p.sum += n }
	after_run { fmt.Println("AB", p.sum) }
}
