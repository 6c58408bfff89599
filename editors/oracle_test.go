package editors

// The reference scanner: an account of a .mg file that does not come from
// the grammar, so the grammar can be checked against it. It lexes with the
// rules of dsl/lexer.go and follows the structure of DESIGN section 2 and
// dsl's parser (headers are one line; a "(" after a stage name opens its
// input; an option continues its declaration only on the same line), and
// says, for each word outside Go, whether it is a keyword or option in its
// place, or a name that must not be coloured as one. It is tolerant: after
// something it does not expect, the rest of the line (and any block opened
// on it) is left unchecked, as an editor must cope with half-written files.

import (
	"regexp"
	"strings"
)

type tokKind int

const (
	tkComment tokKind = iota
	tkSpace
	tkRawString
	tkString
	tkChar
	tkDuration
	tkNumber
	tkIdent
	tkPunct
	tkBad // no rule matched: one byte
)

// lexRules are dsl/lexer.go's, in its order: the first rule that matches wins.
var lexRules = []struct {
	kind tokKind
	re   *regexp.Regexp
}{
	{tkComment, regexp.MustCompile(`\A(?://[^\n]*|/\*([^*]|\*+[^*/])*\*+/)`)},
	{tkSpace, regexp.MustCompile(`\A[ \t\r\n\f\v]+`)},
	{tkRawString, regexp.MustCompile("\\A`[^`]*`")},
	{tkString, regexp.MustCompile(`\A"(\\.|[^"\\\n])*"`)},
	{tkChar, regexp.MustCompile(`\A'(\\.|[^'\\\n])+'`)},
	{tkDuration, regexp.MustCompile(`\A([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+\b`)},
	{tkNumber, regexp.MustCompile(`\A(?:0[xX][0-9a-fA-F_]+(\.[0-9a-fA-F_]*)?([pP][+-]?[0-9_]+)?i?|0[bB][01_]+i?|0[oO][0-7_]+i?|[0-9][0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9_]+)?i?|\.[0-9][0-9_]*([eE][+-]?[0-9_]+)?i?)`)},
	{tkIdent, regexp.MustCompile(`\A[\p{L}_][\p{L}\p{Nd}_]*`)},
	{tkPunct, regexp.MustCompile(`\A(?:\.\.\.|<<=|>>=|&\^=|&&|\|\||<-|->|\+\+|--|==|!=|<=|>=|:=|\+=|-=|\*=|/=|%=|&=|\|=|\^=|<<|>>|&\^|[-+*/%&|^<>=!(){}\[\],;.:~])`)},
}

type tok struct {
	kind     tokKind
	val      string
	off, end int
	line     int // line of the first byte
	endLine  int // line of the last byte
}

func lexMG(src string) []tok {
	var toks []tok
	line := 1
	for off := 0; off < len(src); {
		t := tok{kind: tkBad, off: off, end: off + 1, line: line}
		for _, r := range lexRules {
			if m := r.re.FindStringIndex(src[off:]); m != nil && m[1] > 0 {
				t.kind, t.end = r.kind, off+m[1]
				break
			}
		}
		t.val = src[t.off:t.end]
		t.endLine = line + strings.Count(strings.TrimRight(t.val, "\n"), "\n")
		line += strings.Count(t.val, "\n")
		toks = append(toks, t)
		off = t.end
	}
	return toks
}

