// DESIGN 5 (fused chains): a chain's bodies call the next stage directly, their emit
// spelled as that call in the generated code. A chain whose bodies spell emit in strings, comments and raw strings over
// several lines, shadow p in a loop, and emit from a stage that emits several
// values to a stage that panics on one: every other value comes through.
// exit: 3
// want:
// sink 3 [a emit( 1] [a emit( 2] [a emit( 4]
// failed 1
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

pipeline Main {
	state {
		got []string
	}

	producer gen() int {
		emit(1) // emit(100) in a comment
	}
	processor fan(x int) string {
		note := `raw
emit(
`
		for _, p := range []int{1, 2, 3, 4} {
			emit(fmt.Sprint(strings.Split(note, "\n")[1], " ", x*p))
		}
	}
	processor boom(s string) string {
		if strings.HasSuffix(s, " 3") {
			panic("three")
		}
		emit("a " + s)
	}
	consumer sink(s string) { p.got = append(p.got, "["+s+"]") }

	after_run {
		sort.Strings(p.got)
		fmt.Println("sink", len(p.got), strings.Join(p.got, " "))
		fmt.Println("failed", len(result.Failures))
		_ = os.Stdout
	}
}
