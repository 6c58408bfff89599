package mgfmt

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
	"golang.org/x/tools/txtar"

	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

var update = flag.Bool("update", false, "rewrite the out.mg and stderr sections of testdata/fmt/*.txtar")

// noSquash lists golden cases whose output a squashed copy cannot give back.
var noSquash = map[string]string{
	"blank_lines": "squashing removes the top-level blank lines this case keeps (between one-line imports, around a comment of its own)",
}

// Golden cases: testdata/fmt/NAME.txtar holds in.mg, the formatted out.mg
// (absent when formatting fails) and stderr, the diagnostics (absent when
// there are none). go test ./internal/mgfmt -run Golden -update rewrites them.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "fmt", "*.txtar"))
	if len(files) == 0 {
		t.Fatal("no cases in testdata/fmt")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sections := map[string][]byte{}
			for _, f := range ar.Files {
				sections[f.Name] = f.Data
			}
			in, ok := sections["in.mg"]
			if !ok {
				t.Fatal("no in.mg section")
			}
			out, diags := Source("in.mg", in)
			var stderr bytes.Buffer
			for _, d := range diags {
				stderr.WriteString(d.String() + "\n")
			}
			if *update {
				ar.Files = []txtar.File{{Name: "in.mg", Data: in}}
				if out != nil {
					ar.Files = append(ar.Files, txtar.File{Name: "out.mg", Data: out})
				}
				if stderr.Len() > 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "stderr", Data: stderr.Bytes()})
				}
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want, ok := sections["out.mg"]; !ok && out != nil {
				t.Errorf("formatted, want a failure:\n%s", out)
			} else if d := diff.Diff("want", want, "got", out); d != nil {
				t.Errorf("out.mg differs:\n%s", d)
			}
			if d := diff.Diff("want", sections["stderr"], "got", stderr.Bytes()); d != nil {
				t.Errorf("stderr differs:\n%s", d)
			}
			if out != nil {
				checkIdempotent(t, "out.mg", out)
				name := strings.TrimSuffix(filepath.Base(path), ".txtar")
				if len(diags) == 0 && noSquash[name] == "" {
					checkSquash(t, "out.mg", out)
				}
			}
		})
	}
}

// checkIdempotent fails unless formatting src, already formatted, changes nothing.
func checkIdempotent(t *testing.T, name string, src []byte) {
	t.Helper()
	again, diags := Source(name, src)
	if diags.HasErrors() {
		t.Errorf("formatting %s again fails: %v", name, diags)
		return
	}
	if d := diff.Diff(name, src, name+" formatted again", again); d != nil {
		t.Errorf("formatting is not idempotent:\n%s", d)
	}
}

// checkSquash squashes a canonical file's whitespace and fails unless
// formatting restores it. The only thing squashing may lose is an aligned
// column the file pads wider than needed, which formatting keeps as the
// writer's choice but cannot rebuild: then the result must be the file with
// the minimal alignment.
func checkSquash(t *testing.T, name string, canonical []byte) {
	t.Helper()
	sq := squash(canonical)
	got, diags := Source(name, sq)
	if diags.HasErrors() {
		t.Errorf("formatting squashed %s: %v\nsquashed:\n%s", name, diags, sq)
		return
	}
	if bytes.Equal(got, canonical) {
		return
	}
	minimal, _ := format(name, canonical, false)
	if d := diff.Diff(name+" with minimal alignment", minimal, name+" squashed and formatted", got); d != nil {
		t.Errorf("formatting does not restore squashed %s:\n%s\nsquashed:\n%s", name, d, sq)
		return
	}
	t.Logf("%s pads aligned columns wider than needed: kept, but a squashed copy formats to the minimal alignment", name)
}

// squash removes the whitespace that formatting restores, outside strings
// and comments: every line's indentation and trailing blanks, runs of blanks
// (collapsed to one), runs of blank lines (collapsed to one) and every blank
// line between top-level declarations (formatting puts one between them).
func squash(src []byte) []byte {
	toks, err := dsl.Tokens("squash.mg", src)
	if err != nil {
		panic(err)
	}
	protected := make([]bool, len(src))
	depthDelta := map[int]int{}
	for _, tk := range toks {
		switch tk.Kind {
		case dsl.TokString, dsl.TokRawString, dsl.TokChar, dsl.TokComment:
			for i := tk.Offset; i < tk.End(); i++ {
				protected[i] = true
			}
		case dsl.TokPunct:
			switch tk.Text {
			case "{", "(", "[":
				depthDelta[tk.Offset] = 1
			case "}", ")", "]":
				depthDelta[tk.Offset] = -1
			}
		}
	}
	var out []byte
	depth := 0
	lineStart := true // at the start of a line, outside a protected token
	prevBlank := false
	for i := 0; i < len(src); {
		depth += depthDelta[i]
		c := src[i]
		switch {
		case protected[i]:
			out = append(out, c)
			lineStart = false
			i++
		case c == ' ' || c == '\t' || c == '\r':
			j := i
			for j < len(src) && !protected[j] && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r') {
				j++
			}
			if !lineStart && j < len(src) && (protected[j] || src[j] != '\n') {
				out = append(out, ' ')
			}
			i = j
		case c == '\n':
			if lineStart && len(out) > 0 {
				// A blank line.
				if depth > 0 && !prevBlank {
					out = append(out, '\n')
				}
				prevBlank = true
			} else {
				out = append(out, '\n')
				prevBlank = false
			}
			lineStart = true
			i++
		default:
			out = append(out, c)
			lineStart = false
			i++
		}
	}
	return out
}

