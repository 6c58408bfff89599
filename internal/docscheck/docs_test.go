package docscheck

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/internal/tool"
	"github.com/minigun-go/minigun/ir"
)

var runExamples = flag.Bool("docs.run", false, "also build and run the ```mg run blocks and compare what they print")

// docsDir is docs/ at the root of the repository.
const docsDir = "../../docs"

// block is one fenced code block of a Markdown file.
type block struct {
	file  string   // docs/NAME.md
	line  int      // line of the opening fence, 1-based
	lang  string   // the first word of the info string
	words []string // the other words
	text  string
}

func (b block) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// kind is what an mg block's info string says it is: "", run, warning,
// error, fragment or pending.
func (b block) kind() string {
	for _, w := range b.words {
		if !strings.HasSuffix(w, ".mg") {
			return w
		}
	}
	return ""
}

// name is the file an mg block is written to.
func (b block) name() string {
	for _, w := range b.words {
		if strings.HasSuffix(w, ".mg") {
			return w
		}
	}
	return "example.mg"
}

// blocks returns the fenced code blocks of a Markdown file, in order. A
// block's lines lose the indentation of its opening fence (blocks in lists).
func blocks(t *testing.T, path string) []block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	var cur *block
	indent := ""
	var lines []string
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if cur == nil {
			if rest, ok := strings.CutPrefix(trimmed, "```"); ok {
				f := strings.Fields(rest)
				b := block{file: "docs/" + filepath.Base(path), line: i + 1}
				if len(f) > 0 {
					b.lang, b.words = f[0], f[1:]
				}
				cur, indent, lines = &b, line[:len(line)-len(trimmed)], nil
			}
			continue
		}
		if strings.TrimSpace(line) == "```" {
			cur.text = strings.Join(lines, "\n") + "\n"
			out = append(out, *cur)
			cur = nil
			continue
		}
		lines = append(lines, strings.TrimPrefix(line, indent))
	}
	if cur != nil {
		t.Errorf("%s: code block not closed", cur)
	}
	return out
}

func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(docsDir, "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Markdown files in %s (%v)", docsDir, err)
	}
	return files
}

// check runs minigungen with args in dir and returns its status and stderr.
func check(dir string, args ...string) (int, string) {
	var stdout, stderr bytes.Buffer
	code := tool.Main(args, tool.Env{Stdout: &stdout, Stderr: &stderr, Dir: dir})
	return code, stdout.String() + stderr.String()
}

// TestExamples checks every ```mg block of docs/*.md as its info string says.
// A check waits mostly on the go command loading types, so the blocks are
// checked several at a time, more than there are CPUs.
func TestExamples(t *testing.T) {
	type job struct {
		b    block
		want *block
	}
	var jobs []job
	for _, path := range docFiles(t) {
		bs := blocks(t, path)
		for i, b := range bs {
			if b.lang != "mg" {
				continue
			}
			j := job{b: b}
			switch b.kind() {
			case "", "fragment", "pending":
			case "run", "warning", "error":
				if i+1 >= len(bs) || bs[i+1].lang != "text" {
					t.Errorf("%s: an mg %s block needs a ```text block under it", b, b.kind())
					continue
				}
				j.want = &bs[i+1]
			default:
				t.Errorf("%s: unknown mark %q on an mg block (want run, warning, error, fragment or pending)", b, b.kind())
				continue
			}
			jobs = append(jobs, j)
		}
	}
	if len(jobs) == 0 {
		t.Fatal("no ```mg blocks in docs/")
	}
	// Checks run in goroutines of their own rather than as parallel
	// subtests, which -parallel (GOMAXPROCS) would hold back.
	errs := make([][]string, len(jobs))
	sem := make(chan struct{}, 4*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = checkBlock(j.b, j.want, t.TempDir())
		}()
	}
	wg.Wait()
	for i, j := range jobs {
		t.Run(fmt.Sprintf("%s:%d", filepath.Base(j.b.file), j.b.line), func(t *testing.T) {
			for _, e := range errs[i] {
				t.Error(e)
			}
		})
	}
}

// checkBlock checks one mg block in the directory tmp and returns what is
// wrong with it.
func checkBlock(b block, want *block, tmp string) (errs []string) {
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if b.kind() == "fragment" {
		src := "pipeline Fragment {\n" + b.text + "}\n"
		if _, diags := dsl.Parse(b.name(), []byte(src)); len(diags) > 0 {
			fail("%s: the fragment does not parse inside a pipeline:\n%s", b, diags)
		}
		return
	}
	// A directory named example: check gives a file without a package
	// clause the directory's name as its package.
	dir := filepath.Join(tmp, "example")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return []string{err.Error()}
	}
	if err := os.WriteFile(filepath.Join(dir, b.name()), []byte(b.text), 0o644); err != nil {
		return []string{err.Error()}
	}
	switch b.kind() {
	case "", "run":
		if code, out := check(dir, "check", b.name()); code != 0 || out != "" {
			fail("%s: minigungen check exits %d:\n%s", b, code, out)
		} else if b.kind() == "run" && *runExamples {
			errs = append(errs, runBlock(b, want, dir)...)
		}
	case "warning", "error":
		wantCode := map[string]int{"warning": 0, "error": 1}[b.kind()]
		code, out := check(dir, "check", b.name())
		if code != wantCode || out != want.text {
			fail("%s: minigungen check exits %d (want %d) and prints:\n%s\nthe docs say (%s):\n%s", b, code, wantCode, out, want, want.text)
		}
	case "pending":
		if code, out := check(dir, "check", "-fast", b.name()); code != 0 || out != "" {
			fail("%s: minigungen check -fast exits %d:\n%s", b, code, out)
		} else if code, out := check(dir, "check", b.name()); code == 0 && out == "" {
			fail("%s: this block is marked pending, but minigungen check now accepts it: "+
				"remove the mark, and the feature from the pending list of docs/README.md", b)
		}
	}
	return errs
}

