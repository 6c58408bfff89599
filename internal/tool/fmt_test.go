package tool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestFmtCommand(t *testing.T) {
	dir := t.TempDir()
	messy := "pipeline P {\n  producer gen() int { emit( 1 ) }\n  consumer c(n int) {}\n}\n"
	canonical := "pipeline P {\n\tproducer gen() int { emit(1) }\n\tconsumer c(n int) {}\n}\n"
	write := func(name, src string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("pkg/a.mg", messy)
	okPath := write("pkg/b.mg", canonical)
	write("pkg/sub/c.mg", messy)
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(okPath, old, old); err != nil {
		t.Fatal(err)
	}

	// No flag: the formatted text of every file.
	if code, out, stderr := runTool(t, dir, "fmt", "pkg/a.mg", "pkg/b.mg"); code != 0 || out != canonical+canonical || stderr != "" {
		t.Errorf("fmt: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	// -l lists the files that differ; a directory is its .mg files, DIR/... a tree.
	if code, out, _ := runTool(t, dir, "fmt", "-l", "pkg"); code != 0 || out != "pkg/a.mg\n" {
		t.Errorf("fmt -l pkg: exit %d, listed %q", code, out)
	}
	if code, out, _ := runTool(t, dir, "fmt", "-l", "pkg/..."); code != 0 || out != "pkg/a.mg\npkg/sub/c.mg\n" {
		t.Errorf("fmt -l pkg/...: exit %d, listed %q", code, out)
	}
	// Flags may follow the files.
	if code, out, _ := runTool(t, dir, "fmt", "pkg/...", "-l"); code != 0 || out != "pkg/a.mg\npkg/sub/c.mg\n" {
		t.Errorf("fmt pkg/... -l: exit %d, listed %q", code, out)
	}
	// -d prints a unified diff of what would change, and nothing for the rest.
	code, out, _ := runTool(t, dir, "fmt", "-d", "pkg")
	wantDiff := "diff pkg/a.mg.orig pkg/a.mg\n--- pkg/a.mg.orig\n+++ pkg/a.mg\n@@ -1,4 +1,4 @@\n pipeline P {\n-  producer gen() int { emit( 1 ) }\n-  consumer c(n int) {}\n+\tproducer gen() int { emit(1) }\n+\tconsumer c(n int) {}\n }\n"
	if code != 0 || out != wantDiff {
		t.Errorf("fmt -d: exit %d\n%s\nwant:\n%s", code, out, wantDiff)
	}
	// -w rewrites only the files whose bytes change.
	if code, out, stderr := runTool(t, dir, "fmt", "-w", "pkg/..."); code != 0 || out != "" || stderr != "" {
		t.Errorf("fmt -w: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	for _, name := range []string{"pkg/a.mg", "pkg/b.mg", "pkg/sub/c.mg"} {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != canonical {
			t.Errorf("after -w, %s is:\n%s", name, got)
		}
	}
	if st, err := os.Stat(okPath); err != nil || !st.ModTime().Equal(old) {
		t.Errorf("fmt -w wrote pkg/b.mg, which was already formatted")
	}
	if code, out, _ := runTool(t, dir, "fmt", "-l", "pkg/..."); code != 0 || out != "" {
		t.Errorf("fmt -l after -w: exit %d, listed %q", code, out)
	}

	// Standard input when no file is named.
	var stdout, stderr strings.Builder
	code = Main([]string{"fmt"}, Env{Stdin: strings.NewReader(messy), Stdout: &stdout, Stderr: &stderr, Dir: dir})
	if code != 0 || stdout.String() != canonical {
		t.Errorf("fmt < file: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}

	// A file that does not parse: file:line:col and exit 1; the others are still formatted.
	write("bad/x.mg", "pipeline P {\n\tprocessor w(n int) int threads(4 { emit(n) }\n}\n")
	write("bad/y.mg", messy)
	code, out, errOut := runTool(t, dir, "fmt", "-l", "bad")
	if code != 1 || out != "bad/y.mg\n" || errOut != "bad/x.mg:2:35: syntax error: unexpected \"{\" in threads(...): expected \",\" or \")\"\n" {
		t.Errorf("fmt -l bad: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A comment between a declaration's words is an error, not dropped.
	path := write("bad/z.mg", "pipeline P {\n\tconsumer c(n int) /* here */ {}\n}\n")
	code, _, errOut = runTool(t, dir, "fmt", "-w", "bad/z.mg")
	if code != 1 || !strings.HasPrefix(errOut, "bad/z.mg:2:20: cannot place this comment") {
		t.Errorf("fmt -w bad/z.mg: exit %d, stderr %q", code, errOut)
	}
	if got, _ := os.ReadFile(path); !strings.Contains(string(got), "/* here */") {
		t.Errorf("fmt -w rewrote a file it cannot format:\n%s", got)
	}
	// A body that is not Go is left as written, with a warning; the rest is formatted.
	write("warn/w.mg", "pipeline P {\n  producer gen() int { emit( }\n  consumer c(n int) {}\n}\n")
	code, out, errOut = runTool(t, dir, "fmt", "warn/w.mg")
	if code != 0 || out != "pipeline P {\n\tproducer gen() int { emit( }\n\tconsumer c(n int) {}\n}\n" || errOut != "warn/w.mg:2:30: warning: body left as written: expected operand, found '}'\n" {
		t.Errorf("fmt warn/w.mg: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
