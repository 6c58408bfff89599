package mgfmt

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
	"golang.org/x/tools/txtar"

	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

// Formatting keeps what a file means: the original and the formatted file
// check alike and generate the same Go, but for positions. Compared: every
// golden case's input and output; every corpus file and example, as written,
// formatted, and squashed then formatted (the corpus's files one by one, as
// minigungen build compiles them; each example directory as one package).
func TestMeaningKept(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command (bound Go functions are typed by loading packages)")
	}
	type unit struct {
		name  string
		dir   string // the package's directory; "" for a standalone program
		files map[string][]byte
	}
	var units []unit
	goldens, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "fmt", "*.txtar"))
	for _, path := range goldens {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var in, out []byte
		for _, f := range ar.Files {
			switch f.Name {
			case "in.mg":
				in = f.Data
			case "out.mg":
				out = f.Data
			}
		}
		if out == nil {
			continue
		}
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sameMeaning(t, "", map[string][]byte{"in.mg": in}, map[string][]byte{"in.mg": out})
		})
	}
	byDir := map[string]unit{}
	for _, path := range corpus(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(filepath.ToSlash(path), "/examples/") {
			dir := filepath.Dir(path)
			u, ok := byDir[dir]
			if !ok {
				u = unit{name: filepath.ToSlash(dir), dir: dir, files: map[string][]byte{}}
			}
			u.files[filepath.Base(path)] = src
			byDir[dir] = u
			continue
		}
		units = append(units, unit{name: filepath.ToSlash(path), files: map[string][]byte{filepath.Base(path): src}})
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		units = append(units, byDir[d])
	}
	for _, u := range units {
		t.Run(u.name, func(t *testing.T) {
			t.Parallel()
			formatted := map[string][]byte{}
			squashed := map[string][]byte{}
			for name, src := range u.files {
				out, diags := Source(name, src)
				if out == nil {
					t.Skipf("does not format: %v", diags)
				}
				formatted[name] = out
				sq, _ := Source(name, squash(src))
				squashed[name] = sq
			}
			dir := ""
			if u.dir != "" {
				abs, err := filepath.Abs(u.dir)
				if err != nil {
					t.Fatal(err)
				}
				dir = abs
			}
			ga, da := generate(t, dir, u.files)
			for _, v := range []map[string][]byte{formatted, squashed} {
				if sameFiles(u.files, v) {
					continue // a canonical file formats to itself: nothing to compare
				}
				gb, db := generate(t, dir, v)
				compareMeaning(t, ga, da, gb, db)
			}
		})
	}
}

// sameMeaning fails unless the two versions of a program check with the same
// diagnostics and generate the same Go, positions aside.
func sameMeaning(t *testing.T, dir string, a, b map[string][]byte) {
	t.Helper()
	ga, da := generate(t, dir, a)
	gb, db := generate(t, dir, b)
	compareMeaning(t, ga, da, gb, db)
}

// compareMeaning fails unless two generations gave the same diagnostics and Go.
func compareMeaning(t *testing.T, ga, da, gb, db string) {
	t.Helper()
	if da != db {
		t.Errorf("diagnostics differ:\n%s\nformatted:\n%s", da, db)
	}
	if d := diff.Diff("generated from the source", []byte(ga), "generated from the formatted file", []byte(gb)); d != nil {
		t.Errorf("generated Go differs:\n%s", d)
	}
}

var (
	lineDirective = regexp.MustCompile(`(?m)^[ \t]*//line .*\n`)
	mgPosition    = regexp.MustCompile(`(\.mg):\d+(:\d+)?`)
	posLiteral    = regexp.MustCompile(`Line: *\d+, *Col: *\d+`)
	// A built program's -h shows a param's default as the .mg file spells
	// it, which formatting may respace.
	usageLine = regexp.MustCompile(`(?m)^(\s*Usage: *)(".*"),$`)
)

// generate checks and generates a program; it returns the generated Go with
// positions left out, and the diagnostics' messages without their positions.
func generate(t *testing.T, dir string, files map[string][]byte) (string, string) {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var parsed []*dsl.File
	for _, n := range names {
		f, diags := dsl.Parse(n, files[n])
		if f == nil {
			t.Fatalf("%s does not parse: %v", n, diags)
		}
		parsed = append(parsed, f)
	}
	opts := ir.Options{Fast: true, Dir: dir, Standalone: dir == ""}
	prog, diags := ir.CheckWith(opts, parsed...)
	var msgs []string
	for _, d := range diags {
		msgs = append(msgs, fmt.Sprintf("%s: %d: %s", d.Pos.File, d.Severity, mgPosition.ReplaceAllString(d.Msg, "$1:POS")))
	}
	sort.Strings(msgs)
	if diags.HasErrors() {
		t.Logf("compared by diagnostics: %s", strings.Join(msgs, "; "))
		return "", strings.Join(msgs, "\n")
	}
	copts := codegen.Options{}
	if dir == "" {
		copts = codegen.Options{Package: "main", Main: true}
	}
	out, err := codegen.Generate(prog, copts)
	if err != nil {
		return "", strings.Join(append(msgs, err.Error()), "\n")
	}
	var b strings.Builder
	for _, f := range out {
		src := lineDirective.ReplaceAllString(string(f.Content), "")
		src = mgPosition.ReplaceAllString(src, "$1:POS")
		src = posLiteral.ReplaceAllString(src, "Line: L, Col: C")
		src = usageLine.ReplaceAllStringFunc(src, func(l string) string {
			return strings.NewReplacer(" ", "", `\t`, "", `\n`, "").Replace(l)
		})
		fmt.Fprintf(&b, "-- %s --\n%s", f.Name, src)
	}
	return b.String(), strings.Join(msgs, "\n")
}

// sameFiles reports whether a and b hold the same files with the same bytes.
func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for name, src := range a {
		if !bytes.Equal(src, b[name]) {
			return false
		}
	}
	return true
}
