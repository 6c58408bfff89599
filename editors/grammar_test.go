package editors

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

const grammarPath = "textmate/mg.tmLanguage.json"

// specDir is the conformance corpus, beside the repository as in CI.
const specDir = "../../shared/spec"

func loadGrammar(t *testing.T) *tmGrammar {
	t.Helper()
	data, err := os.ReadFile(grammarPath)
	if err != nil {
		t.Fatal(err)
	}
	g, err := parseGrammar(data)
	if err != nil {
		t.Fatalf("%s: %v", grammarPath, err)
	}
	if errs := g.compile(); len(errs) > 0 {
		for _, e := range errs {
			t.Error(e)
		}
		t.FailNow()
	}
	return g
}

// TestGrammarFile checks the grammar's structure: valid JSON with only
// known keys, the top-level fields an editor reads, regular expressions Go
// compiles, includes that resolve, no unused repository rule, scope names
// that end in .mg (or .go for Go), and Go bodies handed to source.go.
func TestGrammarFile(t *testing.T) {
	data, err := os.ReadFile(grammarPath)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatalf("%s is not valid JSON: %v", grammarPath, err)
	}
	for _, k := range []string{"name", "scopeName", "fileTypes", "patterns", "repository"} {
		if _, ok := top[k]; !ok {
			t.Errorf("grammar has no %q", k)
		}
	}
	g := loadGrammar(t)
	if g.ScopeName != "source.mg" {
		t.Errorf("scopeName = %q, want source.mg", g.ScopeName)
	}
	if !slices.Contains(g.FileTypes, "mg") {
		t.Errorf("fileTypes = %q, want mg among them", g.FileTypes)
	}
	if len(g.Patterns) == 0 || len(g.Repository) < 2 {
		t.Fatalf("grammar has %d top-level patterns and %d repository rules", len(g.Patterns), len(g.Repository)-1)
	}

	used := map[string]bool{}
	var embeds []*tmRule // rules whose content is Go
	var walk func(where string, r *tmRule)
	walk = func(where string, r *tmRule) {
		if strings.HasPrefix(r.Include, "#") {
			used[r.Include[1:]] = true
		}
		if r.Include != "" && !strings.HasPrefix(r.Include, "#") && r.Include != "$self" && r.Include != "$base" && r.Include != "source.go" {
			t.Errorf("%s: include %q: the grammar embeds only source.go", where, r.Include)
		}
		for _, n := range scopeNames(r) {
			if !strings.HasSuffix(n, ".mg") && !strings.HasSuffix(n, ".go") {
				t.Errorf("%s: scope %q does not end in .mg or .go", where, n)
			}
		}
		if strings.Contains(r.ContentName, "source.go") {
			embeds = append(embeds, r)
		}
		for i, p := range r.Patterns {
			walk(fmt.Sprintf("%s.patterns[%d]", where, i), p)
		}
	}
	for i, p := range g.Patterns {
		walk(fmt.Sprintf("patterns[%d]", i), p)
	}
	for n, r := range g.Repository {
		if n != rootKey {
			walk("repository."+n, r)
		}
	}
	for n := range g.Repository {
		if n != rootKey && !used[n] {
			t.Errorf("repository.%s is never included", n)
		}
	}
	if len(embeds) < 2 {
		t.Errorf("%d rules have source.go content; want the stage/hook body and the go { } block", len(embeds))
	}
	for _, r := range embeds {
		if !g.reaches(r, "source.go", map[*tmRule]bool{}) {
			t.Errorf("rule %q (begin %q) has Go content but never includes source.go", r.Name, r.Begin)
		}
	}
}

// reaches reports whether r's patterns include target, through repository rules.
func (g *tmGrammar) reaches(r *tmRule, target string, seen map[*tmRule]bool) bool {
	if seen[r] {
		return false
	}
	seen[r] = true
	for _, p := range r.Patterns {
		if p.Include == target {
			return true
		}
		if strings.HasPrefix(p.Include, "#") {
			if q := g.Repository[p.Include[1:]]; q != nil && g.reaches(q, target, seen) {
				return true
			}
		}
		if g.reaches(p, target, seen) {
			return true
		}
	}
	return false
}

func scopeNames(r *tmRule) []string {
	var out []string
	out = append(out, strings.Fields(r.Name)...)
	out = append(out, strings.Fields(r.ContentName)...)
	for _, caps := range []map[string]tmCapture{r.Captures, r.BeginCaptures, r.EndCaptures} {
		for _, c := range caps {
			out = append(out, strings.Fields(c.Name)...)
		}
	}
	return out
}

