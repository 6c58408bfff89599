package dsl

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file holds the hand-written pieces of the grammar: Go fragments
// (bodies, types, expressions) that participle cannot describe, and stage
// options, which follow Go's line rule: an option continues its declaration
// only on the same line, as a statement does in Go.

var (
	tokIdent      = mgLexer.Symbols()["Ident"]
	tokPunct      = mgLexer.Symbols()["Punct"]
	tokString     = mgLexer.Symbols()["String"]
	tokRawString  = mgLexer.Symbols()["RawString"]
	tokNumber     = mgLexer.Symbols()["Number"]
	tokDuration   = mgLexer.Symbols()["Duration"]
	tokComment    = mgLexer.Symbols()["Comment"]
	tokWhitespace = mgLexer.Symbols()["Whitespace"]
)

// Body is a Go block `{ ... }` captured verbatim. Text is everything between
// the braces, exactly as written.
type Body struct {
	Lbrace lexer.Position // position of "{"
	Rbrace lexer.Position // position of "}"
	Text   string
}

// GoType is a Go type expression, kept as written.
type GoType struct {
	Pos  lexer.Position
	End  int // byte offset just past the type
	Text string
}

// GoExpr is a Go expression (a parameter default or a binding), kept as written.
// It ends at the end of its line unless brackets are open or the line ends
// with an operator, as in Go.
type GoExpr struct {
	Pos  lexer.Position
	End  int
	Text string
}

// Option is a stage or strategy option: a word with optional arguments,
// `threads(4)`, `process_per_batch(max: 4, ipc: pipe)`, `ordered`. Names and
// arguments are checked by the ir package.
type Option struct {
	Pos    lexer.Position
	Name   string
	Parens bool
	Args   []*Arg
}

// ArgKind says what an option argument is.
type ArgKind int

// Argument kinds.
const (
	ArgName ArgKind = iota
	ArgNumber
	ArgDuration
	ArgString
)

// Arg is one option argument, optionally keyed (`max: 4`).
type Arg struct {
	Pos   lexer.Position
	Key   string
	Kind  ArgKind
	Value string // as written; a qualified name is joined with "."
}

// fragmentError is a syntax error inside a Go fragment or an option. Once a
// fragment has started there is no other way to read the input, so it is
// raised as a panic and turned into the parse's diagnostic by Parse: that keeps
// participle's backtracking from replacing it with a vaguer error elsewhere.
type fragmentError struct {
	pos lexer.Position
	msg string
}

func fatalf(pos lexer.Position, format string, args ...any) error {
	panic(fragmentError{pos: pos, msg: fmt.Sprintf(format, args...)})
}

func isPunct(t *lexer.Token, v string) bool { return t.Type == tokPunct && t.Value == v }

// prevToken returns the last non-elided token before the lexer's cursor.
func prevToken(lex *lexer.PeekingLexer) *lexer.Token {
	raw := lex.MakeCheckpoint().RawCursor()
	toks := lex.Range(0, raw)
	for i := len(toks) - 1; i >= 0; i-- {
		if toks[i].Type != tokComment && toks[i].Type != tokWhitespace {
			return &toks[i]
		}
	}
	return nil
}

// endLine is the line on which a token ends.
func endLine(t *lexer.Token) int { return t.Pos.Line + strings.Count(t.Value, "\n") }

// sameLine reports whether the next token continues the line of the previous one.
func sameLine(lex *lexer.PeekingLexer) bool {
	prev := prevToken(lex)
	return prev == nil || endLine(prev) == lex.Peek().Pos.Line
}

func tokenEnd(t *lexer.Token) int { return t.Pos.Offset + len(t.Value) }

func describe(t *lexer.Token) string {
	if t.EOF() {
		return "end of file"
	}
	return fmt.Sprintf("%q", t.Value)
}

