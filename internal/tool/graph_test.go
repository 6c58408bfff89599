package tool

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
	"golang.org/x/tools/txtar"
)

// Graph goldens: testdata/graph/<case>.txtar holds .mg inputs and the
// expected graph.dot and graph.mmd of `minigungen graph`. A line "args: ..."
// in the archive's comment gives the arguments (flags and files) before
// -format; by default they are the .mg files in archive order.
// `go test ./internal/tool -run GraphGolden -update-graphs` rewrites them.

var updateGraphs = flag.Bool("update-graphs", false, "rewrite testdata/graph with the output of minigungen graph")

var graphFormats = []struct{ format, file string }{{"dot", "graph.dot"}, {"mermaid", "graph.mmd"}}

func TestGraphGolden(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "graph", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no goldens in testdata/graph")
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var args []string
			for _, line := range strings.Split(string(a.Comment), "\n") {
				if rest, ok := strings.CutPrefix(line, "args:"); ok {
					args = strings.Fields(rest)
				}
			}
			want := map[string][]byte{}
			var mgs []string
			for _, f := range a.Files {
				switch {
				case strings.HasSuffix(f.Name, ".mg"):
					mgs = append(mgs, f.Name)
					if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				case slices.ContainsFunc(graphFormats, func(g struct{ format, file string }) bool { return g.file == f.Name }):
					want[f.Name] = f.Data
				default:
					t.Fatalf("unexpected file %s (want .mg inputs, graph.dot and graph.mmd)", f.Name)
				}
			}
			if args == nil {
				args = mgs
			}
			got := map[string][]byte{}
			for _, g := range graphFormats {
				code, out, stderr := runTool(t, dir, append([]string{"graph", "-format", g.format}, args...)...)
				if code != 0 {
					t.Fatalf("graph -format %s %s: exit %d\n%s", g.format, strings.Join(args, " "), code, stderr)
				}
				if _, again, _ := runTool(t, dir, append([]string{"graph", "-format", g.format}, args...)...); again != out {
					t.Errorf("-format %s: two runs gave different output:\n%s", g.format, diff.Diff("first", []byte(out), "second", []byte(again)))
				}
				got[g.file] = []byte(out)
			}
			if *updateGraphs {
				var files []txtar.File
				for _, f := range a.Files {
					if strings.HasSuffix(f.Name, ".mg") {
						files = append(files, f)
					}
				}
				for _, g := range graphFormats {
					files = append(files, txtar.File{Name: g.file, Data: got[g.file]})
				}
				a.Files = files
				if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, g := range graphFormats {
				if w, ok := want[g.file]; !ok {
					t.Errorf("the golden has no %s (run go test ./internal/tool -run GraphGolden -update-graphs)", g.file)
				} else if !bytes.Equal(w, got[g.file]) {
					t.Errorf("%s differs from the golden (run go test ./internal/tool -run GraphGolden -update-graphs):\n%s",
						g.file, diff.Diff("golden", w, "graph", got[g.file]))
				}
			}
			// The text goldens above always run; Graphviz must also accept
			// the DOT, without a warning, where it is installed.
			t.Run("render", func(t *testing.T) {
				render(t, got["graph.dot"])
			})
		})
	}
}

// render runs Graphviz's dot on src, failing on an error or a warning; it
// skips when dot is not installed.
func render(t *testing.T, src []byte) []byte {
	t.Helper()
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz's dot is not on PATH: the DOT was compared as text but not rendered (apt-get install graphviz to render it)")
	}
	cmd := exec.Command(dot, "-Tsvg")
	cmd.Stdin = bytes.NewReader(src)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("dot -Tsvg: %v\n%s", err, stderr.Bytes())
	}
	return out
}

