package codegen_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
	"golang.org/x/tools/txtar"

	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

// Generation goldens: testdata/golden/<case>.txtar holds the .mg input(s)
// and the expected <name>_mg.go for each. The archive's comment may say
// "mode: build" to generate as minigungen build does (package main with a
// main function); otherwise files without a package clause get
// goldenPackage. `go test ./codegen -run Golden -update` rewrites them.

var update = flag.Bool("update", false, "rewrite testdata/golden with the generated code")

const goldenPackage = "golden"

type goldenCase struct {
	name    string // file name without .txtar
	path    string
	archive *txtar.Archive
	build   bool              // mode: build
	inputs  []txtar.File      // the .mg files
	want    map[string][]byte // expected generated files by name
}

func (c *goldenCase) options() codegen.Options {
	if c.build {
		return codegen.Options{Package: "main", Main: true}
	}
	return codegen.Options{DefaultPackage: goldenPackage}
}

func loadGoldens(t *testing.T) []*goldenCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no goldens in ../testdata/golden")
	}
	var cases []*goldenCase
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := &goldenCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), path: p, archive: a, want: map[string][]byte{}}
		for _, line := range strings.Split(string(a.Comment), "\n") {
			if strings.TrimSpace(line) == "mode: build" {
				c.build = true
			}
		}
		for _, f := range a.Files {
			switch {
			case strings.HasSuffix(f.Name, ".mg"):
				c.inputs = append(c.inputs, f)
			case strings.HasSuffix(f.Name, "_mg.go"):
				c.want[f.Name] = f.Data
			default:
				t.Fatalf("%s: unexpected file %s (want .mg inputs and _mg.go outputs)", p, f.Name)
			}
		}
		if len(c.inputs) == 0 {
			t.Fatalf("%s: no .mg input", p)
		}
		cases = append(cases, c)
	}
	return cases
}

// generate runs the case's .mg files through dsl.Parse, ir.CheckWith (with
// Dir a directory holding them, outside any module) and codegen.Generate.
func (c *goldenCase) generate(t *testing.T) []codegen.File {
	t.Helper()
	dir := t.TempDir()
	var files []*dsl.File
	var diags dsl.Diagnostics
	for _, in := range c.inputs {
		if err := os.WriteFile(filepath.Join(dir, in.Name), in.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, ds := dsl.Parse(in.Name, in.Data)
		diags = append(diags, ds...)
		if f != nil {
			files = append(files, f)
		}
	}
	if diags.HasErrors() {
		t.Fatalf("parse:\n%v", diags)
	}
	prog, ds := ir.CheckWith(ir.Options{Dir: dir}, files...)
	if ds.HasErrors() {
		t.Fatalf("check:\n%v", ds)
	}
	out, err := codegen.Generate(prog, c.options())
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, c := range loadGoldens(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := c.generate(t)
			again := c.generate(t)
			if len(got) != len(again) {
				t.Fatalf("second generation gave %d files, first %d", len(again), len(got))
			}
			for i := range got {
				if got[i].Name != again[i].Name || !bytes.Equal(got[i].Content, again[i].Content) {
					t.Errorf("generating %s twice gave different bytes:\n%s", got[i].Name,
						diff.Diff("first", got[i].Content, "second", again[i].Content))
				}
			}
			if *update {
				c.rewrite(t, got)
				return
			}
			var names []string
			for _, f := range got {
				names = append(names, f.Name)
				want, ok := c.want[f.Name]
				if !ok {
					t.Errorf("generated %s, which the golden lacks (run go test ./codegen -run Golden -update)", f.Name)
					continue
				}
				if !bytes.Equal(f.Content, want) {
					t.Errorf("%s differs from the golden (run go test ./codegen -run Golden -update):\n%s", f.Name,
						diff.Diff("golden", want, "generated", f.Content))
				}
			}
			for name := range c.want {
				if !slices.Contains(names, name) {
					t.Errorf("the golden has %s, which was not generated", name)
				}
			}
		})
	}
}