// Parse implements participle.Parseable: a balanced `{ ... }` opening on the
// line where its declaration's header ends.
func (b *Body) Parse(lex *lexer.PeekingLexer) error {
	open := lex.Peek()
	if !isPunct(open, "{") || !sameLine(lex) {
		return participle.NextMatch
	}
	lex.Next()
	b.Lbrace = open.Pos
	depth := 1
	for {
		t := lex.Next()
		switch {
		case t.EOF():
			return fatalf(open.Pos, "unterminated block: no \"}\" matches this \"{\"")
		case isPunct(t, "{"):
			depth++
		case isPunct(t, "}"):
			depth--
			if depth == 0 {
				b.Rbrace = t.Pos
				return nil
			}
		}
	}
}

// Parse implements participle.Parseable for a stage's input parameter. A "("
// right after a stage name can only open it, so from there on the input is
// `()` or `(name Type)` or an error: left to backtracking, `x(n) int` would be
// read as a parenthesised result type "(n)" followed by an option "int".
func (p *Params) Parse(lex *lexer.PeekingLexer) error {
	open := lex.Peek()
	if !isPunct(open, "(") {
		return participle.NextMatch
	}
	lex.Next()
	p.Pos = open.Pos
	if isPunct(lex.Peek(), ")") {
		lex.Next()
		return nil
	}
	n := lex.Next()
	if n.Type != tokIdent {
		return fatalf(n.Pos, "expected a parameter name or \")\", found %s", describe(n))
	}
	p.Name = &Ident{Pos: n.Pos, Name: n.Value}
	p.Type = &GoType{}
	if err := p.Type.Parse(lex); err != nil {
		if err == participle.NextMatch {
			t := lex.Peek()
			return fatalf(t.Pos, "expected the type of %q, found %s", n.Value, describe(t))
		}
		return err
	}
	switch c := lex.Next(); {
	case isPunct(c, ","):
		return fatalf(c.Pos, "a stage takes one input parameter")
	case !isPunct(c, ")"):
		return fatalf(c.Pos, "expected \")\" after the parameter, found %s", describe(c))
	}
	return nil
}

// bareOptionWords are option words that are written without parentheses and
// so cannot be told from a type name by their shape.
var bareOptionWords = map[string]bool{"inline": true, "ordered": true, "await": true}

// Parse implements participle.Parseable for a Go type.
func (g *GoType) Parse(lex *lexer.PeekingLexer) error {
	first := lex.Peek()
	if !sameLine(lex) {
		return participle.NextMatch
	}
	cp := lex.MakeCheckpoint()
	end, err := parseType(lex, 0)
	if err != nil {
		lex.LoadCheckpoint(cp)
		if err == participle.NextMatch {
			return err
		}
		return err
	}
	g.Pos = first.Pos
	g.End = end
	return nil
}