// TestTokenizer checks the test's own tokenizer on a small grammar:
// includes, $self, begin/end with captures and contentName, a zero-width
// end, an opaque foreign include, and \b and ^ seeing the text before the
// position a search starts from.
func TestTokenizer(t *testing.T) {
	const mini = `{
	  "scopeName": "source.t",
	  "patterns": [{"include": "#block"}, {"include": "#words"}],
	  "repository": {
	    "words": {"patterns": [
	      {"match": "^a", "name": "start.t"},
	      {"match": "x", "name": "x.t"},
	      {"match": "\\b(k)(w)\\b", "name": "keyword.t", "captures": {"2": {"name": "w.t"}}},
	      {"begin": "#", "end": "$", "name": "comment.t"}
	    ]},
	    "block": {
	      "begin": "(\\{)", "end": "\\}", "name": "meta.block.t", "contentName": "inner.t",
	      "beginCaptures": {"1": {"name": "open.t"}}, "endCaptures": {"0": {"name": "close.t"}},
	      "patterns": [{"include": "source.elsewhere"}, {"include": "$self"}]
	    }
	  }
	}`
	g, err := parseGrammar([]byte(mini))
	if err != nil {
		t.Fatal(err)
	}
	if errs := g.compile(); len(errs) > 0 {
		t.Fatal(errs)
	}
	src := "kw { kw { x } }\nxkw kw # kw\n{\n kw\n}\naa a\n"
	scopes, err := g.tokenize(src)
	if err != nil {
		t.Fatal(err)
	}
	at := func(text string, nth int) []string {
		return scopes[nthIndex(src, text, nth)]
	}
	tests := []struct {
		text string
		nth  int
		want string
	}{
		{"kw", 0, "source.t keyword.t"},
		{"w", 0, "source.t keyword.t w.t"},
		{"{", 0, "source.t meta.block.t open.t"},
		{"kw", 1, "source.t meta.block.t inner.t keyword.t"},
		{"x", 0, "source.t meta.block.t inner.t meta.block.t inner.t x.t"},
		{"}", 0, "source.t meta.block.t inner.t meta.block.t close.t"},
		{"}", 1, "source.t meta.block.t close.t"},
		{"x", 1, "source.t x.t"},
		{"kw", 2, "source.t"}, // xkw: no word boundary before k
		{"kw", 3, "source.t keyword.t"},
		{"kw", 4, "source.t comment.t"},
		{"kw", 5, "source.t meta.block.t inner.t keyword.t"}, // a block over three lines
		{"a", 0, "source.t start.t"},
		{"a", 1, "source.t"}, // ^ only at the start of a line
		{"a", 2, "source.t"},
	}
	for _, tt := range tests {
		if got := strings.Join(at(tt.text, tt.nth), " "); got != tt.want {
			t.Errorf("%q #%d: scopes %q, want %q", tt.text, tt.nth, got, tt.want)
		}
	}
}

func nthIndex(s, sub string, nth int) int {
	off := 0
	for i := 0; ; i++ {
		j := strings.Index(s[off:], sub)
		if j < 0 {
			panic(fmt.Sprintf("%q has no occurrence #%d of %q", s, nth, sub))
		}
		if i == nth {
			return off + j
		}
		off += j + len(sub)
	}
}

