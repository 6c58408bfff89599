// DESIGN 2.6 rule 1: "Edges are a set: declaring one edge twice ... makes one edge"; 3.6 / 4.1: bad .mg
// input gives a diagnostic at the .mg position, generated-code errors never leak.
// `to(c, c)` (or `to(c) to(c)`) on a stage:
// expected: either accepted as one edge (prints 10), or an error at 10:30 like "c listed twice".
// actual:   minigungen check/build: 
//   x.mg:1:1: internal error: the generated code does not type-check: x_mg.go:54:2: c redeclared ...
//   x.mg:1:1: internal error: ... duplicate field name c in struct literal
// (from(gen, gen) on the receiving side is accepted and works.) Reproduces always.
// want:
// 10
package main

import "fmt"

pipeline P {
	state {
		n int
	}
	producer gen() int { for i := 0; i < 10; i++ { emit(i) } }
	processor w(x int) int to(c, c) { emit(x) }
	consumer c(x int) { p.n++ }
	after_run { fmt.Println(p.n) }
}