// parseType consumes one Go type and returns the offset just past it. depth
// counts the enclosing types, so that no input can overflow the stack.
func parseType(lex *lexer.PeekingLexer, depth int) (int, error) {
	t := lex.Peek()
	if depth > maxNesting {
		return 0, fatalf(t.Pos, "type nested too deeply")
	}
	switch {
	case isPunct(t, "*"):
		lex.Next()
		return parseType(lex, depth+1)
	case isPunct(t, "("):
		lex.Next()
		if _, err := parseType(lex, depth+1); err != nil {
			return 0, err
		}
		c := lex.Next()
		if !isPunct(c, ")") {
			return 0, fatalf(c.Pos, "expected \")\" in type, found %s", describe(c))
		}
		return tokenEnd(c), nil
	case isPunct(t, "["):
		lex.Next()
		if _, err := skipBalanced(lex, "[", "]"); err != nil {
			return 0, err
		}
		return parseType(lex, depth+1)
	case isPunct(t, "<-"):
		lex.Next()
		c := lex.Next()
		if c.Type != tokIdent || c.Value != "chan" {
			return 0, fatalf(c.Pos, "expected \"chan\" after \"<-\", found %s", describe(c))
		}
		return parseType(lex, depth+1)
	case t.Type == tokIdent:
		switch t.Value {
		case "map":
			lex.Next()
			o := lex.Next()
			if !isPunct(o, "[") {
				return 0, fatalf(o.Pos, "expected \"[\" after \"map\", found %s", describe(o))
			}
			if _, err := skipBalanced(lex, "[", "]"); err != nil {
				return 0, err
			}
			return parseType(lex, depth+1)
		case "chan":
			lex.Next()
			if isPunct(lex.Peek(), "<-") {
				lex.Next()
			}
			return parseType(lex, depth+1)
		case "struct", "interface":
			lex.Next()
			o := lex.Peek()
			if !isPunct(o, "{") {
				return 0, fatalf(o.Pos, "expected \"{\" after %q, found %s", t.Value, describe(o))
			}
			lex.Next()
			return skipBalanced(lex, "{", "}")
		case "func":
			lex.Next()
			o := lex.Peek()
			if !isPunct(o, "(") {
				return 0, fatalf(o.Pos, "expected \"(\" after \"func\", found %s", describe(o))
			}
			lex.Next()
			end, err := skipBalanced(lex, "(", ")")
			if err != nil {
				return 0, err
			}
			// An optional result on the same line: a parenthesised list or one type.
			if !sameLine(lex) {
				return end, nil
			}
			if isPunct(lex.Peek(), "(") {
				lex.Next()
				return skipBalanced(lex, "(", ")")
			}
			cp := lex.MakeCheckpoint()
			if e, err := parseType(lex, depth+1); err == nil {
				return e, nil
			}
			lex.LoadCheckpoint(cp)
			return end, nil
		}
		next := peekAfter(lex)
		if bareOptionWords[t.Value] && !isPunct(next, ".") {
			return 0, participle.NextMatch
		}
		if isPunct(next, "(") {
			return 0, participle.NextMatch // an option such as threads(4), or a binding
		}
		lex.Next()
		end := tokenEnd(t)
		if isPunct(lex.Peek(), ".") {
			lex.Next()
			n := lex.Next()
			if n.Type != tokIdent {
				return 0, fatalf(n.Pos, "expected a type name after \".\", found %s", describe(n))
			}
			end = tokenEnd(n)
		}
		if isPunct(lex.Peek(), "[") && sameLine(lex) {
			lex.Next()
			return skipBalanced(lex, "[", "]")
		}
		return end, nil
	}
	return 0, participle.NextMatch
}

// peekAfter returns the non-elided token after the next one.
func peekAfter(lex *lexer.PeekingLexer) *lexer.Token {
	cp := lex.MakeCheckpoint()
	lex.Next()
	t := *lex.Peek()
	lex.LoadCheckpoint(cp)
	return &t
}

// skipBalanced consumes tokens up to and including the close that balances an
// already consumed open, and returns the offset just past it.
func skipBalanced(lex *lexer.PeekingLexer, open, close string) (int, error) {
	depth := 1
	for {
		t := lex.Next()
		switch {
		case t.EOF():
			return 0, fatalf(t.Pos, "unexpected end of file: missing %q", close)
		case isPunct(t, "(") || isPunct(t, "[") || isPunct(t, "{"):
			depth++
		case isPunct(t, ")") || isPunct(t, "]") || isPunct(t, "}"):
			depth--
			if depth == 0 {
				if t.Value != close {
					return 0, fatalf(t.Pos, "unexpected %q: expected %q", t.Value, close)
				}
				return tokenEnd(t), nil
			}
		}
	}
}

// continuesLine reports whether a Go line ending in t continues on the next
// line (Go inserts no semicolon after an operator, "(" "[" "{" or ",").
func continuesLine(t *lexer.Token) bool {
	if t.Type != tokPunct {
		return false
	}
	switch t.Value {
	case ")", "]", "}", "++", "--":
		return false
	}
	return true
}