// The words of the language (DESIGN 2), by the places they have.
var (
	stageKinds  = set("producer", "processor", "consumer", "accumulator", "stage", "nested")
	hookWords   = set("before_run", "after_run", "after_producer", "before", "after", "before_fork", "after_fork", "on_error")
	optionWords = set("threads", "inline", "context", "to", "from", "routing", "queue_size", "ordered", "retry",
		"dead_letter", "timeout", "await", "total", "process_per_batch", "processes", "remote", "max_size", "max_wait",
		"thread_pool", "cow_fork", "ipc_fork")
	bareOptions  = set("inline", "ordered", "await")
	refOptions   = set("to", "from", "dead_letter", "context")
	optionKeys   = set("max", "ipc", "recycle", "backoff", "chunk", "ack_wait", "in_flight", "max_deliver")
	mergeRules   = set("append", "sum", "max", "min", "union")
	optionValues = map[string]map[string]bool{ // option or key -> constant words
		"routing":    set("broadcast", "round_robin"),
		"queue_size": set("unbounded"),
		"ipc":        set("pipe", "tempfile"),
	}
	// memberWords start a pipeline member; they never begin a trailing option (dsl/gofrag.go).
	memberWords = set("producer", "processor", "consumer", "accumulator", "stage", "nested", "batch", "param",
		"state", "execution", "max_threads", "max_processes", "max_failures", "fail_fast", "before_run",
		"after_run", "after_producer", "before_fork", "after_fork", "before", "after", "on_error", "reroute",
		"queue", "pipeline", "go", "extends", "every")
	// allWords is every word the grammar may colour as a keyword or option.
	allWords = union(stageKinds, hookWords, optionWords, optionKeys, mergeRules, memberWords,
		set("package", "import", "context", "queue_size", "merge", "broadcast", "round_robin", "unbounded", "pipe", "tempfile"))
)

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

func union(sets ...map[string]bool) map[string]bool {
	m := map[string]bool{}
	for _, s := range sets {
		for w := range s {
			m[w] = true
		}
	}
	return m
}

type class int

const (
	clNone    class = iota
	clKeyword       // a keyword or option word in its place
	clName          // a name where a keyword could be spelt: never coloured as one
)

// span is a byte range of the source.
type span struct{ off, end int }

// account is what the reference scanner says about a file.
type account struct {
	classes   map[int]class // by token offset: words outside Go
	bodies    []span        // "{" and "}" offsets of each Go body or go block
	unchecked []span        // after a syntax error
	toks      []tok         // every token, comments included
}

func (a *account) isUnchecked(off int) bool {
	for _, s := range a.unchecked {
		if s.off <= off && off < s.end {
			return true
		}
	}
	return false
}

func (a *account) inBody(off int) bool {
	for _, b := range a.bodies {
		if b.off < off && off < b.end {
			return true
		}
	}
	return false
}

// scanner walks the significant tokens (no spaces or comments).
type scanner struct {
	toks []tok
	i    int
	acc  *account
}

func describeMG(src string) *account {
	all := lexMG(src)
	s := &scanner{acc: &account{classes: map[int]class{}, toks: all}}
	for _, t := range all {
		if t.kind != tkSpace && t.kind != tkComment {
			s.toks = append(s.toks, t)
		}
	}
	s.file()
	return s.acc
}

var eofTok = tok{kind: tkBad, line: -1}

func (s *scanner) eof() bool { return s.i >= len(s.toks) }

func (s *scanner) peek() tok {
	if s.eof() {
		return eofTok
	}
	return s.toks[s.i]
}

func (s *scanner) peekAt(n int) tok {
	if s.i+n >= len(s.toks) {
		return eofTok
	}
	return s.toks[s.i+n]
}

func (s *scanner) next() tok { t := s.peek(); s.i++; return t }

func (s *scanner) mark(t tok, c class) { s.acc.classes[t.off] = c }

func (s *scanner) keyword() { s.mark(s.next(), clKeyword) }

func (s *scanner) name() bool {
	if s.peek().kind != tkIdent {
		return false
	}
	s.mark(s.next(), clName)
	return true
}

func isPunct(t tok, v string) bool { return t.kind == tkPunct && t.val == v }
func isWord(t tok, v string) bool  { return t.kind == tkIdent && t.val == v }

// sameLine reports whether the next token is on the line where the previous one ends.
func (s *scanner) sameLine() bool {
	return !s.eof() && (s.i == 0 || s.toks[s.i-1].endLine == s.peek().line)
}

// bad leaves the rest of the line unchecked, and whatever a bracket opened
// on it holds, and moves past it. It stops before a bracket that closes one
// opened before the line.
func (s *scanner) bad() {
	if s.eof() {
		return
	}
	first := s.i
	line := s.peek().line
	depth := 0
	for !s.eof() {
		t := s.peek()
		if depth == 0 && s.i > first {
			if t.line != line || isPunct(t, "}") || isPunct(t, ")") || isPunct(t, "]") {
				break
			}
		}
		s.next()
		switch {
		case isPunct(t, "{") || isPunct(t, "(") || isPunct(t, "["):
			depth++
		case isPunct(t, "}") || isPunct(t, ")") || isPunct(t, "]"):
			if depth > 0 {
				depth--
			}
		}
		if depth == 0 {
			line = t.endLine
		}
	}
	s.acc.unchecked = append(s.acc.unchecked, span{s.toks[first].off, s.toks[s.i-1].end})
}

