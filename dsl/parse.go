package dsl

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

var parser = participle.MustBuild[File](
	participle.Lexer(mgLexer),
	participle.Elide("Comment", "Whitespace"),
	participle.UseLookahead(4),
)

// Parse parses one .mg file. name is used in positions; it is reported as given.
// On a syntax error the file is nil and the diagnostics hold one error.
func Parse(name string, src []byte) (f *File, diags Diagnostics) {
	defer func() {
		// The grammar must never panic on any input; if it does, report it
		// as an internal error at the start of the file rather than crash.
		if r := recover(); r != nil {
			f = nil
			if fe, ok := r.(fragmentError); ok {
				diags = Diagnostics{{Pos: byteaPos(name, src, fe.pos), Msg: "syntax error: " + fe.msg}}
				return
			}
			diags = Diagnostics{{Pos: Pos{File: name, Line: 1, Col: 1}, Msg: fmt.Sprintf("internal error: parser panic: %v", r)}}
		}
	}()
	if bytes.HasPrefix(src, bom) {
		// A leading byte order mark, which Go source may start with too, reads as blanks:
		// positions stay byte offsets into the file as written.
		src = append([]byte("   "), src[len(bom):]...)
	}
	f, err := parse(name, src)
	if err != nil {
		var perr participle.Error
		pos := Pos{File: name, Line: 1, Col: 1}
		msg := err.Error()
		if errors.As(err, &perr) {
			pos = byteaPos(name, src, perr.Position())
			msg = perr.Message()
		}
		return nil, Diagnostics{{Pos: pos, Msg: cleanMessage(msg)}}
	}
	f.Name = name
	f.Src = src
	fillText(f)
	return f, nil
}

// bom is the UTF-8 byte order mark.
var bom = []byte("\xef\xbb\xbf")

// maxNesting bounds how deeply brackets and types may nest: the parser
// recurses on them, and a Go stack overflow cannot be recovered from.
const maxNesting = 1000

// parse lexes src, refuses brackets nested past maxNesting, and parses.
func parse(name string, src []byte) (*File, error) {
	lex, err := mgLexer.LexString(name, string(src))
	if err != nil {
		return nil, err
	}
	peek, err := lexer.Upgrade(lex, tokComment, tokWhitespace)
	if err != nil {
		return nil, err
	}
	cp := peek.MakeCheckpoint()
	depth := 0
	for t := peek.Next(); !t.EOF(); t = peek.Next() {
		switch {
		case isPunct(t, "(") || isPunct(t, "[") || isPunct(t, "{"):
			if depth++; depth > maxNesting {
				return nil, participle.Errorf(t.Pos, "syntax error: brackets nested too deeply")
			}
		case isPunct(t, ")") || isPunct(t, "]") || isPunct(t, "}"):
			depth--
		}
	}
	peek.LoadCheckpoint(cp)
	return parser.ParseFromLexer(peek)
}

// byteaPos converts a participle position (rune column) to a byte-column Pos.
func byteaPos(name string, src []byte, p lexer.Position) Pos {
	off := p.Offset
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + strings.Count(string(src[:off]), "\n")
	start := strings.LastIndexByte(string(src[:off]), '\n') + 1
	return Pos{File: name, Line: line, Col: off - start + 1, Offset: off}
}

// Position converts a node position to a Pos with a byte column.
func (f *File) Position(p lexer.Position) Pos { return byteaPos(f.Name, f.Src, p) }

// OffsetPos converts a byte offset in the file to a Pos.
func (f *File) OffsetPos(off int) Pos { return byteaPos(f.Name, f.Src, lexer.Position{Offset: off}) }

// expectedWords spells participle's names of single expected tokens.
var expectedWords = map[string]string{
	"Ident":      "a name",
	"QName":      "a name",
	"<ident>":    "a name",
	"<string>":   "a string",
	"<number>":   "a number",
	"<duration>": "a duration",
	"Import":     "an import path",
	"TopDecl":    `"go" or "pipeline"`,
	"Pipeline":   `"pipeline"`,
	"Member":     "a pipeline member",
	"Field":      "a field name",
	"Option":     "an option",
	"GoType":     "a Go type",
	"GoExpr":     "a Go expression",
	"GoBlock":    `"{"`,
	"Body":       `"{"`,
	"HookParam":  "a parameter name",
}