// Parse implements participle.Parseable for a Go expression that ends with its line.
func (g *GoExpr) Parse(lex *lexer.PeekingLexer) error {
	first := lex.Peek()
	if first.EOF() || isPunct(first, "}") || isPunct(first, ";") {
		return fatalf(first.Pos, "expected a Go expression, found %s", describe(first))
	}
	if memberWords[first.Value] {
		// A member's first words (consumer sink, param X) are no Go expression: the value is
		// missing, and the next line is not taken for it.
		cp := lex.MakeCheckpoint()
		lex.Next()
		next := lex.Peek()
		lex.LoadCheckpoint(cp)
		if next.Type == first.Type && next.Pos.Line == first.Pos.Line {
			return fatalf(first.Pos, "expected a Go expression, found %s", describe(first))
		}
	}
	g.Pos = first.Pos
	var open []*lexer.Token // brackets not yet closed, innermost last
	var last *lexer.Token
	for {
		t := lex.Peek()
		if t.EOF() {
			break
		}
		if last != nil && len(open) == 0 {
			if endLine(last) != t.Pos.Line && !continuesLine(last) {
				break
			}
			if isPunct(t, "}") || isPunct(t, ";") {
				break
			}
		}
		switch {
		case isPunct(t, "(") || isPunct(t, "[") || isPunct(t, "{"):
			open = append(open, t)
		case isPunct(t, ")") || isPunct(t, "]") || isPunct(t, "}"):
			if len(open) == 0 {
				return fatalf(t.Pos, "unexpected %q", t.Value)
			}
			if want := closer[open[len(open)-1].Value]; t.Value != want {
				return fatalf(t.Pos, "unexpected %q: expected %q", t.Value, want)
			}
			open = open[:len(open)-1]
		}
		last = lex.Next()
	}
	if len(open) > 0 {
		o := open[len(open)-1]
		return fatalf(o.Pos, "unclosed %q in expression", o.Value)
	}
	g.End = tokenEnd(last)
	return nil
}

var closer = map[string]string{"(": ")", "[": "]", "{": "}"}

// memberList is memberWords as a list, for suggestions.
func memberList() []string {
	var out []string
	for w := range memberWords {
		out = append(out, w)
	}
	return out
}

// memberWords start a member of a pipeline; they never begin a trailing option.
var memberWords = map[string]bool{
	"producer": true, "processor": true, "consumer": true, "accumulator": true, "stage": true,
	"nested": true, "batch": true, "param": true, "state": true, "execution": true,
	"max_threads": true, "max_processes": true, "max_failures": true, "fail_fast": true,
	"before_run": true, "after_run": true, "after_producer": true, "before_fork": true,
	"after_fork": true, "before": true, "after": true, "on_error": true, "reroute": true, "queue": true,
	"pipeline": true, "go": true,
	// Not members, but keywords where an option could follow:
	// `pipeline P extends Base`, `batch 10 every 1s`.
	"extends": true, "every": true,
}

// Parse implements participle.Parseable for a trailing option: it must start
// on the line of the token before it.
func (o *Option) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != tokIdent || !sameLine(lex) || memberWords[t.Value] {
		return participle.NextMatch
	}
	return o.parse(lex)
}

// Parse implements participle.Parseable for a batch's `every D`: D must follow on the line
// of the word (the next line starts the next member).
func (e *Every) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != tokIdent || t.Value != "every" {
		return participle.NextMatch
	}
	e.Pos = t.Pos
	lex.Next()
	v := lex.Peek()
	if (v.Type == tokDuration || v.Type == tokIdent && !memberWords[v.Value]) && sameLine(lex) {
		e.Value = lex.Next().Value
		return nil
	}
	return fatalf(e.Pos, "every wants a duration or the name of a duration param after it, on its line (batch 100 every 250ms), found %s", describe(v))
}

