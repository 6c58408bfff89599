package editors

// A small TextMate tokenizer, enough for mg.tmLanguage.json: match rules,
// begin/end rules with name, contentName and captures, patterns, and include
// of #repository rules, $self and $base. An include of another grammar
// (source.go) is an opaque region: it contributes no patterns, so what the
// including rule matches itself (and its fallback patterns) is what a body
// gets. Lines are matched one at a time with their "\n", as vscode-textmate
// does, and regular expressions are Go's: the grammar keeps to RE2 syntax.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tmGrammar is a grammar file. Decoding rejects unknown fields, so a
// misspelt key ("captuers") fails the test instead of being ignored.
type tmGrammar struct {
	Schema     string             `json:"$schema"`
	Name       string             `json:"name"`
	ScopeName  string             `json:"scopeName"`
	FileTypes  []string           `json:"fileTypes"`
	Comment    string             `json:"comment"`
	Patterns   []*tmRule          `json:"patterns"`
	Repository map[string]*tmRule `json:"repository"`
}

type tmRule struct {
	Comment       string               `json:"comment"`
	Name          string               `json:"name"`
	ContentName   string               `json:"contentName"`
	Match         string               `json:"match"`
	Begin         string               `json:"begin"`
	End           string               `json:"end"`
	Captures      map[string]tmCapture `json:"captures"`
	BeginCaptures map[string]tmCapture `json:"beginCaptures"`
	EndCaptures   map[string]tmCapture `json:"endCaptures"`
	Patterns      []*tmRule            `json:"patterns"`
	Include       string               `json:"include"`

	// Filled in by compile.
	match, begin, end *tmRegexp
	expanded          []*tmRule // leaf rules of Patterns, includes resolved
}

type tmCapture struct {
	Name string `json:"name"`
}

func parseGrammar(data []byte) (*tmGrammar, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g tmGrammar
	if err := dec.Decode(&g); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the grammar object")
	}
	return &g, nil
}

// tmRegexp is one grammar regular expression compiled twice: plain, for a
// search from the start of a line, and with one rune of left context, so
// that \b and ^ see the text before the position a search starts from.
type tmRegexp struct {
	src   string
	plain *regexp.Regexp
	ctx   *regexp.Regexp
}

func compileTM(src string) (*tmRegexp, error) {
	// (?m): ^ and $ are line anchors, as in Oniguruma.
	plain, err := regexp.Compile(`(?m:` + src + `)`)
	if err != nil {
		return nil, err
	}
	// \A, the rune before the start position, the shortest skip, then the
	// pattern in group 1: the leftmost match at or after the position.
	ctx, err := regexp.Compile(`\A(?s:.)(?s:.*?)((?m:` + src + `))`)
	if err != nil {
		return nil, err
	}
	return &tmRegexp{src: src, plain: plain, ctx: ctx}, nil
}

// find returns the submatch offsets (in line) of the leftmost match at or
// after pos, or nil.
func (r *tmRegexp) find(line string, pos int) []int {
	if pos == 0 {
		return r.plain.FindStringSubmatchIndex(line)
	}
	_, size := utf8.DecodeLastRuneInString(line[:pos])
	k := pos - size
	m := r.ctx.FindStringSubmatchIndex(line[k:])
	if m == nil {
		return nil
	}
	out := make([]int, len(m)-2)
	for i := 2; i < len(m); i++ {
		if m[i] >= 0 {
			out[i-2] = m[i] + k
		} else {
			out[i-2] = -1
		}
	}
	return out
}

