package tool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// startSrc is a small pipeline with a param, a doc comment and a threads stage: what most
// built programs look like. It does almost no work, so a run's time is the program's start
// and exit.
const startSrc = `// Start measures how fast a built program starts.
package main

import "sync/atomic"

pipeline Start {
	// items to make
	param Count int = 10

	state {
		sum atomic.Int64
	}

	producer gen() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}
	processor double(n int) int threads(2) { emit(n * 2) }
	consumer save(n int) { p.sum.Add(int64(n)) }
}
`

// BenchmarkBuiltProgramStart runs a built program without any of the runtime's flags, b.N
// times: the time per run is what starting (and ending) a built binary costs.
//
//	go test ./internal/tool -run '^$' -bench BuiltProgramStart -benchtime 200x
func BenchmarkBuiltProgramStart(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "start.mg"), []byte(startSrc), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "start")
	if code := Main([]string{"build", "start.mg", "-o", bin}, Env{Dir: dir}); code != 0 {
		b.Fatalf("build: exit %d", code)
	}
	b.ResetTimer()
	for b.Loop() {
		if out, err := exec.Command(bin, "-count", "10").CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
}
