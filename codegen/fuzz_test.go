package codegen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

// FuzzGenerate checks that no program the checker accepts makes the generator
// panic (go test ./codegen -run '^$' -fuzz FuzzGenerate). Seeds: the corpus,
// the goldens' inputs and the repository's .mg files.
func FuzzGenerate(f *testing.F) {
	for _, pat := range []string{"../../shared/spec/*.mg", "../testdata/golden/*.txtar", "../internal/behavior/*.mg", "../examples/*/*.mg"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			b, _ := os.ReadFile(p)
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, _ := dsl.Parse("f.mg", src)
		if file == nil {
			return
		}
		prog, diags := ir.CheckWith(ir.Options{NoTypes: true}, file)
		if diags.HasErrors() {
			return
		}
		Generate(prog, Options{DefaultPackage: "p"})
	})
}
