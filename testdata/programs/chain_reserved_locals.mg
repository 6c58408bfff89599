// Reserved names (README): bodies see only their documented names. A chained body that declares
// a local named like the chain's own generated names, and a stage whose input is named so, still
// build and run: such bodies are called through their stage's method.
// want:
// sum 12
// sum2 6
package main

import "fmt"

pipeline Main {
	state { sum int }
	producer gen() int { emit(1); emit(2); emit(3) }
	processor double(n int) int {
		mgChain := n * 2
		emit(mgChain)
	}
	consumer s(n int) { p.sum += n }
	after_run { fmt.Println("sum", p.sum) }
}

pipeline Second {
	state { sum int }
	producer gen() int { emit(1); emit(2); emit(3) }
	processor same(mgChain int) int { emit(mgChain) }
	consumer s(n int) { p.sum += n }
	after_run { fmt.Println("sum2", p.sum) }
}
