package tool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A pipeline nested from another .mg file of the package spells that file's
// types: the generated file must import what they need.
func TestGenerateNestedAcrossFiles(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(filepath.Join(root, "internal"), "multifile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	files := map[string]string{
		"a.mg": `package multifile

import "time"

pipeline Transform {
	processor conv(n int) time.Duration { emit(time.Duration(n)) }
	consumer sink(d time.Duration) {}
}
`,
		"b.mg": `package multifile

pipeline Main {
	producer gen() int { emit(1) }
	nested t = Transform
}
`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, stderr := runTool(t, dir, "generate", "."); code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	vet := exec.Command("go", "vet", ".")
	vet.Dir = dir
	if out, err := vet.CombinedOutput(); err != nil {
		t.Fatalf("the generated package does not vet: %v\n%s", err, out)
	}
}
