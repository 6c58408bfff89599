package codegen

import (
	"bytes"
	"fmt"
	"go/format"
	"go/parser"
	"go/scanner"
	"go/token"
	"regexp"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/minigun-go/minigun/dsl"
)

// User Go text — stage and hook bodies, go { } blocks — goes into the
// generated file twice over (DESIGN 4.1):
//
//   - File.Content, written to disk: gofmt'd, each body formatted on its own,
//     with a //line directive before each of its lines that gofmt moved, so
//     that go build and go vet report an error at the .mg line and at the
//     column of the line's first token;
//   - File.TypeCheck, type-checked by minigungen (ir.Program.CheckGenerated):
//     each body is the .mg text as written behind one //line directive, not
//     formatted (go/parser does not need it), so that every position in it,
//     on every line, is its .mg line and byte column. Imports of the .mg get
//     /*line*/ comments at their .mg positions too.
//
// Both come from one skeleton: the file rendered and formatted with a
// placeholder comment where each text goes. After each text, a directive
// puts positions back in the generated file; in TypeCheck it names the line
// of Content that follows the text, so an error in generated code names the
// line of the file on disk.

// userText is Go text of the .mg that the generated file holds.
type userText struct {
	pos    dsl.Pos // of its first byte, the one after "{"
	text   string
	inFunc bool // a body (statements), else a go { } block (declarations)
	// A second copy of a body (a chain's, emit_chain.go): in Content, its identifiers
	// named like a key of idents are spelled as the value; TypeCheck, which type-checks
	// the body's first copy, holds `return nil` in its place.
	copy   bool
	idents map[string]string
}

const placeholderPrefix = "mg:user "

// copyStub stands in TypeCheck for a second copy of a body.
const copyStub = "return nil // a copy of a body type-checked in its stage's method"

var placeholder = regexp.MustCompile(`^\t*// mg:user (\d+)$`)

// verbatim holds the place of user Go text in the skeleton.
func (g *gen) verbatim(grp *jen.Group, pos dsl.Pos, text string, inFunc bool) {
	if strings.TrimSpace(text) == "" {
		return
	}
	g.texts = append(g.texts, userText{pos: pos, text: text, inFunc: inFunc})
	grp.Comment(placeholderPrefix + strconv.Itoa(len(g.texts)-1))
	if !inFunc {
		// Apart from the doc comment of what follows: the directive after
		// the text must not join it.
		grp.Line()
	}
}

// restoreLine matches the directive after each text in Content, before its line is known.
var restoreLine = regexp.MustCompile(`^//line ([^\n:]+_mg\.go):(\d+):1$`)

// assemble puts the user texts into the formatted skeleton.
func (g *gen) assemble(skeleton []byte) (content, check []byte, err error) {
	lines := strings.Split(string(skeleton), "\n")
	var disk []string
	for _, l := range lines {
		m := placeholder.FindStringSubmatch(l)
		if m == nil {
			disk = append(disk, l)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		body, err := g.diskLines(g.texts[n])
		if err != nil {
			return nil, nil, err
		}
		if t := g.texts[n]; len(t.idents) > 0 {
			body = respell(body, t.idents)
		}
		disk = append(disk, body...)
		disk = append(disk, "//line "+g.genName+":1:1")
	}
	// Each text was formatted on its own at its depth, which is what gofmt
	// does with it in the file; gofmt has the last word all the same (it
	// moves a directive below a doc comment, for one), so that the file on
	// disk is always gofmt'd.
	src := []byte(strings.Join(disk, "\n"))
	formatted, err := format.Source(src)
	if err != nil {
		return nil, nil, fmt.Errorf("minigungen: internal error: generated code for %s does not format: %v\n%s", g.base, err, numbered(src))
	}
	disk = strings.Split(string(formatted), "\n")
	var resume []int // per text, the line of Content after it
	for i, l := range disk {
		if restoreLine.MatchString(l) {
			disk[i] = fmt.Sprintf("//line %s:%d:1", g.genName, i+2)
			resume = append(resume, i+2)
		}
	}
	if len(resume) != len(g.texts) {
		return nil, nil, fmt.Errorf("minigungen: internal error: generated code for %s: %d texts placed, %d found after formatting", g.base, len(g.texts), len(resume))
	}
	content = []byte(strings.Join(disk, "\n"))

	importLine := g.importPositions(skeleton)
	var b bytes.Buffer
	placed := 0 // texts so far, in file order, as the directives after them are
	for i, l := range lines {
		if m := placeholder.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			t := g.texts[n]
			if t.copy {
				fmt.Fprintf(&b, "%s\n//line %s:%d:1\n", copyStub, g.genName, resume[placed])
				placed++
				continue
			}
			fmt.Fprintf(&b, "//line %s:%d:%d\n%s\n//line %s:%d:1\n", g.base, t.pos.Line, max(t.pos.Col, 1), t.text, g.genName, resume[placed])
			placed++
			continue
		}
		if imp, ok := importLine[i]; ok {
			// The lines before the first text are the same on disk.
			b.WriteString(imp)
			fmt.Fprintf(&b, "\n//line %s:%d:1\n", g.genName, i+2)
			continue
		}
		b.WriteString(l)
		if i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return content, b.Bytes(), nil
}

// respell spells each identifier of lines (formatted Go text) that is a key of idents as its
// value. The text is scanned whole: a raw string may span lines.
func respell(lines []string, idents map[string]string) []string {
	text := strings.Join(lines, "\n")
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(text))
	var s scanner.Scanner
	s.Init(file, []byte(text), nil, 0)
	var b strings.Builder
	last := 0
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if to, ok := idents[lit]; ok && tok == token.IDENT {
			off := file.Offset(pos)
			b.WriteString(text[last:off])
			b.WriteString(to)
			last = off + len(lit)
		}
	}
	b.WriteString(text[last:])
	return strings.Split(b.String(), "\n")
}