func (s *scanner) file() {
	for !s.eof() {
		t := s.peek()
		switch {
		case isWord(t, "package"):
			s.keyword()
			s.next()
		case isWord(t, "import"):
			s.keyword()
			if isPunct(s.peek(), "(") {
				for !s.eof() && !isPunct(s.next(), ")") {
				}
			} else {
				for s.sameLine() {
					s.next()
				}
			}
		case isWord(t, "go"):
			s.keyword()
			if !s.body() {
				s.bad()
			}
		case isWord(t, "pipeline"):
			s.pipeline()
		default:
			s.bad()
		}
	}
}

// pipeline reads `pipeline NAME [extends NAME] [options] { members }`.
func (s *scanner) pipeline() {
	s.keyword()
	if !s.name() {
		s.bad()
		return
	}
	if isWord(s.peek(), "extends") {
		s.keyword()
		if !s.name() {
			s.bad()
			return
		}
	}
	if !s.options() {
		s.bad()
		return
	}
	if !isPunct(s.peek(), "{") {
		s.bad()
		return
	}
	s.members()
}

// members reads `{ member* }`.
func (s *scanner) members() {
	s.next()
	for !s.eof() {
		t := s.peek()
		switch {
		case isPunct(t, "}"):
			s.next()
			return
		case t.kind == tkIdent:
			s.member()
		default:
			s.bad()
		}
	}
}

func (s *scanner) member() {
	t := s.peek()
	after := s.peekAt(1)
	switch {
	case t.val == "param":
		s.keyword()
		if !s.name() {
			s.bad()
			return
		}
		s.goExpr()
	case t.val == "state" && isPunct(after, "{"):
		s.keyword()
		s.state()
	case t.val == "execution":
		s.keyword()
		if !s.option() {
			s.bad()
		}
	case t.val == "queue_size" && !isPunct(after, "("):
		s.keyword()
		if isWord(s.peek(), "unbounded") {
			s.keyword()
		} else {
			s.next()
		}
	case t.val == "max_threads" || t.val == "max_processes" || t.val == "max_failures":
		s.keyword()
		s.next()
	case t.val == "context" && !isPunct(after, "("):
		s.keyword()
		if !s.name() || !isPunct(s.peek(), "=") {
			s.bad()
			return
		}
		s.next()
		if !s.option() {
			s.bad()
		}
	case t.val == "fail_fast":
		s.keyword()
	case t.val == "batch":
		s.keyword()
		s.next()
		if isWord(s.peek(), "every") && s.sameLine() {
			s.keyword()
			// Its duration is on its line; a member word starts the next member (dsl Every).
			if s.sameLine() && !memberWords[s.peek().val] {
				s.next()
			}
		}
		if !s.options() {
			s.bad()
		}
	case stageKinds[t.val]:
		s.stage()
	case hookWords[t.val]:
		s.hook()
	case t.val == "reroute":
		s.keyword()
		for {
			if !s.qname() {
				s.bad()
				return
			}
			if !s.sameLine() {
				return
			}
			if p := s.peek(); isPunct(p, "->") || isPunct(p, ",") {
				s.next()
				if isPunct(p, "->") && !s.sameLine() {
					return // no target on its line: the next line is a member
				}
				continue
			}
			return
		}
	case t.val == "queue":
		s.keyword()
		if !s.name() || !s.goType() || !s.options() {
			s.bad()
		}
	case t.val == "pipeline":
		s.pipeline()
	default: // a strategy block: an option, then { members }
		if !s.option() || !isPunct(s.peek(), "{") {
			s.bad()
			return
		}
		s.members()
	}
}