// corpus returns the conformance corpus (../shared/spec) and the example
// .mg files of the repository.
func corpus(t *testing.T) []string {
	t.Helper()
	spec := filepath.Join("..", "..", "..", "shared", "spec")
	var files []string
	if _, err := os.Stat(spec); err != nil {
		t.Logf("conformance corpus not found at %s: only the examples are formatted", spec)
	} else {
		for _, g := range []string{"*.mg", "*/*.mg"} {
			m, _ := filepath.Glob(filepath.Join(spec, g))
			files = append(files, m...)
		}
	}
	m, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.mg"))
	if len(m) == 0 {
		t.Fatal("no examples found")
	}
	return append(files, m...)
}

// The corpus and the examples are canonical: formatting changes nothing,
// and a copy with its whitespace squashed formats back to them. A file that
// does not parse (the corpus's syntax error) fails with its diagnostic.
func TestCorpusCanonical(t *testing.T) {
	for _, path := range corpus(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.ToSlash(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, diags := Source(name, src)
			if out == nil {
				if f, _ := dsl.Parse(name, src); f != nil {
					t.Fatalf("formatting fails: %v", diags)
				}
				t.Logf("does not parse: %v", diags)
				return
			}
			if len(diags) > 0 {
				t.Errorf("diagnostics: %v", diags)
			}
			if d := diff.Diff(name, src, name+" formatted", out); d != nil {
				t.Errorf("not canonical:\n%s", d)
			}
			checkSquash(t, name, src)
		})
	}
}

// Every option the vocabulary lets a stage, a queue, a block or a strategy
// carry has a place in the canonical order.
func TestOptionOrderCoversVocabulary(t *testing.T) {
	places := ir.OnProducer | ir.OnProcessor | ir.OnConsumer | ir.OnAccumulator | ir.OnCustom | ir.OnNested | ir.OnQueue | ir.InBlock | ir.InExecution
	for _, spec := range ir.Vocabulary {
		if spec.Where&places != 0 && optionRank(spec.Name) == len(optionOrder) {
			t.Errorf("option %q has no place in optionOrder", spec.Name)
		}
	}
	for _, a := range ir.Aliases {
		if optionRank(a.Of) == len(optionOrder) {
			t.Errorf("alias %q stands for %q, which has no place in optionOrder", a.Name, a.Of)
		}
	}
}

func TestSquash(t *testing.T) {
	src := "package p\n\nimport (\n\t\"fmt\"\n\n\t\"os\"\n)\n\n\n// doc\npipeline P {\n\tstate {\n\t\tmu    sync.Mutex  // lock\n\t}\n\n\n\tproducer g() int {\n\t\ts := `a  \n\n  b`  ;  emit(1) /*  x  */\n\t}\n}\n"
	want := "package p\nimport (\n\"fmt\"\n\n\"os\"\n)\n// doc\npipeline P {\nstate {\nmu sync.Mutex // lock\n}\n\nproducer g() int {\ns := `a  \n\n  b` ; emit(1) /*  x  */\n}\n}\n"
	if got := string(squash([]byte(src))); got != want {
		t.Errorf("squash:\n%s\nwant:\n%s", got, want)
	}
}

// FuzzSource checks that formatting never panics, that a formatted file
// formats to itself, and that a failure says why. Seeds: the corpus, the
// examples and the golden inputs.
func FuzzSource(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "fmt", "*.txtar"))
	for _, path := range seeds {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			f.Add(file.Data)
		}
	}
	spec := filepath.Join("..", "..", "..", "shared", "spec")
	more, _ := filepath.Glob(filepath.Join(spec, "*.mg"))
	ex, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.mg"))
	for _, path := range append(more, ex...) {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, diags := Source("fuzz.mg", src)
		for _, d := range diags {
			if strings.Contains(d.Msg, "internal error") {
				t.Fatalf("%v\nsource:\n%s", d, src)
			}
		}
		if out == nil {
			if !diags.HasErrors() {
				t.Fatalf("no output and no error\nsource:\n%s", src)
			}
			return
		}
		again, diags := Source("fuzz.mg", out)
		if !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %v\nfirst:\n%s\nsecond:\n%s", diags, out, again)
		}
	})
}