// compile compiles every regular expression of the grammar and resolves
// includes; it reports every problem it finds.
func (g *tmGrammar) compile() []error {
	var errs []error
	cache := map[string]*tmRegexp{}
	re := func(where, src string) *tmRegexp {
		if r, ok := cache[src]; ok {
			return r
		}
		r, err := compileTM(src)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a Go (RE2) regular expression: %v", where, src, err))
			return nil
		}
		cache[src] = r
		return r
	}
	var walk func(where string, r *tmRule)
	walk = func(where string, r *tmRule) {
		kinds := 0
		for _, s := range []string{r.Match, r.Begin, r.Include} {
			if s != "" {
				kinds++
			}
		}
		if kinds > 1 {
			errs = append(errs, fmt.Errorf("%s: a rule is one of match, begin/end, include", where))
		}
		switch {
		case r.Match != "":
			r.match = re(where+".match", r.Match)
			if r.End != "" || r.Patterns != nil || r.ContentName != "" {
				errs = append(errs, fmt.Errorf("%s: a match rule has end, patterns or contentName", where))
			}
		case r.Begin != "":
			r.begin = re(where+".begin", r.Begin)
			if r.End == "" {
				errs = append(errs, fmt.Errorf("%s: begin without end", where))
			} else {
				r.end = re(where+".end", r.End)
			}
		case r.Include != "":
			if r.Name != "" || r.Patterns != nil {
				errs = append(errs, fmt.Errorf("%s: an include has a name or patterns", where))
			}
		case r.End != "":
			errs = append(errs, fmt.Errorf("%s: end without begin", where))
		}
		for i, p := range r.Patterns {
			walk(fmt.Sprintf("%s.patterns[%d]", where, i), p)
		}
	}
	for i, p := range g.Patterns {
		walk(fmt.Sprintf("patterns[%d]", i), p)
	}
	names := make([]string, 0, len(g.Repository))
	for n := range g.Repository {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		walk("repository."+n, g.Repository[n])
	}
	for _, n := range names {
		if r := g.Repository[n]; r.Match == "" && r.Begin == "" && r.Include == "" && r.Patterns == nil {
			errs = append(errs, fmt.Errorf("repository.%s: empty rule", n))
		}
	}
	// Resolve includes: every rule with patterns gets its leaf rules.
	root := &tmRule{Patterns: g.Patterns}
	var resolve func(where string, r *tmRule)
	seen := map[*tmRule]bool{}
	resolve = func(where string, r *tmRule) {
		if seen[r] {
			return
		}
		seen[r] = true
		r.expanded = g.expand(r.Patterns, root, map[*tmRule]bool{}, func(inc string) {
			errs = append(errs, fmt.Errorf("%s: include %q names no repository rule", where, inc))
		})
		for i, p := range r.Patterns {
			resolve(fmt.Sprintf("%s.patterns[%d]", where, i), p)
		}
	}
	resolve("patterns", root)
	g.Repository[rootKey] = root
	for _, n := range names {
		resolve("repository."+n, g.Repository[n])
	}
	return errs
}

// rootKey holds the top-level rule in the repository once compiled; no
// grammar key can contain a NUL.
const rootKey = "\x00root"

func (g *tmGrammar) root() *tmRule { return g.Repository[rootKey] }

// expand flattens patterns into leaf rules (match or begin), in order.
func (g *tmGrammar) expand(patterns []*tmRule, root *tmRule, active map[*tmRule]bool, bad func(string)) []*tmRule {
	var out []*tmRule
	for _, p := range patterns {
		switch {
		case p.Include != "":
			var target *tmRule
			switch {
			case p.Include == "$self" || p.Include == "$base":
				target = root
			case strings.HasPrefix(p.Include, "#"):
				target = g.Repository[p.Include[1:]]
				if target == nil {
					bad(p.Include)
					continue
				}
			default:
				continue // another grammar: an opaque region here
			}
			if target.Match != "" || target.Begin != "" {
				out = append(out, target)
				continue
			}
			if active[target] {
				continue // a cycle of pattern lists adds nothing new
			}
			active[target] = true
			out = append(out, g.expand(target.Patterns, root, active, bad)...)
			delete(active, target)
		case p.Match != "" || p.Begin != "":
			out = append(out, p)
		default:
			active[p] = true
			out = append(out, g.expand(p.Patterns, root, active, bad)...)
			delete(active, p)
		}
	}
	return out
}

// frame is an open begin/end rule.
type frame struct {
	rule    *tmRule
	scopes  []string // outer scopes and the rule's name
	content []string // scopes plus contentName
}