// cleanMessage makes participle's messages read like the rest of the diagnostics.
func cleanMessage(msg string) string {
	msg = strings.Replace(msg, `token "<EOF>"`, "end of file", 1)
	msg = strings.ReplaceAll(msg, "<EOF>", "end of file")
	// The lexer quotes the rest of the input from where no token matches;
	// name the one character, or the literal left open there.
	if rest, ok := strings.CutPrefix(msg, "lexer: invalid input text "); ok {
		if s, err := strconv.Unquote(rest); err == nil && s != "" {
			msg = fmt.Sprintf("syntax error: invalid character %q", []rune(s)[0])
			switch s[0] {
			case '"':
				msg = "syntax error: string literal not terminated"
			case '`':
				msg = "syntax error: raw string literal not terminated"
			case '\'':
				msg = "syntax error: rune literal not terminated"
			}
		}
	}
	// participle says what it expected in grammar notation: keep the first
	// thing a sequence requires, in words, and drop the rest.
	if i := strings.Index(msg, " (expected "); i >= 0 && strings.HasSuffix(msg, ")") {
		want, _, _ := strings.Cut(msg[i+len(" (expected "):len(msg)-1], " ")
		if w, ok := expectedWords[want]; ok {
			want = w
		}
		if want == "" || strings.ContainsAny(want, "()*?|") && !strings.HasPrefix(want, `"`) {
			msg = msg[:i]
		} else {
			msg = msg[:i] + " (expected " + want + ")"
		}
	}
	if !strings.HasPrefix(msg, "syntax error: ") {
		msg = "syntax error: " + msg
	}
	return msg
}

// fillText copies the source text of every Go fragment into the AST.
func fillText(f *File) {
	src := string(f.Src)
	typ := func(t *GoType) {
		if t != nil {
			t.Text = strings.TrimSpace(src[t.Pos.Offset:t.End])
		}
	}
	expr := func(e *GoExpr) {
		if e != nil {
			e.Text = strings.TrimSpace(src[e.Pos.Offset:e.End])
		}
	}
	body := func(b *Body) {
		if b != nil {
			b.Text = src[b.Lbrace.Offset+1 : b.Rbrace.Offset]
		}
	}
	var members func([]*Member)
	members = func(ms []*Member) {
		for _, m := range ms {
			switch {
			case m.Param != nil:
				typ(m.Param.Type)
				expr(m.Param.Default)
				m.Param.Doc = docAbove(src, m.Param.Pos.Offset)
			case m.Batch != nil:
				m.Batch.Doc = docAbove(src, m.Batch.Pos.Offset)
			case m.State != nil:
				for _, fl := range m.State.Fields {
					typ(fl.Type)
				}
			case m.Stage != nil:
				m.Stage.Doc = docAbove(src, m.Stage.Pos.Offset)
				if m.Stage.Params != nil {
					typ(m.Stage.Params.Type)
				}
				typ(m.Stage.Out)
				expr(m.Stage.Ref)
				body(m.Stage.Body)
			case m.Hook != nil:
				for _, hp := range m.Hook.Params {
					typ(hp.Type)
				}
				body(m.Hook.Body)
			case m.Queue != nil:
				typ(m.Queue.Type)
			case m.Sub != nil:
				m.Sub.Doc = docAbove(src, m.Sub.Pos.Offset)
				members(m.Sub.Members)
			case m.Block != nil:
				members(m.Block.Members)
			}
		}
	}
	for _, d := range f.Decls {
		if d.Go != nil {
			body(d.Go.Body)
		}
		if d.Pipeline != nil {
			d.Pipeline.Doc = docAbove(src, d.Pipeline.Pos.Offset)
			members(d.Pipeline.Members)
		}
	}
}

// docAbove returns the doc comment of the declaration starting at offset:
// the // comment lines directly above its line (no blank line between),
// without their slashes and the one blank after them. The parser drops
// comments; the doc is read back from the source text.
func docAbove(src string, offset int) string {
	lineStart := strings.LastIndexByte(src[:offset], '\n') + 1
	if strings.TrimSpace(src[lineStart:offset]) != "" {
		return "" // something precedes the declaration on its line
	}
	var lines []string
	end := lineStart
	for end > 0 {
		start := strings.LastIndexByte(src[:end-1], '\n') + 1
		line := strings.TrimSpace(src[start : end-1])
		if !strings.HasPrefix(line, "//") {
			break
		}
		text := strings.TrimPrefix(line, "//")
		text = strings.TrimPrefix(text, " ")
		lines = append([]string{strings.TrimRight(text, " \t\r")}, lines...)
		end = start
	}
	return strings.Join(lines, "\n")
}