// rewrite writes the archive back with the freshly generated files.
func (c *goldenCase) rewrite(t *testing.T, got []codegen.File) {
	a := &txtar.Archive{Comment: c.archive.Comment, Files: slices.Clone(c.inputs)}
	for _, f := range got {
		a.Files = append(a.Files, txtar.File{Name: f.Name, Data: f.Content})
	}
	if err := os.WriteFile(c.path, txtar.Format(a), 0o644); err != nil {
		t.Fatal(err)
	}
}

// moduleRoot is the directory holding the module's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	return root
}

func goTool(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	return goBin
}

// goOverlay runs the go command in the module root with an overlay placing
// files (absolute path to content) in directories that do not exist on disk
// (go build accepts such packages; go vet does not).
func goOverlay(t *testing.T, files map[string][]byte, args ...string) ([]byte, error) {
	t.Helper()
	tmp := t.TempDir()
	replace := map[string]string{}
	for target, content := range files {
		src := filepath.Join(tmp, filepath.Base(filepath.Dir(target))+"_"+filepath.Base(target))
		if err := os.WriteFile(src, content, 0o644); err != nil {
			t.Fatal(err)
		}
		replace[target] = src
	}
	ov, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		t.Fatal(err)
	}
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool(t), append([]string{args[0], "-overlay", ovPath}, args[1:]...)...)
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	return cmd.CombinedOutput()
}