// keywordScope reports whether a scope colours a word as a keyword or option.
func keywordScope(s string) bool {
	for _, p := range []string{"keyword.", "storage.", "support.function.option.", "constant.language.option.", "constant.language.merge-rule.", "entity.other.attribute-name.option."} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func hasScope(scopes []string, prefix string) bool {
	for _, s := range scopes {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func innermost(scopes []string) string {
	if len(scopes) == 0 {
		return ""
	}
	return scopes[len(scopes)-1]
}

// checkFile tokenizes src and compares the grammar's scopes with the
// reference scanner's account of the file; it returns one line per problem.
func checkFile(g *tmGrammar, src string) ([][]string, []string) {
	scopes, err := g.tokenize(src)
	if err != nil {
		return nil, []string{err.Error()}
	}
	acc := describeMG(src)
	var problems []string
	pos := func(off int) string {
		line := 1 + strings.Count(src[:off], "\n")
		col := off - strings.LastIndexByte(src[:off], '\n')
		return fmt.Sprintf("%d:%d", line, col)
	}
	report := func(off int, format string, args ...any) {
		problems = append(problems, pos(off)+": "+fmt.Sprintf(format, args...)+fmt.Sprintf(" (scopes %s)", strings.Join(scopes[off], " ")))
	}

	for _, tk := range acc.toks {
		if acc.isUnchecked(tk.off) {
			continue
		}
		switch tk.kind {
		case tkComment:
			for i := tk.off; i < tk.end; i++ {
				if src[i] != '\n' && !hasScope(scopes[i], "comment.") {
					report(i, "comment %q not scoped as a comment", tk.val)
					break
				}
			}
		case tkString, tkRawString, tkChar:
			for i := tk.off; i < tk.end; i++ {
				if src[i] != '\n' && !hasScope(scopes[i], "string.") {
					report(i, "string %q not scoped as a string", tk.val)
					break
				}
			}
		case tkIdent:
			if acc.inBody(tk.off) {
				continue
			}
			switch c := acc.classes[tk.off]; {
			case c == clKeyword:
				for i := tk.off; i < tk.end; i++ {
					if !keywordScope(innermost(scopes[i])) || slices.Contains(scopes[i], "source.go") {
						report(i, "keyword %q not scoped as a keyword or option", tk.val)
						break
					}
				}
			case c == clName || allWords[tk.val]:
				if keywordScope(innermost(scopes[tk.off])) {
					report(tk.off, "name %q scoped as a keyword", tk.val)
				}
			}
		}
	}
	inBody := make([]bool, len(src))
	for _, b := range acc.bodies {
		for _, i := range []int{b.off, b.end} {
			if slices.Contains(scopes[i], "source.go") || !hasScope(scopes[i], "punctuation.section.block.") {
				report(i, "brace of a Go body not scoped as the body's punctuation")
			}
		}
		for i := b.off + 1; i < b.end; i++ {
			inBody[i] = true
			if src[i] == '\n' {
				continue
			}
			k := slices.Index(scopes[i], "source.go")
			if k < 0 {
				report(i, "Go body not handed to source.go")
				break
			}
			if j := slices.IndexFunc(scopes[i][k:], func(s string) bool { return !strings.HasSuffix(s, ".go") }); j >= 0 {
				report(i, "mg scope %q inside a Go body", scopes[i][k+j])
				break
			}
		}
	}
	for i := 0; i < len(src); i++ {
		if inBody[i] || src[i] == '\n' || acc.isUnchecked(i) {
			continue
		}
		if j := slices.IndexFunc(scopes[i], func(s string) bool { return !strings.HasSuffix(s, ".mg") }); j >= 0 {
			report(i, "Go scope %q outside Go", scopes[i][j])
			for i+1 < len(src) && src[i+1] != '\n' { // one report per line is enough
				i++
			}
		}
	}
	return scopes, problems
}

// corpus returns the .mg files the grammar is checked on, by name. Golden
// cases keep their .mg inputs in txtar archives.
func corpus(t *testing.T, root string) map[string]string {
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root:
			return filepath.SkipDir
		case strings.HasSuffix(path, ".mg"):
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[path] = string(data)
		case strings.HasSuffix(path, ".txtar"):
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for name, src := range txtarMG(string(data)) {
				files[path+"/"+name] = src
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var txtarHeader = regexp.MustCompile(`(?m)^-- (.+?) --$`)

// txtarMG returns the .mg files of a txtar archive.
func txtarMG(archive string) map[string]string {
	out := map[string]string{}
	hs := txtarHeader.FindAllStringSubmatchIndex(archive, -1)
	for i, h := range hs {
		name := archive[h[2]:h[3]]
		start := h[1] + 1
		end := len(archive)
		if i+1 < len(hs) {
			end = hs[i+1][0]
		}
		if strings.HasSuffix(name, ".mg") && start <= end {
			out[name] = archive[start:end]
		}
	}
	return out
}

// TestCorpus runs the grammar over every .mg file of the conformance corpus
// and of the repository (examples, internal/behavior, internal/bench, the
// golden and error cases) and checks it against the reference scanner: every
// keyword and option word outside Go is coloured as one, no name spelt like
// a keyword is, comments and strings are scoped as such, and every stage or
// hook body and go { } block is handed to source.go, from the brace that
// opens it to the brace that closes it.
func TestCorpus(t *testing.T) {
	g := loadGrammar(t)
	run := func(t *testing.T, files map[string]string) {
		if len(files) == 0 {
			t.Fatal("no .mg files found")
		}
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			_, problems := checkFile(g, files[name])
			for _, p := range problems {
				t.Errorf("%s:%s", name, p)
			}
		}
	}
	t.Run("spec", func(t *testing.T) {
		if _, err := os.Stat(specDir); err != nil {
			t.Skipf("conformance corpus not found at %s (it lives in shared/spec beside the repository): %v", specDir, err)
		}
		run(t, corpus(t, specDir))
	})
	t.Run("examples", func(t *testing.T) { run(t, corpus(t, "../examples")) })
	t.Run("behavior", func(t *testing.T) { run(t, corpus(t, "../internal/behavior")) })
	t.Run("bench", func(t *testing.T) { run(t, corpus(t, "../internal/bench")) })
	t.Run("golden", func(t *testing.T) { run(t, corpus(t, "../testdata/golden")) })
	t.Run("errors", func(t *testing.T) { run(t, corpus(t, "../testdata/errors")) })
}

// want says what one occurrence of a text must be scoped as.
type want struct {
	text  string
	word  string // if set, only this part of text is checked
	nth   int    // which occurrence, from 0
	inner string // every byte's innermost scope starts with this
	has   string // or: every byte has a scope starting with this
}

var snippets = []struct {
	name  string
	src   string
	wants []want
}{
	{
		name: "nested braces in a body",
		src: `pipeline P {
	processor work(n int) int {
		if n > 0 {
			for i := 0; i < n; i++ { emit(i) }
		} else {
			emit(map[string]int{"a": 1}["a"])
		}
	}
	consumer sink(n int) {}
}
`,
		wants: []want{
			{text: "emit", has: "source.go"},
			{text: "emit", nth: 1, has: "source.go"},
			{text: "if", inner: "keyword.control.go"},
			{text: "consumer", inner: "storage.type.stage.mg"},
			{text: "sink", inner: "entity.name.function.stage.mg"},
		},
	},
	{
		name: "strings and comments containing braces",
		src: "go {\n\tvar open = \"{\"\n\tconst close = '}'\n\tvar raw = `}}\n}`\n\t// a } in a comment\n\t/* and { here */\n}\n\n" +
			"pipeline P {\n\tparam Sep string = \"}\"\n\tproducer gen() string { emit(\"}\"); emit(`{`) }\n" +
			"\tconsumer sink(s string) { _ = '{' } // }\n}\n",
		wants: []want{
			{text: `"{"`, has: "string.quoted.double.go"},
			{text: "`}}", has: "string.quoted.raw.go"},
			{text: "a } in", inner: "comment.line.double-slash.go"},
			{text: "pipeline", inner: "storage.type.pipeline.mg"},
			{text: "param", inner: "keyword.other.param.mg"},
			{text: `"}"`, has: "string.quoted.double.mg"},
			{text: "producer", inner: "storage.type.stage.mg"},
			{text: "consumer", inner: "storage.type.stage.mg"},
			{text: "// }", has: "comment.line.double-slash.mg"},
		},
	},
	{
		name: "comments containing keywords",
		src: `// producer gen() int threads(4) { pipeline
/* consumer sink(n int) {
   state { merge(sum) } */
pipeline P { // processor x(n int) int ordered
	producer gen() int { emit(1) } // after_run { }
	consumer sink(n int) {} /* to(x) */
	// batch 10 every 1s
}
`,
		wants: []want{
			{text: "producer", inner: "comment.line.double-slash.mg"},
			{text: "threads", inner: "comment.line.double-slash.mg"},
			{text: "consumer", inner: "comment.block.mg"},
			{text: "merge", inner: "comment.block.mg"},
			{text: "processor", inner: "comment.line.double-slash.mg"},
			{text: "after_run", inner: "comment.line.double-slash.mg"},
			{text: "to(x)", inner: "comment.block.mg"},
			{text: "every", inner: "comment.line.double-slash.mg"},
			{text: "producer", nth: 1, inner: "storage.type.stage.mg"},
			{text: "pipeline", nth: 1, inner: "storage.type.pipeline.mg"},
		},
	},
	{
		name: "durations",
		src: `pipeline P {
	producer gen() int timeout(250ms) { emit(1) }
	processor slow(n int) int retry(3, backoff: 1m30s) { emit(n) }
	accumulator acc(b []int) max_size(10) max_wait(1.5s)
	batch 10 every 2h45m10s
	consumer sink(b []int) await(500us) {}
}
`,
		wants: []want{
			{text: "250ms", inner: "constant.numeric.duration.mg"},
			{text: "1m30s", inner: "constant.numeric.duration.mg"},
			{text: "1.5s", inner: "constant.numeric.duration.mg"},
			{text: "2h45m10s", inner: "constant.numeric.duration.mg"},
			{text: "500us", inner: "constant.numeric.duration.mg"},
			{text: "3", inner: "constant.numeric.mg"},
			{text: "10", inner: "constant.numeric.mg"},
			{text: "10", nth: 1, inner: "constant.numeric.mg"},
			{text: "backoff", inner: "entity.other.attribute-name.option.mg"},
			{text: "every", inner: "keyword.other.every.mg"},
			{text: "batch", inner: "storage.type.stage.mg"},
			{text: "max_wait", inner: "support.function.option.mg"},
		},
	},
	{
		name: "keywords are contextual",
		src: `pipeline Diamond {
	producer source() int to(path_a, merge) { emit(1) }
	processor path_a(n int) int to(merge) { emit(n) }
	consumer merge(n int) from(source, path_a) {}
	processor process_batch(n int) int { emit(n) }
	consumer processor_x(n int) {}
	processor total(state int) to(after) { emit(state) }
	consumer after(n int) {}
	before(merge) {}
}
`,
		wants: []want{
			{text: "merge", inner: "variable.other.stage.mg"},
			{text: "merge", nth: 1, inner: "variable.other.stage.mg"},
			{text: "merge", nth: 2, inner: "entity.name.function.stage.mg"},
			{text: "merge", nth: 3, inner: "variable.other.stage.mg"},
			{text: "process_batch", inner: "entity.name.function.stage.mg"},
			{text: "processor_x", inner: "entity.name.function.stage.mg"},
			{text: "total", inner: "entity.name.function.stage.mg"},
			{text: "state", inner: "variable.parameter.mg"},
			{text: "after", inner: "variable.other.stage.mg"},
			{text: "after", nth: 1, inner: "entity.name.function.stage.mg"},
			{text: "before", inner: "keyword.other.hook.mg"},
			{text: "from", inner: "support.function.option.mg"},
		},
	},
	{
		name: "settings, options and Ruby aliases",
		src: `pipeline P {
	param Workers int = 4
	execution thread_pool(4)
	max_threads 64
	max_processes 8
	max_failures 100
	queue_size 1000
	context io = threads(50)
	context heavy = cow_fork(2)
	fail_fast
	producer gen() int total(Count) { emit(1) }
	processor a(n int) int threads(Workers) ordered routing(round_robin) to(b, c) { emit(n) }
	processor b(n int) int process_per_batch(max: 4, ipc: pipe) { emit(n) }
	processor c(n int) int processes(4, recycle: 100) dead_letter(dlq) { emit(n) }
	processor d(n int) int remote(3, chunk: 64, ack_wait: 30s, in_flight: 8, max_deliver: 5) { emit(n) }
	processor e(n int) int ipc_fork(2) queue_size(unbounded) inline { emit(n) }
	consumer dlq(f mgrt.Failed[int]) context(io) routing(broadcast) {}
	consumer f(n int) await {}
}
`,
		wants: []want{
			{text: "execution", inner: "keyword.other.setting.mg"},
			{text: "thread_pool", inner: "support.function.option.alias.mg"},
			{text: "cow_fork", inner: "support.function.option.alias.mg"},
			{text: "ipc_fork", inner: "support.function.option.alias.mg"},
			{text: "max_threads", inner: "keyword.other.setting.mg"},
			{text: "max_processes", inner: "keyword.other.setting.mg"},
			{text: "max_failures", inner: "keyword.other.setting.mg"},
			{text: "queue_size", inner: "keyword.other.setting.mg"},
			{text: "queue_size", nth: 1, inner: "support.function.option.mg"},
			{text: "context", inner: "keyword.other.setting.mg"},
			{text: "io =", word: "io", inner: "entity.name.context.mg"},
			{text: "(io)", word: "io", inner: "variable.other.context.mg"},
			{text: "fail_fast", inner: "keyword.other.setting.mg"},
			{text: "total", inner: "support.function.option.mg"},
			{text: "Count", inner: "variable.other.param.mg"},
			{text: "Workers", nth: 1, inner: "variable.other.param.mg"},
			{text: "ordered", inner: "support.function.option.mg"},
			{text: "round_robin", inner: "constant.language.option.mg"},
			{text: "broadcast", inner: "constant.language.option.mg"},
			{text: "max:", word: "max", inner: "entity.other.attribute-name.option.mg"},
			{text: "pipe)", word: "pipe", inner: "constant.language.option.mg"},
			{text: "recycle", inner: "entity.other.attribute-name.option.mg"},
			{text: "dead_letter", inner: "support.function.option.mg"},
			{text: "dlq", inner: "variable.other.stage.mg"},
			{text: "remote", inner: "support.function.option.mg"},
			{text: "chunk", inner: "entity.other.attribute-name.option.mg"},
			{text: "ack_wait", inner: "entity.other.attribute-name.option.mg"},
			{text: "in_flight", inner: "entity.other.attribute-name.option.mg"},
			{text: "max_deliver", inner: "entity.other.attribute-name.option.mg"},
			{text: "unbounded", inner: "constant.language.option.mg"},
			{text: "inline", inner: "support.function.option.mg"},
			{text: "await", inner: "support.function.option.mg"},
			{text: "Failed", inner: "entity.name.type.mg"},
		},
	},
	{
		name: "state and merge rules",
		src: `pipeline P {
	state {
		mu      sync.Mutex
		results []int          merge(append)
		sum     int            merge(sum)
		perPID  map[int]int    merge(Combine)
		started chan struct{}
		nested  struct {
			inner int
		}
		even, odd []int // two fields
	}
	state { batches int merge(max) }
}
`,
		wants: []want{
			{text: "state", inner: "keyword.other.state.mg"},
			{text: "mu", inner: "variable.other.field.mg"},
			{text: "Mutex", inner: "entity.name.type.mg"},
			{text: "merge", inner: "keyword.other.merge.mg"},
			{text: "append", inner: "constant.language.merge-rule.mg"},
			{text: "sum", inner: "variable.other.field.mg"},
			{text: "sum", nth: 1, inner: "constant.language.merge-rule.mg"},
			{text: "Combine", inner: "entity.name.function.merge.mg"},
			{text: "struct", inner: "keyword.type.mg"},
			{text: "nested", inner: "variable.other.field.mg"},
			{text: "inner", inner: "variable.other.field.mg"},
			{text: "odd", has: "variable.other.field.mg"},
			{text: "two fields", inner: "comment.line.double-slash.mg"},
			{text: "max", inner: "constant.language.merge-rule.mg"},
		},
	},
	{
		name: "hooks",
		src: `pipeline P {
	before_run { p.n = 0 }
	after_fork(store) { connect() }
	before_fork {
	}
	on_error(save) (err error, item any) { log(err) }
	after(sub.step) {}
	after_producer {}
	after_run { fmt.Println(result) }
}
`,
		wants: []want{
			{text: "before_run", inner: "keyword.other.hook.mg"},
			{text: "after_fork", inner: "keyword.other.hook.mg"},
			{text: "store", inner: "variable.other.stage.mg"},
			{text: "before_fork", inner: "keyword.other.hook.mg"},
			{text: "on_error", inner: "keyword.other.hook.mg"},
			{text: "save", inner: "variable.other.stage.mg"},
			{text: "(err", word: "err", inner: "variable.parameter.mg"},
			{text: "err error", word: "error", inner: "support.type.builtin.mg"},
			{text: "any", inner: "support.type.builtin.mg"},
			{text: "step", inner: "variable.other.stage.mg"},
			{text: "after_producer", inner: "keyword.other.hook.mg"},
			{text: "after_run", inner: "keyword.other.hook.mg"},
			{text: "result", has: "source.go"},
		},
	},
	{
		name: "composition, bindings and strategy blocks",
		src: `pipeline Skip extends Main {
	param Label string = "Skip"
	reroute start -> collect, audit
	nested transform = Transform
	stage shout threads(2) = suffixStage
	consumer store = (*Orders).Save
	processor up = strings.ToUpper
	queue urgent Job queue_size(10)
	pipeline ingest to(validate) {
		producer read() int { emit(1) }
	}
	threads(50) {
		processor download(u URL) Page { emit(fetch(u)) }
		batch 20
		process_per_batch(max: 4) {
			consumer save(b []Page) {}
		}
	}
	context(io) {
		consumer keep(p Page) {}
	}
}
`,
		wants: []want{
			{text: "extends", inner: "storage.modifier.extends.mg"},
			{text: "Main", inner: "entity.other.inherited-class.mg"},
			{text: "reroute", inner: "keyword.other.reroute.mg"},
			{text: "->", inner: "keyword.operator.arrow.mg"},
			{text: "start", inner: "variable.other.stage.mg"},
			{text: "audit", inner: "variable.other.stage.mg"},
			{text: "nested", inner: "storage.type.stage.mg"},
			{text: "Transform", inner: "entity.name.function.mg"},
			{text: "stage", inner: "storage.type.stage.mg"},
			{text: "suffixStage", inner: "entity.name.function.mg"},
			{text: "Orders", inner: "entity.name.type.mg"},
			{text: "Save", inner: "entity.name.function.mg"},
			{text: "ToUpper", inner: "entity.name.function.mg"},
			{text: "queue", inner: "storage.type.queue.mg"},
			{text: "Job", inner: "entity.name.type.mg"},
			{text: "pipeline", nth: 1, inner: "storage.type.pipeline.mg"},
			{text: "validate", inner: "variable.other.stage.mg"},
			{text: "threads", nth: 1, inner: "support.function.option.mg"},
			{text: "batch", inner: "storage.type.stage.mg"},
			{text: "process_per_batch", inner: "support.function.option.mg"},
			{text: "max", inner: "entity.other.attribute-name.option.mg"},
			{text: "context", inner: "support.function.option.mg"},
			{text: "keep", inner: "entity.name.function.stage.mg"},
		},
	},
	{
		name: "file header and go blocks",
		src: `package orders

import (
	"fmt"
	mgrt "github.com/minigun-go/minigun/runtime"
)

import "os"

go {
	type Order struct { ID int; Total float64 }
	func (o Order) String() string { return fmt.Sprint(o.ID) }
}

pipeline Orders {
	producer gen() Order { emit(Order{ID: os.Getpid()}) }
	consumer sink(o Order) {}
}
`,
		wants: []want{
			{text: "package", inner: "keyword.other.package.mg"},
			{text: "orders", inner: "entity.name.namespace.mg"},
			{text: "import", inner: "keyword.other.import.mg"},
			{text: "import", nth: 1, inner: "keyword.other.import.mg"},
			{text: `"fmt"`, has: "string.quoted.double.mg"},
			{text: "mgrt", inner: "entity.name.namespace.alias.mg"},
			{text: "go {", nth: 0, has: "meta.block.go.mg"},
			{text: "type", has: "source.go"},
			{text: "Total", has: "source.go"},
			{text: "return", inner: "keyword.control.go"},
			{text: "pipeline", inner: "storage.type.pipeline.mg"},
			{text: "Orders", nth: 0, inner: "entity.name.type.pipeline.mg"},
			{text: "Order{", has: "source.go"},
		},
	},
	{
		name: "recovery after a syntax error",
		src: `pipeline P {
	processor work(n int) int threads(4 { emit(n) }
	param S string = "unterminated
	consumer sink(n int) {}
}

pipeline Q {
	producer gen() int {
		emit(1)
	}
}
`,
		wants: []want{
			{text: "consumer", inner: "storage.type.stage.mg"},
			{text: "pipeline", nth: 1, inner: "storage.type.pipeline.mg"},
			{text: "gen", inner: "entity.name.function.stage.mg"},
			{text: "emit", nth: 1, has: "source.go"},
		},
	},
	{
		name: "an unclosed option ends with its line",
		src: `pipeline P {
	processor work(n int) int retry(3, backoff: 1s
	state {
		n int merge(sum
	}
	on_error(work) (err error
	consumer sink(n int) {}
}
`,
		wants: []want{
			{text: "state", inner: "keyword.other.state.mg"},
			{text: "sum", inner: "constant.language.merge-rule.mg"},
			{text: "}", inner: "punctuation.section.block.end.mg"},
			{text: "consumer", inner: "storage.type.stage.mg"},
			{text: "sink", inner: "entity.name.function.stage.mg"},
		},
	},
}

// TestSnippets checks small files: what the reference scanner checks on the
// corpus, and the scopes each case names.
func TestSnippets(t *testing.T) {
	g := loadGrammar(t)
	for _, tc := range snippets {
		t.Run(tc.name, func(t *testing.T) {
			scopes, problems := checkFile(g, tc.src)
			for _, p := range problems {
				t.Error(p)
			}
			if scopes == nil {
				return
			}
			for _, w := range tc.wants {
				off := nthIndex(tc.src, w.text, w.nth)
				text := w.text
				if w.word != "" {
					off += strings.Index(text, w.word)
					text = w.word
				}
				for i := off; i < off+len(text); i++ {
					s := scopes[i]
					if w.inner != "" && !strings.HasPrefix(innermost(s), w.inner) || w.has != "" && !hasScope(s, w.has) {
						t.Errorf("%q #%d: byte %d scoped %q, want %s", w.text, w.nth, i-off, strings.Join(s, " "), w.describe())
						break
					}
				}
			}
		})
	}
}

func (w want) describe() string {
	var parts []string
	if w.inner != "" {
		parts = append(parts, "innermost "+w.inner)
	}
	if w.has != "" {
		parts = append(parts, "a scope "+w.has)
	}
	return strings.Join(parts, " and ")
}

// TestVSCodeExtension checks the VS Code extension: it contributes the
// language mg for *.mg with its configuration, and the grammar, which must
// be the same bytes as textmate/mg.tmLanguage.json (VS Code only loads files
// inside the extension's folder, so it holds a copy).
func TestVSCodeExtension(t *testing.T) {
	var pkg struct {
		Name        string            `json:"name"`
		Publisher   string            `json:"publisher"`
		Version     string            `json:"version"`
		Engines     map[string]string `json:"engines"`
		Files       []string          `json:"files"`
		Contributes struct {
			Languages []struct {
				ID            string   `json:"id"`
				Extensions    []string `json:"extensions"`
				Configuration string   `json:"configuration"`
			} `json:"languages"`
			Grammars []struct {
				Language          string            `json:"language"`
				ScopeName         string            `json:"scopeName"`
				Path              string            `json:"path"`
				EmbeddedLanguages map[string]string `json:"embeddedLanguages"`
			} `json:"grammars"`
		} `json:"contributes"`
	}
	readJSON(t, "vscode/package.json", &pkg)
	if pkg.Name == "" || pkg.Publisher == "" || pkg.Version == "" || pkg.Engines["vscode"] == "" {
		t.Errorf("package.json needs name, publisher, version and engines.vscode: %+v", pkg)
	}
	langs := pkg.Contributes.Languages
	if len(langs) != 1 || langs[0].ID != "mg" || !slices.Contains(langs[0].Extensions, ".mg") {
		t.Fatalf("contributes.languages = %+v, want the language mg for .mg", langs)
	}
	var conf struct {
		Comments struct {
			LineComment  string    `json:"lineComment"`
			BlockComment [2]string `json:"blockComment"`
		} `json:"comments"`
		Brackets         [][2]string `json:"brackets"`
		AutoClosingPairs []struct {
			Open  string   `json:"open"`
			Close string   `json:"close"`
			NotIn []string `json:"notIn"`
		} `json:"autoClosingPairs"`
		SurroundingPairs [][2]string       `json:"surroundingPairs"`
		IndentationRules map[string]string `json:"indentationRules"`
		Folding          json.RawMessage   `json:"folding"`
		AutoCloseBefore  string            `json:"autoCloseBefore"`
	}
	readJSON(t, filepath.Join("vscode", langs[0].Configuration), &conf)
	if conf.Comments.LineComment != "//" || conf.Comments.BlockComment != [2]string{"/*", "*/"} {
		t.Errorf("comments = %+v, want // and /* */", conf.Comments)
	}
	for _, b := range [][2]string{{"{", "}"}, {"[", "]"}, {"(", ")"}} {
		if !slices.Contains(conf.Brackets, b) {
			t.Errorf("brackets lack %q", b)
		}
	}
	pairs := map[string]string{}
	for _, p := range conf.AutoClosingPairs {
		pairs[p.Open] = p.Close
		if strings.ContainsAny(p.Open, "\"'`") && !slices.Contains(p.NotIn, "string") {
			t.Errorf("auto-closing %s should not apply inside strings", p.Open)
		}
	}
	for open, close := range map[string]string{"{": "}", "[": "]", "(": ")", `"`: `"`, "'": "'", "`": "`"} {
		if pairs[open] != close {
			t.Errorf("autoClosingPairs: %s closes with %q, want %q", open, pairs[open], close)
		}
	}
	for k, re := range conf.IndentationRules {
		if _, err := regexp.Compile(re); err != nil {
			t.Errorf("indentationRules.%s: %v", k, err)
		}
	}

	grammars := pkg.Contributes.Grammars
	if len(grammars) != 1 || grammars[0].Language != "mg" || grammars[0].ScopeName != "source.mg" {
		t.Fatalf("contributes.grammars = %+v, want source.mg for mg", grammars)
	}
	gr := grammars[0]
	copyData, err := os.ReadFile(filepath.Join("vscode", gr.Path))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(grammarPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(copyData) != string(orig) {
		t.Errorf("vscode/%s differs from %s: run\n\tcp editors/%s editors/vscode/%s",
			filepath.Clean(gr.Path), grammarPath, grammarPath, filepath.Clean(gr.Path))
	}
	if !slices.Contains(pkg.Files, filepath.ToSlash(filepath.Clean(gr.Path))) || !slices.Contains(pkg.Files, filepath.Clean(langs[0].Configuration)) {
		t.Errorf("files = %q: vsce package would leave out the grammar or the configuration", pkg.Files)
	}
	// Go bodies are Go to VS Code too (comment toggling, brackets, snippets).
	g := loadGrammar(t)
	for _, r := range g.Repository {
		for _, s := range strings.Fields(r.ContentName) {
			if strings.HasPrefix(s, "meta.embedded.") && gr.EmbeddedLanguages[s] != "go" {
				t.Errorf("embeddedLanguages[%q] = %q, want go", s, gr.EmbeddedLanguages[s])
			}
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