// importPositions rewrites the import specs of the skeleton that the .mg
// file wrote, with /*line*/ comments at their .mg positions, by line index.
func (g *gen) importPositions(skeleton []byte) map[int]string {
	out := map[int]string{}
	if len(g.file.Imports) == 0 {
		return out
	}
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, "", skeleton, parser.ImportsOnly)
	if err != nil {
		return out
	}
	lines := strings.Split(string(skeleton), "\n")
	for _, spec := range af.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		alias := ""
		if spec.Name != nil {
			alias = spec.Name.Name
		}
		for _, im := range g.file.Imports {
			if im.Path != p || im.Alias != alias {
				continue
			}
			pathAt := fset.Position(spec.Path.Pos())
			l := lines[pathAt.Line-1]
			at := func(p dsl.Pos) string { return fmt.Sprintf("/*line %s:%d:%d*/", g.base, p.Line, max(p.Col, 1)) }
			rewritten := l[:pathAt.Column-1] + at(im.PathPos) + l[pathAt.Column-1:]
			if spec.Name != nil {
				nameAt := fset.Position(spec.Name.Pos())
				rewritten = l[:nameAt.Column-1] + at(im.Pos) + l[nameAt.Column-1:pathAt.Column-1] + at(im.PathPos) + l[pathAt.Column-1:]
			}
			out[pathAt.Line-1] = rewritten
			break
		}
	}
	return out
}

// token of a scanned text: where it starts and the lines it spans.
type scanned struct {
	tok       token.Token
	lit       string
	line, col int // 1-based, in the text scanned
	endLine   int
}

// scanText returns the tokens of Go text, comments apart, and the comments.
func scanText(text string) (toks, comments []scanned) {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(text))
	var s scanner.Scanner
	s.Init(file, []byte(text), nil, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON {
			continue // inserted at line ends, or dropped by gofmt
		}
		p := fset.Position(pos)
		t := scanned{tok: tok, lit: lit, line: p.Line, col: p.Column, endLine: p.Line}
		if tok == token.STRING || tok == token.COMMENT {
			t.endLine += strings.Count(lit, "\n")
		}
		if tok == token.COMMENT {
			comments = append(comments, t)
			continue
		}
		toks = append(toks, t)
	}
	return toks, comments
}

// sameToken reports whether gofmt may have printed orig as formatted: the
// same token; a name spelled the same (literals may be respelled: 0X1 is 0x1).
func sameToken(orig, formatted scanned) bool {
	if orig.tok != formatted.tok {
		return false
	}
	return orig.tok != token.IDENT || orig.lit == formatted.lit
}

