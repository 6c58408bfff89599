package dsl

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// grammarNotation matches participle's names for grammar rules, which a
// message should spell in words (see expectedWords).
var grammarNotation = regexp.MustCompile(`\(expected [A-Z<]`)

// specDir is the shared conformance corpus, relative to this package.
const specDir = "../../shared/spec"

// specFiles returns every .mg file under the corpus, or nil when it is absent.
func specFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(specDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".mg") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil
	}
	return files
}

// FuzzParse checks that Parse never panics (it turns a panic into an
// "internal error" diagnostic, which fails here), that it returns a file or
// exactly one well-formed diagnostic, and that the Go fragments of a file are
// slices of its source. Seeds: the conformance corpus when it is there, the
// snippets of the table tests, and testdata/fuzz/FuzzParse: nesting one level
// past maxNesting (deep enough nesting overflowed the stack before the limit).
func FuzzParse(f *testing.F) {
	for _, path := range specFiles(f) {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, c := range parseCases {
		f.Add([]byte(c.src))
	}
	for _, c := range syntaxErrorCases {
		f.Add([]byte(c.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkParse(t, src)
	})
}

// checkParse parses src and checks the properties every parse must have,
// whatever the input.
func checkParse(t *testing.T, src []byte) {
	t.Helper()
	file, diags := Parse("fuzz.mg", src)
	for _, d := range diags {
		if strings.HasPrefix(d.Msg, "internal error") {
			t.Fatalf("%s\ninput:\n%s", d, src)
		}
		if d.Pos.Line < 1 || d.Pos.Col < 1 || d.Pos.Offset < 0 || d.Pos.Offset > len(src) {
			t.Fatalf("diagnostic at an impossible position %+v: %s", d.Pos, d)
		}
		if d.Msg == "" || strings.HasSuffix(d.Msg, ".") || unicode.IsUpper([]rune(d.Msg)[0]) {
			t.Fatalf("badly formed message %q", d.Msg)
		}
		if grammarNotation.MatchString(d.Msg) {
			t.Fatalf("message in grammar notation: %q", d.Msg)
		}
	}
	if file == nil {
		if len(diags) != 1 {
			t.Fatalf("failed parse with %d diagnostics, want 1: %v", len(diags), diags)
		}
		return
	}
	if len(diags) != 0 {
		t.Fatalf("successful parse with diagnostics: %v", diags)
	}
	if !bytes.Equal(file.Src, src) {
		t.Fatalf("File.Src is not the input")
	}
	bodies, types, exprs := fragments(file)
	for _, b := range bodies {
		lo, hi := b.Lbrace.Offset, b.Rbrace.Offset
		if lo < 0 || hi >= len(src) || lo >= hi || src[lo] != '{' || src[hi] != '}' {
			t.Fatalf("body braces at offsets %d and %d do not slice the input", lo, hi)
		}
		if b.Text != string(src[lo+1:hi]) {
			t.Fatalf("body text %q is not the source between its braces %q", b.Text, src[lo+1:hi])
		}
	}
	for _, g := range types {
		checkFragment(t, src, "type", g.Pos.Offset, g.End, g.Text)
	}
	for _, g := range exprs {
		checkFragment(t, src, "expression", g.Pos.Offset, g.End, g.Text)
	}
}

func checkFragment(t *testing.T, src []byte, what string, start, end int, text string) {
	t.Helper()
	if start < 0 || end > len(src) || start >= end {
		t.Fatalf("%s %q spans offsets %d..%d of %d bytes", what, text, start, end, len(src))
	}
	if text == "" || text != strings.TrimSpace(string(src[start:end])) {
		t.Fatalf("%s text %q is not the source at %d..%d %q", what, text, start, end, src[start:end])
	}
}
