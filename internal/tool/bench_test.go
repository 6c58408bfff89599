package tool

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The speed targets of DESIGN 5 for a 200-stage file: check with Go type
// loading under 2 s, generate -fast under 300 ms. Benchmarks, never timed
// assertions: go test ./internal/tool -run '^$' -bench Stages200.

// stages200 writes a .mg file of 200 stages (a producer, 198 processors with
// bodies of a few lines, a consumer, state with merge rules, hooks) in a
// directory of its own, outside any module, and returns the directory.
func stages200(b *testing.B) string {
	b.Helper()
	var s strings.Builder
	s.WriteString("package big\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\npipeline Big {\n")
	s.WriteString("\tparam Count int = 10\n\tstate {\n\t\ttotal int merge(sum)\n\t\tseen  map[int]bool\n\t}\n")
	s.WriteString("\tproducer gen() int {\n\t\tfor i := 0; i < p.Count; i++ {\n\t\t\temit(i)\n\t\t}\n\t}\n")
	for i := 0; i < 198; i++ {
		fmt.Fprintf(&s, "\tprocessor step%d(n int) int threads(2) {\n\t\tif n%%7 == 0 {\n\t\t\t_ = strings.Repeat(\"x\", %d)\n\t\t}\n\t\temit(n + 1)\n\t}\n", i, i%5)
	}
	s.WriteString("\tconsumer sink(n int) {\n\t\tfmt.Println(n)\n\t}\n")
	s.WriteString("\tbefore_run {\n\t\tp.seen = map[int]bool{}\n\t}\n\tafter_run {\n\t\tfmt.Println(p.total)\n\t}\n}\n")
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.mg"), []byte(s.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

func benchTool(b *testing.B, args ...string) {
	dir := stages200(b)
	if code, _, stderr := runToolB(dir, args...); code != 0 {
		b.Fatalf("minigungen %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code, _, stderr := runToolB(dir, args...); code != 0 {
			b.Fatalf("minigungen %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
	}
}

func runToolB(dir string, args ...string) (int, string, string) {
	var out, errb strings.Builder
	code := Main(args, Env{Stdout: &out, Stderr: &errb, Dir: dir})
	return code, out.String(), errb.String()
}

// BenchmarkCheckStages200 is minigungen check with Go type loading and the
// type check of the generated code (target: under 2 s).
func BenchmarkCheckStages200(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("needs the go command")
	}
	benchTool(b, "check", "big.mg")
}

// BenchmarkGenerateFastStages200 is minigungen generate -fast, the editor and
// watch-loop path (target: under 300 ms).
func BenchmarkGenerateFastStages200(b *testing.B) {
	benchTool(b, "generate", "-fast", "big.mg")
}

// BenchmarkGenerateStages200 is minigungen generate with the type check.
func BenchmarkGenerateStages200(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("needs the go command")
	}
	benchTool(b, "generate", "big.mg")
}