// diskLines formats a user text on its own and writes a //line directive
// before each of its lines whose first token does not already sit at its .mg
// line and column.
func (g *gen) diskLines(t userText) ([]string, error) {
	body, err := formatText(t)
	if err != nil {
		return nil, fmt.Errorf("minigungen: internal error: formatting the Go text at %s:%d:%d: %v", g.base, t.pos.Line, t.pos.Col, err)
	}
	orig, _ := scanText(t.text)
	fmtToks, fmtComments := scanText(strings.Join(body, "\n"))
	// gofmt keeps the tokens in order and drops some (semicolons, the
	// parentheses around an if's condition): each formatted token is the next
	// original one of its kind.
	mgPos := make([][2]int, len(fmtToks)) // .mg line and column of each formatted token
	at := func(o scanned) [2]int {
		col := o.col
		if o.line == 1 {
			col += t.pos.Col - 1
		}
		return [2]int{t.pos.Line + o.line - 1, col}
	}
	j := 0
	aligned := true
	for i, ft := range fmtToks {
		for j < len(orig) && !sameToken(orig[j], ft) {
			j++
		}
		if j == len(orig) {
			aligned = false
			break
		}
		mgPos[i] = at(orig[j])
		j++
	}
	// Lines that continue a comment or a raw string begun above cannot take
	// a directive: it would be part of them.
	inside := map[int]bool{}
	for _, s := range append(fmtComments, fmtToks...) {
		for l := s.line + 1; l <= s.endLine; l++ {
			inside[l] = true
		}
	}
	firstTok := map[int]int{} // line → index of its first token
	for i, ft := range fmtToks {
		if _, ok := firstTok[ft.line]; !ok {
			firstTok[ft.line] = i
		}
	}
	var out []string
	// The directive in force: the line it precedes maps to anchorMG; every
	// line below it to the next .mg line, at its column in the file.
	anchor, anchorMG, colKnown := -1, 0, false
	for idx, text := range body {
		line := idx + 1
		i, ok := firstTok[line]
		if !aligned {
			// gofmt did what this does not know of: one directive, at the
			// first token, and the lines below as they come.
			if line == 1 && len(fmtToks) > 0 && len(orig) > 0 {
				p := at(orig[0])
				out = append(out, fmt.Sprintf("//line %s:%d:%d", g.base, p[0], max(p[1]-(fmtToks[0].col-1), 1)))
			}
			out = append(out, text)
			continue
		}
		if !ok || inside[line] {
			out = append(out, text)
			continue
		}
		mgLine, mgCol := mgPos[i][0], mgPos[i][1]
		goCol := fmtToks[i].col
		if anchor >= 0 && colKnown && mgLine == anchorMG+(line-anchor) && mgCol == goCol {
			out = append(out, text)
			continue
		}
		col := mgCol - (goCol - 1)
		if !t.inFunc && goCol == 1 && len(out) > 0 && strings.HasPrefix(out[len(out)-1], "//") && !strings.HasPrefix(out[len(out)-1], "//line ") && startsDecl(text) {
			// A directive below a doc comment: gofmt sets it apart with an
			// empty comment line.
			out = append(out, "//")
		}
		if col >= 1 {
			out = append(out, fmt.Sprintf("//line %s:%d:%d", g.base, mgLine, col))
			colKnown = true
		} else {
			// The line sits further right in the file than in the .mg: the
			// column cannot be said, the line can.
			out = append(out, fmt.Sprintf("//line %s:%d", g.base, mgLine))
			colKnown = false
		}
		anchor, anchorMG = line, mgLine
		out = append(out, text)
	}
	return out, nil
}

func startsDecl(line string) bool {
	for _, kw := range []string{"func ", "type ", "var ", "const ", "func(", "type(", "var(", "const("} {
		if strings.HasPrefix(line, kw) {
			return true
		}
	}
	return false
}

// formatText formats a user text as gofmt formats it in the generated file:
// a body as the statements of a method, a go { } block as top-level
// declarations. It returns the lines, without blank lines around them.
func formatText(t userText) ([]string, error) {
	const fn = "func _() {"
	src := "package p\n" + t.text + "\n"
	if t.inFunc {
		src = "package p\n" + fn + t.text + "\n}\n"
	}
	out, err := format.Source([]byte(src))
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(out), "\n")
	start, end := 1, len(lines)
	if t.inFunc {
		for i, l := range lines {
			if strings.HasPrefix(l, fn) {
				start = i + 1
				if rest := strings.TrimSpace(strings.TrimPrefix(l, fn)); rest != "" {
					// A comment after the brace goes on a line of its own.
					lines[i] = "\t" + rest
					start = i
				}
				break
			}
		}
		for end = len(lines) - 1; end > start && lines[end] != "}"; end-- {
		}
	}
	lines = lines[start:end]
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines, nil
}