func TestGraphCommand(t *testing.T) {
	dir := t.TempDir()
	src := `package main

pipeline Flow {
	producer read() int { emit(1) }
	consumer save(n int) {}
}

pipeline Alpha {
	producer read() int { emit(1) }
	consumer save(n int) {}
}
`
	if err := os.WriteFile(filepath.Join(dir, "flow.mg"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runTool(t, dir, "graph", "-pipeline", "Alpha", "flow.mg")
	if code != 0 || strings.Contains(out, "Flow") || !strings.Contains(out, `"Alpha.read" -> "Alpha.save" [label="int"];`) {
		t.Errorf("graph -pipeline Alpha: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = runTool(t, dir, "graph", "-pipeline", "Nope", "flow.mg")
	if want := "minigungen graph: no pipeline \"Nope\" in flow.mg (have Flow, Alpha) (see minigungen help graph)\n"; code != ExitUsage || out != "" || stderr != want {
		t.Errorf("graph -pipeline Nope: exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, stderr, ExitUsage, want)
	}
	for _, args := range [][]string{
		{"graph"},
		{"graph", "-format", "png", "flow.mg"},
		{"graph", "missing.mg"},
	} {
		if code, _, stderr := runTool(t, dir, args...); code != ExitUsage || !strings.HasPrefix(stderr, "minigungen graph: ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit %d", strings.Join(args, " "), code, stderr, ExitUsage)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.mg"), []byte("package main\n\npipeline Bad {\n\tconsumer c(n int) {}\n\tconsumer c(n int) {}\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runTool(t, dir, "graph", "bad.mg"); code != ExitDiag || !strings.HasPrefix(stderr, "bad.mg:") {
		t.Errorf("graph bad.mg: exit %d, stderr %q; want exit %d and the diagnostics", code, stderr, ExitDiag)
	}
}

// The README's picture of the demo pipeline, docs/demo.svg, must be drawn
// from the demo as it is (`make graph` redraws it): its text is the labels
// of `minigungen graph examples/demo/demo.mg`. This needs no Graphviz.
func TestDemoPicture(t *testing.T) {
	root := filepath.Join("..", "..")
	svg, err := os.ReadFile(filepath.Join(root, "docs", "demo.svg"))
	if err != nil {
		t.Fatal(err)
	}
	code, dot, stderr := runTool(t, root, "graph", "examples/demo/demo.mg")
	if code != 0 {
		t.Fatalf("graph examples/demo/demo.mg: exit %d\n%s", code, stderr)
	}
	want := dotLabelLines(t, dot)
	got := svgTexts(t, svg)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("docs/demo.svg is not the drawing of examples/demo/demo.mg: run make graph\nits text:  %q\nthe graph: %q", got, want)
	}
	t.Run("render", func(t *testing.T) {
		if len(render(t, []byte(dot))) == 0 {
			t.Error("dot drew nothing")
		}
	})
}

// dotLabelLines are the lines of every label in DOT written by writeDOT.
func dotLabelLines(t *testing.T, dot string) []string {
	t.Helper()
	var out []string
	for rest := dot; ; {
		i := strings.Index(rest, `label="`)
		if i < 0 {
			return out
		}
		rest = rest[i+len(`label="`):]
		var b strings.Builder
		for j := 0; ; j++ {
			if j >= len(rest) {
				t.Fatalf("unterminated label in %s", dot)
			}
			c := rest[j]
			if c == '"' {
				rest = rest[j+1:]
				break
			}
			if c == '\\' && j+1 < len(rest) {
				j++
				if rest[j] == 'n' {
					out = append(out, b.String())
					b.Reset()
					continue
				}
				c = rest[j]
			}
			b.WriteByte(c)
		}
		out = append(out, b.String())
	}
}

// svgTexts are the contents of the <text> elements of an SVG.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	dec.Strict = false
	var out []string
	in := false
	var b strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("docs/demo.svg: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local == "text" {
				in = true
				b.Reset()
			}
		case xml.CharData:
			if in {
				b.Write(tok)
			}
		case xml.EndElement:
			if tok.Name.Local == "text" {
				in = false
				out = append(out, b.String())
			}
		}
	}
}