// Parse implements participle.Parseable for the option that opens a block.
func (b *BlockOption) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != tokIdent || memberWords[t.Value] {
		return participle.NextMatch
	}
	cp := lex.MakeCheckpoint()
	if err := b.Option.parse(lex); err != nil {
		lex.LoadCheckpoint(cp)
		return err
	}
	if !isPunct(lex.Peek(), "{") {
		n := lex.Peek()
		pos, msg := n.Pos, fmt.Sprintf("expected \"{\" to open a %s block, found %s", b.Name, describe(n))
		if sug := DidYouMean(b.Name, memberList()); sug != "" && sameLine(lex) {
			return fatalf(b.Pos, "unknown word %q (did you mean %q?)", b.Name, sug)
		}
		if !sameLine(lex) {
			// Nothing follows on its line: an option out of place (after a
			// body, or on a line of its own) rather than a block.
			pos, msg = b.Pos, fmt.Sprintf("unexpected %q (an option goes on the line of its stage; a strategy block opens with \"{\")", b.Name)
		}
		if b.Name == "context" || b.Name == "queue_size" {
			// Also the start of a member (`context io = threads(50)`,
			// `queue_size 100`): an ordinary error lets the member's own,
			// deeper error win.
			return participle.Errorf(pos, "%s", msg)
		}
		return fatalf(pos, "%s", msg)
	}
	return nil
}

func (o *Option) parse(lex *lexer.PeekingLexer) error {
	name := lex.Next()
	o.Pos = name.Pos
	o.Name = name.Value
	if !isPunct(lex.Peek(), "(") {
		return nil
	}
	lex.Next()
	o.Parens = true
	if isPunct(lex.Peek(), ")") {
		lex.Next()
		return nil
	}
	for {
		a, err := parseArg(lex)
		if err != nil {
			return err
		}
		o.Args = append(o.Args, a)
		t := lex.Next()
		switch {
		case isPunct(t, ")"):
			return nil
		case isPunct(t, ","):
			continue
		default:
			return fatalf(t.Pos, "unexpected %s in %s(...): expected \",\" or \")\"", describe(t), o.Name)
		}
	}
}

func parseArg(lex *lexer.PeekingLexer) (*Arg, error) {
	t := lex.Next()
	a := &Arg{Pos: t.Pos}
	if t.Type == tokIdent && isPunct(lex.Peek(), ":") {
		lex.Next()
		a.Key = t.Value
		t = lex.Next()
	}
	switch t.Type {
	case tokNumber:
		a.Kind, a.Value = ArgNumber, t.Value
	case tokDuration:
		a.Kind, a.Value = ArgDuration, t.Value
	case tokString, tokRawString:
		a.Kind, a.Value = ArgString, t.Value
	case tokIdent:
		a.Kind, a.Value = ArgName, t.Value
		for isPunct(lex.Peek(), ".") {
			lex.Next()
			n := lex.Next()
			if n.Type != tokIdent {
				return nil, fatalf(n.Pos, "expected a name after \".\", found %s", describe(n))
			}
			a.Value += "." + n.Value
		}
	default:
		return nil, fatalf(t.Pos, "unexpected %s: expected an option argument", describe(t))
	}
	return a, nil
}

// sameLineQ checks, taking nothing, that what follows a reroute's "->" is on its line: the
// stage of the next line is no target.
type sameLineQ struct{}

func (*sameLineQ) Parse(lex *lexer.PeekingLexer) error {
	if t := lex.Peek(); t.EOF() || !sameLine(lex) {
		return fatalf(t.Pos, "expected the stage to reroute to after \"->\", on its line")
	}
	return nil
}

// typeAhead checks, taking nothing, that a state field's names are followed on their line by
// a Go type: the error is then at the bad token, not at the state block it would fail.
type typeAhead struct{}

func (*typeAhead) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.EOF() || !sameLine(lex) {
		return fatalf(t.Pos, "expected the field's Go type on its line")
	}
	if t.Type != tokIdent && !isPunct(t, "*") && !isPunct(t, "[") && !isPunct(t, "(") && !isPunct(t, "<-") {
		return fatalf(t.Pos, "expected a Go type, found %s", describe(t))
	}
	return nil
}