// stage reads a stage header and its body or binding.
func (s *scanner) stage() {
	s.keyword()
	if !s.name() {
		s.bad()
		return
	}
	if isPunct(s.peek(), "(") { // always the input parameter
		s.next()
		if !isPunct(s.peek(), ")") {
			if !s.name() {
				s.bad()
				return
			}
			if !s.skipTo(")") {
				s.bad()
				return
			}
		}
		s.next()
	}
	if s.sameLine() && s.startsType() && !s.goType() {
		s.bad()
		return
	}
	if !s.options() {
		s.bad()
		return
	}
	switch p := s.peek(); {
	case !s.sameLine():
	case isPunct(p, "="):
		s.next()
		s.goExpr()
	case isPunct(p, "{"):
		s.body()
	default:
		s.bad()
	}
}

// startsType reports whether the next token begins a result type rather
// than an option (dsl/gofrag.go's parseType).
func (s *scanner) startsType() bool {
	t, after := s.peek(), s.peekAt(1)
	switch {
	case isPunct(t, "*") || isPunct(t, "[") || isPunct(t, "(") || isPunct(t, "<-"):
		return true
	case t.kind != tkIdent:
		return false
	case t.val == "map" || t.val == "chan" || t.val == "func" || t.val == "struct" || t.val == "interface":
		return true
	case bareOptions[t.val] && !isPunct(after, "."):
		return false
	case isPunct(after, "("):
		return false
	case memberWords[t.val]:
		return false
	}
	return true
}

// goType skips one Go type; its words are Go, not keywords.
func (s *scanner) goType() bool {
	t := s.next()
	switch {
	case isPunct(t, "*"):
		return s.goType()
	case isPunct(t, "("):
		return s.skipTo(")") && s.skip()
	case isPunct(t, "["):
		return s.skipTo("]") && s.skip() && s.goType()
	case isPunct(t, "<-"):
		return isWord(s.next(), "chan") && s.goType()
	case t.kind != tkIdent:
		return false
	}
	switch t.val {
	case "map":
		return isPunct(s.next(), "[") && s.skipTo("]") && s.skip() && s.goType()
	case "chan":
		if isPunct(s.peek(), "<-") {
			s.next()
		}
		return s.goType()
	case "struct", "interface":
		return isPunct(s.next(), "{") && s.skipTo("}") && s.skip()
	case "func":
		if !isPunct(s.next(), "(") || !s.skipTo(")") || !s.skip() {
			return false
		}
		if s.sameLine() && isPunct(s.peek(), "(") {
			s.next()
			return s.skipTo(")") && s.skip()
		}
		if s.sameLine() && s.startsType() {
			return s.goType()
		}
		return true
	}
	if isPunct(s.peek(), ".") {
		s.next()
		if s.next().kind != tkIdent {
			return false
		}
	}
	if isPunct(s.peek(), "[") && s.sameLine() {
		s.next()
		return s.skipTo("]") && s.skip()
	}
	return true
}

func (s *scanner) skip() bool { s.next(); return true }

// skipTo moves to the bracket that closes the one just consumed (or, for
// a parameter list, the enclosing one), balancing brackets on the way.
func (s *scanner) skipTo(close string) bool {
	depth := 0
	for !s.eof() {
		t := s.peek()
		switch {
		case isPunct(t, "(") || isPunct(t, "[") || isPunct(t, "{"):
			depth++
		case isPunct(t, ")") || isPunct(t, "]") || isPunct(t, "}"):
			if depth == 0 {
				return t.val == close
			}
			depth--
		}
		s.next()
	}
	return false
}

// goExpr skips a Go expression that ends with its line unless a bracket is open.
func (s *scanner) goExpr() {
	depth := 0
	for !s.eof() && (s.sameLine() || depth > 0) {
		t := s.next()
		switch {
		case isPunct(t, "(") || isPunct(t, "[") || isPunct(t, "{"):
			depth++
		case isPunct(t, ")") || isPunct(t, "]") || isPunct(t, "}"):
			depth--
		}
	}
}

// options reads the trailing options of a header.
func (s *scanner) options() bool {
	for s.sameLine() && s.peek().kind == tkIdent && !memberWords[s.peek().val] {
		if !s.option() {
			return false
		}
	}
	return true
}