// runBlock builds the block into a program, runs it with no flags and
// compares its stdout with the text block under it.
func runBlock(b block, want *block, dir string) []string {
	bin := filepath.Join(dir, "prog")
	if code, out := check(dir, "build", b.name(), "-o", bin); code != 0 {
		return []string{fmt.Sprintf("%s: minigungen build exits %d:\n%s", b, code, out)}
	}
	cmd := exec.Command(bin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if stdout.String() != want.text {
		return []string{fmt.Sprintf("%s: the program prints (%v):\n%s\nthe docs say (%s):\n%s\nstderr:\n%s", b, err, stdout.String(), want, want.text, stderr.String())}
	}
	return nil
}

// keywords returns every word of the language: the literal words of the
// parser's grammar (dsl's struct tags), the options, their keys and words and
// the Ruby spellings (ir.Vocabulary, ir.Aliases), the merge rules and hooks.
func keywords() []string {
	set := map[string]bool{}
	word := regexp.MustCompile(`"([a-z_][a-z0-9_]*)"`)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			for _, m := range word.FindAllStringSubmatch(f.Tag.Get("parser"), -1) {
				set[m[1]] = true
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(dsl.File{}))
	for _, o := range ir.Vocabulary {
		set[o.Name] = true
		for _, a := range o.Args {
			if a.Key != "" {
				set[a.Key] = true
			}
			for _, w := range a.Words {
				set[w] = true
			}
		}
	}
	for _, a := range ir.Aliases {
		set[a.Name] = true
	}
	for k := ir.MergeAppend; k < ir.MergeFunc; k++ {
		set[k.String()] = true
	}
	for k := ir.BeforeRun; k <= ir.OnError; k++ {
		set[k.String()] = true
	}
	var out []string
	for w := range set {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// codeWords returns the words written as code in a Markdown file: inside
// code spans and fenced blocks.
func codeWords(t *testing.T, path string) map[string]bool {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var code strings.Builder
	for _, b := range blocks(t, path) {
		code.WriteString(b.text)
	}
	for _, m := range regexp.MustCompile("`[^`\n]+`").FindAllString(string(data), -1) {
		code.WriteString(m + "\n")
	}
	words := map[string]bool{}
	for _, w := range regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`).FindAllString(code.String(), -1) {
		words[w] = true
	}
	return words
}

// TestKeywords requires every keyword and option of the language to be
// written, as code, in docs/language.md.
func TestKeywords(t *testing.T) {
	kws := keywords()
	if len(kws) < 40 {
		t.Fatalf("only %d keywords found: %v", len(kws), kws)
	}
	have := codeWords(t, filepath.Join(docsDir, "language.md"))
	for _, k := range kws {
		if !have[k] {
			t.Errorf("docs/language.md does not document %q", k)
		}
	}
}

// TestLinks checks the relative links of docs/*.md: the file exists and,
// for a link to a Markdown heading, the heading does.
func TestLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		a := map[string]bool{}
		data, _ := os.ReadFile(path)
		inCode := false
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, " "), "```") {
				inCode = !inCode
			}
			if !inCode && strings.HasPrefix(line, "#") {
				// GitHub numbers repeated headings: context, context-1, ...
				s := slug(strings.TrimLeft(line, "# "))
				for n, base := 1, s; a[s]; n++ {
					s = fmt.Sprintf("%s-%d", base, n)
				}
				a[s] = true
			}
		}
		anchors[path] = a
		return a
	}
	for _, path := range docFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			dest := path
			if file != "" {
				dest = filepath.Join(filepath.Dir(path), file)
			}
			if _, err := os.Stat(dest); err != nil {
				t.Errorf("%s: link %s: no such file", filepath.Base(path), target)
				continue
			}
			if anchor != "" && strings.HasSuffix(dest, ".md") && !anchorsOf(dest)[anchor] {
				t.Errorf("%s: link %s: no such heading in %s", filepath.Base(path), target, filepath.Base(dest))
			}
		}
	}
}

// slug is the anchor GitHub gives a heading: lower case, spaces to hyphens,
// punctuation other than - and _ dropped.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}
