package tool

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minigun-go/minigun/internal/bench"
)

// The speed targets of DESIGN 5 for a 200-stage file: check with Go type
// loading under 2 s, generate -fast under 300 ms. Benchmarks, never timed
// assertions: go test ./internal/tool -run '^$' -bench Stages200.

// stages200 writes bench.Stages200 (a producer, 198 processors with bodies of
// a few lines, a consumer, state with merge rules, hooks) in a directory of its
// own, outside any module, and returns the directory.
func stages200(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.mg"), []byte(bench.Stages200()), 0o644); err != nil {
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
