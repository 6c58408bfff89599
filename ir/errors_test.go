package ir_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the stderr section of testdata/errors/*.txtar")

// TestErrors runs the diagnostic goldens: each testdata/errors/<case>.txtar
// holds .mg files (and optionally Go files of the same package) and a
// "stderr" section with the exact diagnostics, one per line, sorted: the
// checker's, then, when it accepts the program, Go's on the generated code,
// as minigungen check reports them.
// go test ./ir -run Errors -update rewrites the stderr sections.
func TestErrors(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("..", "testdata", "errors", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/errors")
	}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := checkArchive(t, ar)
			idx := -1
			for i, f := range ar.Files {
				if f.Name == "stderr" {
					idx = i
				}
			}
			if *update {
				if idx < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "stderr"})
					idx = len(ar.Files) - 1
				}
				ar.Files[idx].Data = []byte(got)
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if idx < 0 {
				t.Fatalf("%s has no stderr section (run with -update to write one); got:\n%s", path, got)
			}
			if want := string(ar.Files[idx].Data); got != want {
				t.Errorf("diagnostics differ (run go test ./ir -run Errors -update to accept)\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// checkArchive writes the archive's files to a temporary directory, parses
// and checks its .mg files there and returns the diagnostics, one per line.
func checkArchive(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	dir := t.TempDir()
	var names []string
	for _, f := range ar.Files {
		if f.Name == "stderr" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Name, ".mg") {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		t.Fatal("no .mg file in the archive")
	}
	var all dsl.Diagnostics
	var files []*dsl.File
	for _, n := range names {
		src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			t.Fatal(err)
		}
		f, diags := dsl.Parse(n, src)
		all = append(all, diags...)
		if f != nil {
			files = append(files, f)
		}
	}
	// Like minigungen check: a file that does not parse is not checked; a
	// program the checker accepts is generated and its Go type-checked.
	if !all.HasErrors() {
		prog, diags := ir.CheckWith(ir.Options{Dir: dir}, files...)
		all = append(all, diags...)
		if !diags.HasErrors() {
			out, err := codegen.Generate(prog, codegen.Options{DefaultPackage: "main"})
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			var gofiles []ir.GoFile
			for _, f := range out {
				gofiles = append(gofiles, ir.GoFile{Name: f.Name, Src: f.TypeCheck})
			}
			all = append(all, prog.CheckGenerated(gofiles...)...)
		}
	}
	all.Sort()
	var b bytes.Buffer
	for _, d := range all {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestErrorsDeterministic checks a case with many diagnostics several times:
// the output must not depend on map order.
func TestErrorsDeterministic(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "errors", "*.txtar"))
	sort.Strings(paths)
	for _, path := range paths {
		base := filepath.Base(path)
		if base != "ambiguous.txtar" && base != "unknown_option.txtar" && base != "cycle.txtar" {
			continue
		}
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		first := checkArchive(t, ar)
		for i := 0; i < 5; i++ {
			if got := checkArchive(t, ar); got != first {
				t.Fatalf("%s: diagnostics vary between runs:\n%s\nthen:\n%s", base, first, got)
			}
		}
	}
}
