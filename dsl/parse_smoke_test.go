package dsl

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSmokeCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../shared/spec/*.mg")
	more, _ := filepath.Glob("../../shared/spec/*/*.mg")
	for _, f := range append(files, more...) {
		src, _ := os.ReadFile(f)
		_, d := Parse(filepath.Base(f), src)
		t.Logf("%s: %v", f, d)
	}
}