// option reads `word` or `word(args)`.
func (s *scanner) option() bool {
	t := s.peek()
	if t.kind != tkIdent {
		return false
	}
	w := t.val
	if !isPunct(s.peekAt(1), "(") {
		if bareOptions[w] {
			s.mark(t, clKeyword)
		}
		s.next()
		return true
	}
	if optionWords[w] {
		s.mark(t, clKeyword)
	}
	s.next()
	s.next() // (
	if isPunct(s.peek(), ")") {
		s.next()
		return true
	}
	for {
		key := ""
		if a := s.peek(); a.kind == tkIdent && isPunct(s.peekAt(1), ":") {
			if optionKeys[a.val] {
				s.mark(a, clKeyword)
			}
			key = a.val
			s.next()
			s.next()
		}
		v := s.next()
		switch v.kind {
		case tkIdent:
			switch {
			case refOptions[w]:
				s.mark(v, clName)
			case optionValues[w][v.val] || optionValues[key][v.val]:
				s.mark(v, clKeyword)
			}
			for isPunct(s.peek(), ".") {
				s.next()
				if n := s.next(); n.kind != tkIdent {
					return false
				} else if refOptions[w] {
					s.mark(n, clName)
				}
			}
		case tkNumber, tkDuration, tkString, tkRawString:
		default:
			s.i--
			return false
		}
		switch p := s.next(); {
		case isPunct(p, ")"):
			return true
		case isPunct(p, ","):
		default:
			s.i--
			return false
		}
	}
}

// qname reads a possibly qualified stage name.
func (s *scanner) qname() bool {
	if !s.name() {
		return false
	}
	for isPunct(s.peek(), ".") {
		s.next()
		if !s.name() {
			return false
		}
	}
	return true
}

// hook reads `hook [(target)] [(params)] { body }`.
func (s *scanner) hook() {
	s.keyword()
	if isPunct(s.peek(), "(") && s.peekAt(1).kind == tkIdent {
		// A target is a qualified name and ")"; anything else is a parameter list.
		j := s.i + 2
		for j+1 < len(s.toks) && isPunct(s.toks[j], ".") && s.toks[j+1].kind == tkIdent {
			j += 2
		}
		if j < len(s.toks) && isPunct(s.toks[j], ")") {
			s.next()
			s.qname()
			s.next()
		}
	}
	if isPunct(s.peek(), "(") {
		s.next()
		if !s.skipTo(")") {
			s.bad()
			return
		}
		s.next()
	}
	if !s.sameLine() || !s.body() {
		s.bad()
	}
}

// state reads `{ field* }`: names, a Go type, an optional merge(RULE).
func (s *scanner) state() {
	s.next() // {
	for !s.eof() {
		if isPunct(s.peek(), "}") {
			s.next()
			return
		}
		if !s.name() {
			s.bad()
			continue
		}
		for isPunct(s.peek(), ",") && s.sameLine() {
			s.next()
			s.name()
		}
		depth := 0
	field:
		for !s.eof() && (s.sameLine() || depth > 0) {
			t := s.peek()
			switch {
			case depth == 0 && isPunct(t, "}"):
				break field // closes the state on the field's line
			case depth == 0 && isWord(t, "merge") && isPunct(s.peekAt(1), "("):
				s.keyword()
				s.next() // (
				if r := s.peek(); r.kind == tkIdent {
					if mergeRules[r.val] {
						s.mark(r, clKeyword)
					}
					s.next()
					for isPunct(s.peek(), ".") && s.peekAt(1).kind == tkIdent {
						s.next()
						s.next()
					}
				}
				if isPunct(s.peek(), ")") {
					s.next()
				}
				continue
			case isPunct(t, "{") || isPunct(t, "(") || isPunct(t, "["):
				depth++
			case isPunct(t, "}") || isPunct(t, ")") || isPunct(t, "]"):
				depth--
			}
			s.next()
		}
	}
}

// body reads a Go block `{ ... }`, balancing braces token by token, as dsl does.
func (s *scanner) body() bool {
	if !isPunct(s.peek(), "{") {
		return false
	}
	open := s.next()
	depth := 1
	for !s.eof() {
		t := s.next()
		switch {
		case isPunct(t, "{"):
			depth++
		case isPunct(t, "}"):
			if depth--; depth == 0 {
				s.acc.bodies = append(s.acc.bodies, span{open.off, t.off})
				return true
			}
		}
	}
	s.acc.unchecked = append(s.acc.unchecked, span{open.off, s.toks[len(s.toks)-1].end})
	return true
}
