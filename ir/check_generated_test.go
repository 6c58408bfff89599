package ir_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

// generated checks src (and the Go files given) in a directory of its own,
// generates it, and returns the program and the generated files as
// CheckGenerated takes them.
func generated(t *testing.T, src string, goFiles map[string]string, opts ir.Options) (*ir.Program, []ir.GoFile, []codegen.File) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range goFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, diags := dsl.Parse("x.mg", []byte(src))
	if f == nil {
		t.Fatalf("does not parse:\n%v", diags)
	}
	opts.Dir = dir
	prog, diags := ir.CheckWith(opts, f)
	if diags.HasErrors() {
		t.Fatalf("check:\n%v", diags)
	}
	out, err := codegen.Generate(prog, codegen.Options{DefaultPackage: "main"})
	if err != nil {
		t.Fatal(err)
	}
	var files []ir.GoFile
	for _, g := range out {
		files = append(files, ir.GoFile{Name: g.Name, Src: g.TypeCheck})
	}
	return prog, files, out
}

const simple = `package main

pipeline P {
	producer gen() int { emit(1) }
	consumer sink(n int) {}
}
`

// An error that points only into generated code is minigungen's: an
// internal error, at the .mg file, naming the line of the file on disk.
func TestCheckGeneratedInternalError(t *testing.T) {
	prog, files, out := generated(t, simple, nil, ir.Options{})
	if diags := prog.CheckGenerated(files...); len(diags) != 0 {
		t.Fatalf("the generated code does not type-check:\n%v", diags)
	}
	const good, bad = "const _ = mgrt.SupportsGenV1", "const _ = mgrt.NoSuchThing"
	if !bytes.Contains(files[0].Src, []byte(good)) {
		t.Fatalf("no %q in the generated code", good)
	}
	files[0].Src = bytes.Replace(files[0].Src, []byte(good), []byte(bad), 1)
	line := 1 + bytes.Count(out[0].Content[:bytes.Index(out[0].Content, []byte(good))], []byte("\n"))
	diags := prog.CheckGenerated(files...)
	want := "x.mg:1:1: internal error: the generated code does not type-check: x_mg.go:" + itoa(line) + ":16: undefined: mgrt.NoSuchThing"
	if len(diags) != 1 || diags[0].String() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", diags, want)
	}
}

// A Go file of the package that does not type-check is reported at its own
// position, also when the .mg is outside any module.
func TestCheckGeneratedGoFileOfPackage(t *testing.T) {
	prog, files, _ := generated(t, simple, map[string]string{
		"helper.go":    "package main\n\nfunc helper() int { return \"s\" }\n",
		"skip_test.go": "package main\n\nfunc broken() { undefinedInTest() }\n",
	}, ir.Options{})
	diags := prog.CheckGenerated(files...)
	want := `helper.go:3:28: cannot use "s" (untyped string constant) as int value in return statement`
	if len(diags) != 1 || diags[0].String() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", diags, want)
	}
}

// Without Go types there is nothing to check in.
func TestCheckGeneratedWithoutTypes(t *testing.T) {
	for _, opts := range []ir.Options{{NoTypes: true}, {Fast: true}} {
		prog, files, _ := generated(t, strings.Replace(simple, "emit(1)", `emit("x")`, 1), nil, opts)
		if diags := prog.CheckGenerated(files...); len(diags) != 0 {
			t.Errorf("%+v: got diagnostics without Go types:\n%v", opts, diags)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