// TestGoldensCompile vets every golden's expected output with one go vet,
// each golden as its own package (vet compiles, so a golden that does not
// compile, or is not vet-clean, fails). go vet runs its analyzer inside each
// package's directory, so the packages cannot live only in an overlay: they
// are written to a scratch module in a temporary directory, joined to this
// module by a go.work so that they import its runtime. It also checks that
// the goldens are gofmt'd.
func TestGoldensCompile(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	work := t.TempDir()
	var pkgs []string
	for _, c := range loadGoldens(t) {
		if len(c.want) == 0 {
			t.Errorf("%s: no generated file in the golden", c.name)
			continue
		}
		pkgDir := filepath.Join(work, c.name)
		if err := os.Mkdir(pkgDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range c.want {
			if formatted, err := format.Source(content); err != nil {
				t.Errorf("%s: %s does not parse: %v", c.name, name, err)
			} else if !bytes.Equal(formatted, content) {
				t.Errorf("%s: %s is not gofmt'd:\n%s", c.name, name, diff.Diff("golden", content, "gofmt", formatted))
			}
			if err := os.WriteFile(filepath.Join(pkgDir, name), content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		pkgs = append(pkgs, "./"+c.name)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go\s+(\S+)`).FindSubmatch(gomod)
	if goVersion == nil {
		t.Fatal("no go directive in go.mod")
	}
	writeFile(t, filepath.Join(work, "go.mod"), "module goldencheck\n\ngo "+string(goVersion[1])+"\n")
	writeFile(t, filepath.Join(work, "go.work"), "go "+string(goVersion[1])+"\n\nuse (\n\t.\n\t"+strconv.Quote(root)+"\n)\n")
	cmd := exec.Command(goTool(t), append([]string{"vet"}, pkgs...)...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(work, "go.work"), "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLineDirectives builds generated code holding Go type errors in bodies
// and checks that the compiler reports them at the .mg file and line (and,
// in a one-line body, at a column inside the body's text), also after a run
// of blank lines, after a raw string holding blank lines, and in a go { }
// block whose first lines are a doc comment.
func TestLineDirectives(t *testing.T) {
	t.Parallel()
	// BQ stands for a backquote, which a raw string cannot hold.
	src := strings.ReplaceAll(`package linecheck

import "fmt"

go {
	// Helper has a doc comment, which gofmt rewrites.
	// The type error is on the line after func.
	func Helper() int {
		return "not an int"
	}
}

pipeline Lines {
	producer gen() int {
		emit(1)
	}
	processor one(n int) int { emit("x") }
	processor many(n int) int {
		m := n * 2



		emit(m + undefinedAfterBlanks)
		s := BQraw



stringBQ
		emit(len(s) + undefinedAfterRaw)
	}
	processor every(n int) int {
		undefinedL1()
			undefinedL2()
	  undefinedL3()
		if n > 0 {
				undefinedL4()
		}
		undefinedL5();   undefinedL6()
		emit(n)
	}
	processor oneline(n int) int { if n > 0 { undefinedL7() }; emit(n) }
	processor flat(n int) int {
undefinedL8()
		emit(n)
	}
	consumer show(n int) {
		fmt.Println(n)
		var s string = n
		_ = s
	}
}
`, "BQ", "`")
	f, ds := dsl.Parse("lines.mg", []byte(src))
	if ds.HasErrors() {
		t.Fatalf("parse:\n%v", ds)
	}
	prog, ds := ir.CheckWith(ir.Options{Dir: t.TempDir()}, f)
	if ds.HasErrors() {
		t.Fatalf("check:\n%v", ds)
	}
	out, err := codegen.Generate(prog, codegen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pkgDir := filepath.Join(moduleRoot(t), "internal", "goldencheck", "linecheck")
	res, err := goOverlay(t, map[string][]byte{filepath.Join(pkgDir, out[0].Name): out[0].Content},
		"build", "-gcflags=-e", "./internal/goldencheck/linecheck")
	if err == nil {
		t.Fatalf("go build succeeded; want type errors\n%s", out[0].Content)
	}
	report := string(res)
	srcLines := strings.Split(src, "\n")
	lineOf := func(text string) int {
		for i, l := range srcLines {
			if strings.Contains(l, text) {
				return i + 1
			}
		}
		t.Fatalf("%q not in the test source", text)
		return 0
	}
	for _, w := range []struct {
		what   string
		marker string // text on the line the error must name
		msg    string // regexp of the message
	}{
		{"a go { } block after a doc comment", `return "not an int"`, `cannot use "not an int"`},
		{"a one-line body", `emit("x")`, `cannot use "x"`},
		{"three blank lines", `undefinedAfterBlanks`, `undefined: undefinedAfterBlanks`},
		{"a raw string holding blank lines", `undefinedAfterRaw`, `undefined: undefinedAfterRaw`},
		{"a consumer body", `var s string = n`, `cannot use n`},
	} {
		n := lineOf(w.marker)
		re := regexp.MustCompile(`(?m)^(?:\S*/)?lines\.mg:` + strconv.Itoa(n) + `:(\d+): .*` + w.msg)
		m := re.FindStringSubmatch(report)
		if m == nil {
			t.Errorf("error in %s: want one at lines.mg:%d matching %q, got:\n%s", w.what, n, w.msg, report)
			continue
		}
		if w.marker == `emit("x")` {
			// A one-line body's column is exact: it must fall on the "x".
			col, _ := strconv.Atoi(m[1])
			if want := strings.Index(srcLines[n-1], `"x"`) + 1; col != want {
				t.Errorf("error in %s: column %d, want %d (the \"x\" in %q)", w.what, col, want, srcLines[n-1])
			}
		}
	}
	// On every line of a body, also those gofmt re-indents or splits, an
	// error at the line's first token is at its .mg line and byte column. A
	// line further left in the .mg than in the file (undefinedL8) can only
	// have its line.
	for n, l := range srcLines {
		for _, m := range regexp.MustCompile(`undefinedL\d+`).FindAllStringIndex(l, -1) {
			name := l[m[0]:m[1]]
			want := "lines.mg:" + strconv.Itoa(n+1) + ":" + strconv.Itoa(m[0]+1) + ": undefined: " + name
			if name == "undefinedL8" {
				want = "lines.mg:" + strconv.Itoa(n+1) + ": undefined: " + name
			}
			if !regexp.MustCompile(`(?m)^(?:\S*/)?` + regexp.QuoteMeta(want) + `$`).MatchString(report) {
				t.Errorf("want %q in:\n%s", want, report)
			}
		}
	}
	if strings.Contains(report, "lines_mg.go:") {
		t.Errorf("an error is reported at the generated file:\n%s", report)
	}
}

// TestTypeCheckVariant checks File.TypeCheck against File.Content for every
// golden: each user text is the .mg text behind one directive at its
// position, and every other line is the line of Content its directive names.
func TestTypeCheckVariant(t *testing.T) {
	restore := regexp.MustCompile(`^//line (\S+_mg\.go):(\d+):1$`)
	user := regexp.MustCompile(`^//line ([^\s:]+\.mg):(\d+):(\d+)$`)
	inline := regexp.MustCompile(`/\*line [^*]*\*/`)
	for _, c := range loadGoldens(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srcs := map[string][]byte{}
			for _, in := range c.inputs {
				srcs[in.Name] = in.Data
			}
			for _, f := range c.generate(t) {
				content := strings.Split(string(f.Content), "\n")
				lines := strings.Split(string(f.TypeCheck), "\n")
				next := 1 // the line of Content the next line of TypeCheck is
				for i := 0; i < len(lines); i++ {
					l := lines[i]
					if m := restore.FindStringSubmatch(l); m != nil {
						next, _ = strconv.Atoi(m[2])
						continue
					}
					if l == codegen.CopyStub {
						continue // followed by a directive back to Content
					}
					if m := user.FindStringSubmatch(l); m != nil {
						// The .mg text from that position on, up to the directive that leaves it.
						line, _ := strconv.Atoi(m[2])
						col, _ := strconv.Atoi(m[3])
						src := srcs[m[1]]
						off := 0
						for k := 1; k < line; k++ {
							off += bytes.IndexByte(src[off:], '\n') + 1
						}
						off += col - 1
						j := i + 1
						for j < len(lines) && !restore.MatchString(lines[j]) {
							j++
						}
						text := strings.Join(lines[i+1:j], "\n")
						if !bytes.HasPrefix(src[off:], []byte(text)) {
							t.Errorf("%s:%d: the text is not the .mg's at %s:%d:%d:\n%s", f.Name, i+1, m[1], line, col, text)
						}
						i = j - 1
						continue
					}
					if next < 1 || next > len(content) {
						t.Fatalf("%s:%d: maps to line %d of Content, which has %d", f.Name, i+1, next, len(content))
					}
					if got := inline.ReplaceAllString(l, ""); got != content[next-1] {
						t.Errorf("%s:%d is %q, but line %d of Content is %q", f.Name, i+1, got, next, content[next-1])
					}
					next++
				}
			}
		})
	}
}

// A parameter's flag in a built binary takes its typed default from the
// pipeline's constructor, so that the flag's type (a boolean flag for a type
// that is a bool underneath, however spelled) is the parameter's own.
func TestParamFlagsTakeTypedDefaults(t *testing.T) {
	t.Parallel()
	src := "package main\n\ngo {\n\ttype Loud bool\n}\n\npipeline P {\n\tparam Verbose Loud\n\tparam Count int\n\tproducer gen() int { emit(1) }\n\tconsumer sink(n int) {}\n}\n"
	f, ds := dsl.Parse("flags.mg", []byte(src))
	if f == nil {
		t.Fatal(ds)
	}
	prog, ds := ir.CheckWith(ir.Options{Dir: t.TempDir(), Standalone: true}, f)
	if ds.HasErrors() {
		t.Fatalf("check:\n%v", ds)
	}
	out, err := codegen.Generate(prog, codegen.Options{Package: "main", Main: true})
	if err != nil {
		t.Fatal(err)
	}
	content := string(out[0].Content)
	for _, want := range []string{`Name:\s+"verbose",\s+Usage:[^\n]*\n\s+Default:\s+NewP\(\)\.Verbose,`, `Name:\s+"count",\s+Usage:[^\n]*\n\s+Default:\s+NewP\(\)\.Count,`} {
		if !regexp.MustCompile(want).MatchString(content) {
			t.Errorf("no match for %s in:\n%s", want, content)
		}
	}
}
