package tool

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFmtRewritesRubySpellings(t *testing.T) {
	dir := t.TempDir()
	src := `package main

pipeline P {
	execution thread_pool(4)
	context heavy = cow_fork( 2 )
	producer gen() int { emit(1) }
	ipc_fork(3) {
		processor a(n int) int thread_pool(8) { emit(n) } // thread_pool(8) in a comment stays
	}
	batch 10
	consumer sink(b []int) cow_fork(2) {}
}
`
	want := `package main

pipeline P {
	execution threads(4)
	context heavy = process_per_batch(max: 2)
	producer gen() int { emit(1) }
	processes(3) {
		processor a(n int) int threads(8) { emit(n) } // thread_pool(8) in a comment stays
	}
	batch 10
	consumer sink(b []int) process_per_batch(max: 2) {}
}
`
	path := filepath.Join(dir, "p.mg")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runTool(t, dir, "fmt", "p.mg")
	if code != 0 || out != want {
		t.Fatalf("fmt: exit %d\n%s\ngot:\n%s\nwant:\n%s", code, stderr, out, want)
	}
	if code, out, _ := runTool(t, dir, "fmt", "-l", "p.mg"); code != 0 || out != "p.mg\n" {
		t.Errorf("fmt -l: exit %d, listed %q", code, out)
	}
	if code, _, stderr := runTool(t, dir, "fmt", "-w", "p.mg"); code != 0 {
		t.Fatalf("fmt -w: exit %d\n%s", code, stderr)
	}
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("fmt -w wrote:\n%s", got)
	}
	if code, out, _ := runTool(t, dir, "fmt", "-l", "p.mg"); code != 0 || out != "" {
		t.Errorf("fmt -l after -w: exit %d, listed %q", code, out)
	}
	if code, _, _ := runTool(t, dir, "check", "p.mg"); code != 0 {
		t.Errorf("the rewritten file does not check")
	}
}
