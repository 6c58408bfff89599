package bench

import (
	"fmt"
	"strings"
)

// Stages200 is the source of a .mg file of 200 stages, for the generation-time targets of
// DESIGN 5: a producer, 198 processors on goroutines of their own with bodies of a few
// lines, a consumer, state with a merge rule and hooks.
func Stages200() string {
	var s strings.Builder
	s.WriteString("package big\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\npipeline Big {\n")
	s.WriteString("\tparam Count int = 10\n\tstate {\n\t\ttotal int merge(sum)\n\t\tseen  map[int]bool\n\t}\n")
	s.WriteString("\tproducer gen() int {\n\t\tfor i := 0; i < p.Count; i++ {\n\t\t\temit(i)\n\t\t}\n\t}\n")
	for i := 0; i < 198; i++ {
		fmt.Fprintf(&s, "\tprocessor step%d(n int) int threads(2) {\n\t\tif n%%7 == 0 {\n\t\t\t_ = strings.Repeat(\"x\", %d)\n\t\t}\n\t\temit(n + 1)\n\t}\n", i, i%5)
	}
	s.WriteString("\tconsumer sink(n int) {\n\t\tfmt.Println(n)\n\t}\n")
	s.WriteString("\tbefore_run {\n\t\tp.seen = map[int]bool{}\n\t}\n\tafter_run {\n\t\tfmt.Println(p.total)\n\t}\n}\n")
	return s.String()
}