// tokenize returns, for each byte of src, the scopes it is in, outermost
// first (the grammar's scopeName included).
func (g *tmGrammar) tokenize(src string) ([][]string, error) {
	out := make([][]string, len(src))
	base := []string{g.ScopeName}
	stack := []frame{{rule: g.root(), scopes: base, content: base}}
	off := 0
	for lineNo := 1; off <= len(src); lineNo++ {
		end := strings.IndexByte(src[off:], '\n')
		text := src[off:]
		if end >= 0 {
			text = src[off : off+end]
		}
		line := text + "\n"
		var err error
		stack, err = g.tokenizeLine(line, stack, func(i int, s []string) {
			if off+i < len(src) {
				out[off+i] = s
			}
		})
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", lineNo, err)
		}
		if end < 0 {
			break
		}
		off += end + 1
	}
	return out, nil
}

func with(s []string, names ...string) []string {
	out := append([]string(nil), s...)
	for _, n := range names {
		out = append(out, strings.Fields(n)...)
	}
	return out
}

func (g *tmGrammar) tokenizeLine(line string, stack []frame, set func(int, []string)) ([]frame, error) {
	pos := 0
	type pushKey struct {
		rule *tmRule
		pos  int
	}
	pushedAt := map[pushKey]bool{}
	for steps := 0; pos < len(line); steps++ {
		if steps > 10*len(line)+100 {
			return nil, fmt.Errorf("no progress at byte %d", pos)
		}
		top := stack[len(stack)-1]
		var best []int
		var bestRule *tmRule
		isEnd := false
		if top.rule.end != nil {
			if m := top.rule.end.find(line, pos); m != nil {
				best, isEnd = m, true
			}
		}
		for _, r := range top.rule.expanded {
			re := r.match
			if re == nil {
				re = r.begin
			}
			if re == nil {
				continue
			}
			m := re.find(line, pos)
			if m == nil || (best != nil && m[0] >= best[0]) {
				continue
			}
			if r.Begin != "" && m[0] == m[1] && pushedAt[pushKey{r, m[0]}] {
				continue // the same empty begin twice at one place: a loop
			}
			best, bestRule, isEnd = m, r, false
		}
		if best == nil {
			for i := pos; i < len(line); i++ {
				set(i, top.content)
			}
			return stack, nil
		}
		for i := pos; i < best[0]; i++ {
			set(i, top.content)
		}
		switch {
		case isEnd:
			caps := top.rule.EndCaptures
			if caps == nil {
				caps = top.rule.Captures
			}
			applyCaptures(best, top.scopes, caps, set)
			if len(stack) == 1 {
				return nil, fmt.Errorf("end of the root rule")
			}
			stack = stack[:len(stack)-1]
		case bestRule.Match != "":
			scopes := with(top.content, bestRule.Name)
			applyCaptures(best, scopes, bestRule.Captures, set)
			if best[0] == best[1] {
				// An empty match makes no progress: step over one byte.
				if best[0] < len(line) {
					set(best[0], top.content)
				}
				best[1]++
			}
		default:
			scopes := with(top.content, bestRule.Name)
			caps := bestRule.BeginCaptures
			if caps == nil {
				caps = bestRule.Captures
			}
			applyCaptures(best, scopes, caps, set)
			pushedAt[pushKey{bestRule, best[0]}] = true
			stack = append(stack, frame{rule: bestRule, scopes: scopes, content: with(scopes, bestRule.ContentName)})
		}
		pos = best[1]
	}
	return stack, nil
}

// applyCaptures scopes the bytes of a match: the rule's scopes, then the
// name of every capture group that holds the byte, in group order.
func applyCaptures(m []int, scopes []string, caps map[string]tmCapture, set func(int, []string)) {
	type group struct {
		start, end int
		name       string
	}
	var groups []group
	for k, c := range caps {
		n, err := strconv.Atoi(k)
		if err != nil || 2*n+1 >= len(m) || m[2*n] < 0 || c.Name == "" {
			continue
		}
		groups = append(groups, group{m[2*n], m[2*n+1], c.Name})
	}
	sort.SliceStable(groups, func(i, j int) bool {
		return groups[i].start < groups[j].start || groups[i].start == groups[j].start && groups[i].end > groups[j].end
	})
	for i := m[0]; i < m[1]; i++ {
		s := scopes
		for _, gr := range groups {
			if gr.start <= i && i < gr.end {
				s = with(s, gr.name)
			}
		}
		set(i, s)
	}
}
