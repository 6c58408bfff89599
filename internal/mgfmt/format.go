// Package mgfmt formats .mg files: it is what `minigungen fmt` writes.
//
// The canonical form of a file:
//
//   - top-level declarations (package clause, imports, go { } blocks,
//     pipelines) are separated by one blank line, the comments directly
//     above a declaration staying with it; consecutive one-line imports may
//     stay together;
//   - inside blocks, one declaration a line, one tab per level, single blanks
//     between words, and the comments and blank-line groups of the source
//     (see layout.go for the rules);
//   - imports in each group (lines not separated by a blank line) sorted by
//     path, as gofmt sorts them;
//   - a stage's options in one order (optionOrder), Ruby spellings of
//     strategies rewritten to the language's words (canonicalOption);
//   - Go bodies, go { } blocks, types and expressions formatted by gofmt's
//     printer at the indentation of their .mg line (gofrag.go).
//
// Formatting never changes what a file means: the result is parsed again and
// compared with the source, declaration by declaration and token by token
// (verify.go), and every comment of the source must be in it; a difference is
// an internal error and no text is returned.
package mgfmt

import (
	"fmt"
	"sort"
	"strings"

	"github.com/minigun-go/minigun/dsl"
)

// Source formats the .mg file src; name is used in diagnostics. A syntax
// error, or a comment the formatter cannot place (one inside a declaration's
// line, between its words), is an error diagnostic and no text is returned.
// A Go body, go { } block, type or expression that is not valid Go is left
// as written, with a warning.
func Source(name string, src []byte) ([]byte, dsl.Diagnostics) {
	return format(name, src, true)
}

// formatter holds one file being formatted.
type formatter struct {
	name     string
	src      string
	file     *dsl.File
	toks     []dsl.Token // tokens but comments
	comments []*comment
	diags    dsl.Diagnostics
	// keepPadding keeps an aligned column the source pads wider than needed
	// (layout.go); tests turn it off to see the minimal alignment.
	keepPadding bool
}

func format(name string, src []byte, keepPadding bool) ([]byte, dsl.Diagnostics) {
	file, diags := dsl.Parse(name, src)
	if file == nil {
		return nil, diags
	}
	toks, err := dsl.Tokens(name, src)
	if err != nil {
		return nil, dsl.Diagnostics{{Pos: dsl.Pos{File: name, Line: 1, Col: 1}, Msg: "syntax error: " + err.Error()}}
	}
	f := &formatter{name: name, src: string(src), file: file, keepPadding: keepPadding}
	for _, t := range toks {
		if t.Kind == dsl.TokComment {
			text := t.Text
			if strings.HasPrefix(text, "//") {
				text = strings.TrimRight(text, " \t\r")
			}
			f.comments = append(f.comments, &comment{start: t.Offset, end: t.End(), text: text})
		} else {
			f.toks = append(f.toks, t)
		}
	}
	lines := f.fileLines()
	for _, c := range f.comments {
		if !c.claimed {
			f.diags.Errorf(f.file.OffsetPos(c.start), "cannot place this comment inside a declaration's line: move it above the declaration or to the end of its line")
		}
	}
	if f.diags.HasErrors() {
		f.diags.Sort()
		return nil, f.diags
	}
	out := strings.Join(lines, "\n")
	if out != "" {
		out += "\n"
	}
	if err := verify(file, []byte(out)); err != nil {
		f.diags.Errorf(dsl.Pos{File: name, Line: 1, Col: 1}, "internal error: formatting would change the file: %v", err)
		return nil, f.diags
	}
	f.diags.Sort()
	return []byte(out), f.diags
}

// tokenAt returns the index of the first token at or after offset.
func (f *formatter) tokenAt(offset int) int {
	return sort.Search(len(f.toks), func(i int) bool { return f.toks[i].Offset >= offset })
}

// next returns the offset of the first token spelled text at or after offset.
func (f *formatter) next(offset int, text string) int {
	for i := f.tokenAt(offset); i < len(f.toks); i++ {
		if f.toks[i].Text == text && f.toks[i].Kind == dsl.TokPunct {
			return f.toks[i].Offset
		}
	}
	return len(f.src)
}

// claim marks the comments between start and end as placed: they are inside
// a Go fragment, which keeps them.
func (f *formatter) claim(start, end int) {
	for _, c := range f.comments {
		if c.start >= start && c.end <= end {
			c.claimed = true
		}
	}
}

// warnGo reports a Go fragment left as written.
func (f *formatter) warnGo(err error, start int, what string) {
	off := start
	msg := err.Error()
	if ge, ok := err.(*goError); ok {
		off += ge.offset
	}
	f.diags.Warnf(f.file.OffsetPos(min(off, len(f.src))), "%s left as written: %s", what, msg)
}

func tabs(depth int) string { return strings.Repeat("\t", depth) }

// fileLines formats the whole file.
func (f *formatter) fileLines() []string {
	var elems []*elem
	imports := map[*elem]bool{} // one-line import declarations
	i := 0
	if f.file.Package != nil {
		start := f.toks[0].Offset
		elems = append(elems, &elem{start: start, end: f.file.Package.Pos.Offset + len(f.file.Package.Name),
			lines: []string{"package " + f.file.Package.Name}})
		i = f.tokenAt(f.file.Package.Pos.Offset) + 1
	}
	// Import declarations, read from the tokens: the AST lists the specs.
	specs := f.file.Imports
	for i < len(f.toks) && f.toks[i].Text == "import" && f.toks[i].Kind == dsl.TokIdent {
		start := f.toks[i].Offset
		if i+1 < len(f.toks) && f.toks[i+1].Text == "(" {
			open := f.toks[i+1].End()
			closeAt := f.next(open, ")")
			var group []*elem
			for len(specs) > 0 && specs[0].Pos.Offset < closeAt {
				group = append(group, f.importSpec(specs[0], 1))
				specs = specs[1:]
			}
			openC, entries := f.seq(open, closeAt, true, group)
			entries = sortImports(entries)
			elems = append(elems, &elem{start: start, end: closeAt + 1, lines: f.block("import", "(", ")", 0, openC, entries)})
			i = f.tokenAt(closeAt + 1)
			continue
		}
		if len(specs) == 0 {
			break
		}
		sp := f.importSpec(specs[0], 0)
		specs = specs[1:]
		e := &elem{start: start, end: sp.end, lines: []string{"import " + strings.TrimLeft(sp.lines[0], "\t")}}
		imports[e] = true
		elems = append(elems, e)
		i = f.tokenAt(sp.end)
	}
	for _, d := range f.file.Decls {
		var lines []string
		switch {
		case d.Go != nil:
			lines = f.goBlock(d.Go.Body, 0)
		case d.Pipeline != nil:
			lines = f.pipeline(d.Pipeline, 0)
		}
		elems = append(elems, &elem{start: d.Pos.Offset, end: d.EndPos.Offset, lines: lines})
	}
	_, entries := f.seq(0, len(f.src), false, elems)
	// A blank line before each declaration and the comments directly above it.
	var prev *elem
	for i, e := range entries {
		if e.el == nil {
			continue
		}
		j := i
		for j > 0 && entries[j-1].comment != nil && !entries[j].blank {
			j--
		}
		if j > 0 && !(j == i && imports[e.el] && imports[prev]) {
			entries[j].blank = true
		}
		prev = e.el
	}
	return f.render(entries, 0)
}

// block formats `HEADER {` ENTRIES `}` at depth; open are the comments
// after its opening brace. A block with nothing in it is written `{}`.
func (f *formatter) block(header, open, close string, depth int, openC []*comment, entries []*entry) []string {
	ind := tabs(depth)
	if len(entries) == 0 && len(openC) == 0 {
		return []string{ind + header + " " + open + close}
	}
	first := ind + header + " " + open
	if len(openC) > 0 {
		first += " " + joinComments(openC)
	}
	lines := []string{first}
	lines = append(lines, f.render(entries, depth+1)...)
	return append(lines, ind+close)
}

func (f *formatter) importSpec(im *dsl.Import, depth int) *elem {
	text := im.Path
	if im.Alias != "" {
		text = im.Alias + " " + im.Path
	}
	return &elem{start: im.Pos.Offset, end: im.EndPos.Offset, lines: []string{tabs(depth) + text}, depth: depth, imp: im.Path + " " + im.Alias}
}

// sortImports sorts each run of import specs not separated by a blank line,
// by path, as gofmt does; comments on their own lines directly above a spec
// move with it. A run that ends with such comments is left as it is.
func sortImports(entries []*entry) []*entry {
	type unit struct {
		entries []*entry
		key     string
	}
	var out []*entry
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && !entries[j].blank {
			j++
		}
		run := entries[i:j]
		var units []unit
		var cur []*entry
		for _, e := range run {
			cur = append(cur, e)
			if e.el != nil {
				units = append(units, unit{cur, e.el.imp})
				cur = nil
			}
		}
		if len(cur) > 0 {
			out = append(out, run...)
		} else {
			blank := run[0].blank
			run[0].blank = false
			sort.SliceStable(units, func(a, b int) bool { return units[a].key < units[b].key })
			units[0].entries[0].blank = blank
			for _, u := range units {
				out = append(out, u.entries...)
			}
		}
		i = j
	}
	return out
}

// goBlock formats a go { } block at depth. Comments after its opening
// brace, alone on that line, stay there.
func (f *formatter) goBlock(b *dsl.Body, depth int) []string {
	f.claim(b.Lbrace.Offset+1, b.Rbrace.Offset)
	ind := tabs(depth)
	from := b.Lbrace.Offset + 1
	lineEnd := strings.IndexByte(f.src[from:b.Rbrace.Offset], '\n')
	var open []*comment
	if lineEnd >= 0 {
		lineEnd += from
		cut := from
		for _, c := range f.comments {
			if c.start >= from && c.end <= lineEnd && strings.TrimSpace(f.src[cut:c.start]) == "" {
				open = append(open, c)
				cut = c.end
			}
		}
		if strings.TrimSpace(f.src[cut:lineEnd]) == "" {
			from = cut
		} else {
			open = nil
		}
	}
	lines, err := formatDecls(f.src[from:b.Rbrace.Offset], depth+1)
	if err != nil {
		f.warnGo(err, from, "go block")
		return strings.Split(ind+"go {"+b.Text+"}", "\n")
	}
	if len(open) == 0 && len(lines) == 0 {
		return []string{ind + "go {}"}
	}
	first := ind + "go {"
	if len(open) > 0 {
		first += " " + joinComments(open)
	}
	return append(append([]string{first}, lines...), ind+"}")
}

// body formats a stage's or a hook's body after header, a line at depth.
func (f *formatter) body(header string, b *dsl.Body, depth int, what string) []string {
	f.claim(b.Lbrace.Offset+1, b.Rbrace.Offset)
	lines := strings.Split(header, "\n")
	w := width(strings.TrimLeft(lines[len(lines)-1], "\t"))
	text, err := formatStmts(b.Text, depth, w)
	if err != nil {
		f.warnGo(err, b.Lbrace.Offset+1, what)
		text = "{" + b.Text + "}"
	}
	return strings.Split(header+" "+text, "\n")
}

// typ formats a Go type at depth; a type written on one line stays on one.
func (f *formatter) typ(t *dsl.GoType, depth int) string {
	f.claim(t.Pos.Offset, t.End)
	s, err := formatType(t.Text, depth)
	if err != nil {
		f.warnGo(err, t.Pos.Offset, "type")
		return t.Text
	}
	if strings.Contains(s, "\n") && !strings.Contains(t.Text, "\n") {
		return t.Text
	}
	return s
}

// expr formats a Go expression at depth; one written on one line stays on one.
func (f *formatter) expr(e *dsl.GoExpr, depth int) string {
	f.claim(e.Pos.Offset, e.End)
	s, err := formatExpr(e.Text, depth)
	if err != nil {
		f.warnGo(err, e.Pos.Offset, "expression")
		return e.Text
	}
	if strings.Contains(s, "\n") && !strings.Contains(e.Text, "\n") {
		return e.Text
	}
	return s
}

// pipeline formats a top-level pipeline or a sub-pipeline at depth.
func (f *formatter) pipeline(p *dsl.Pipeline, depth int) []string {
	header := "pipeline " + p.Name.Name
	if p.Extends != nil {
		header += " extends " + p.Extends.Name
	}
	header += optionsText(p.Options)
	open := f.next(p.Name.Pos.Offset, "{")
	return f.members(header, open, p.EndPos.Offset-1, p.Members, depth)
}

// members formats a block of pipeline members between the braces at open
// and close.
func (f *formatter) members(header string, open, close int, ms []*dsl.Member, depth int) []string {
	elems := make([]*elem, len(ms))
	for i, m := range ms {
		elems[i] = &elem{start: m.Pos.Offset, end: m.EndPos.Offset, lines: f.member(m, depth+1), depth: depth + 1}
	}
	openC, entries := f.seq(open+1, close, true, elems)
	return f.block(header, "{", "}", depth, openC, entries)
}

// member formats one pipeline member at depth.
func (f *formatter) member(m *dsl.Member, depth int) []string {
	ind := tabs(depth)
	one := func(s string) []string { return []string{ind + s} }
	switch {
	case m.Param != nil:
		s := "param " + m.Param.Name.Name + " " + f.typ(m.Param.Type, depth)
		if m.Param.Default != nil {
			s += " = " + f.expr(m.Param.Default, depth)
		}
		return strings.Split(ind+s, "\n")
	case m.State != nil:
		return f.state(m.State, depth)
	case m.Execution != nil:
		return one("execution " + optionText(m.Execution.Strategy))
	case m.QueueSize != nil:
		q := m.QueueSize
		v := q.Size + q.Param
		if q.Unbounded {
			v = "unbounded"
		}
		return one("queue_size " + v)
	case m.Limit != nil:
		return one(m.Limit.Kind + " " + m.Limit.Value)
	case m.Context != nil:
		return one("context " + m.Context.Name.Name + " = " + optionText(m.Context.Strategy))
	case m.FailFast != nil:
		return one(m.FailFast.Word)
	case m.Batch != nil:
		s := "batch " + m.Batch.Size
		if m.Batch.Every != nil {
			s += " every " + m.Batch.Every.Value
		}
		return one(s + optionsText(m.Batch.Options))
	case m.Stage != nil:
		return f.stage(m.Stage, depth)
	case m.Hook != nil:
		h := m.Hook
		s := ind + h.Kind
		if h.Target != nil {
			s += "(" + strings.Join(h.Target.Parts, ".") + ")"
		}
		if h.Params != nil {
			ps := make([]string, len(h.Params))
			for i, hp := range h.Params {
				ps[i] = hp.Name.Name + " " + f.typ(hp.Type, depth)
			}
			s += " (" + strings.Join(ps, ", ") + ")"
		}
		return f.body(s, h.Body, depth, "hook body")
	case m.Reroute != nil:
		to := make([]string, len(m.Reroute.To))
		for i, q := range m.Reroute.To {
			to[i] = strings.Join(q.Parts, ".")
		}
		return one("reroute " + strings.Join(m.Reroute.From.Parts, ".") + " -> " + strings.Join(to, ", "))
	case m.Queue != nil:
		q := m.Queue
		return strings.Split(ind+"queue "+q.Name.Name+" "+f.typ(q.Type, depth)+optionsText(q.Options), "\n")
	case m.Sub != nil:
		return f.pipeline(m.Sub, depth)
	case m.Block != nil:
		b := m.Block
		open := f.next(b.Pos.Offset, "{")
		return f.members(optionText(&b.Strategy.Option), open, b.EndPos.Offset-1, b.Members, depth)
	}
	panic(fmt.Sprintf("mgfmt: unknown member at %s", f.file.Position(m.Pos)))
}

// stage formats a stage declaration at depth.
func (f *formatter) stage(st *dsl.Stage, depth int) []string {
	s := tabs(depth) + st.Kind + " " + st.Name.Name
	if st.Params != nil {
		if st.Params.Name != nil {
			s += "(" + st.Params.Name.Name + " " + f.typ(st.Params.Type, depth) + ")"
		} else {
			s += "()"
		}
	}
	if st.Out != nil {
		s += " " + f.typ(st.Out, depth)
	}
	s += optionsText(st.Options)
	switch {
	case st.Ref != nil:
		s += " = " + f.expr(st.Ref, depth)
	case st.Body != nil:
		return f.body(s, st.Body, depth, "body")
	}
	return strings.Split(s, "\n")
}

// state formats a state block at depth; its fields are aligned in columns.
func (f *formatter) state(st *dsl.State, depth int) []string {
	var elems []*elem
	for _, fl := range st.Fields {
		elems = append(elems, f.field(fl, depth+1))
	}
	open := f.next(st.Pos.Offset, "{")
	openC, entries := f.seq(open+1, st.EndPos.Offset-1, true, elems)
	return f.block("state", "{", "}", depth, openC, entries)
}

// field formats one state field at depth: names, type and merge rule are
// its cells, unless its type takes several lines.
func (f *formatter) field(fl *dsl.Field, depth int) *elem {
	names := make([]string, len(fl.Names))
	for i, n := range fl.Names {
		names[i] = n.Name
	}
	namesText := strings.Join(names, ", ")
	typ := f.typ(fl.Type, depth)
	e := &elem{start: fl.Pos.Offset, end: fl.EndPos.Offset, depth: depth}
	merge := ""
	if fl.Merge != nil {
		merge = "merge(" + strings.Join(fl.Merge.Rule.Parts, ".") + ")"
	}
	if strings.Contains(typ, "\n") {
		s := tabs(depth) + namesText + " " + typ
		if merge != "" {
			s += " " + merge
		}
		e.lines = strings.Split(s, "\n")
		return e
	}
	// The widths the source gives the cells, where it writes them as printed.
	srcWidth := func(start, end, next int, text string) int {
		if f.src[start:end] != text || !spaces(f.src[end:next]) {
			return -1
		}
		return width(f.src[start:next])
	}
	lastName := fl.Names[len(fl.Names)-1]
	e.cells = []cell{{text: namesText, srcWidth: srcWidth(fl.Pos.Offset, lastName.Pos.Offset+len(lastName.Name), fl.Type.Pos.Offset, namesText)}}
	if merge == "" {
		e.cells = append(e.cells, cell{text: typ, srcWidth: -1})
	} else {
		e.cells = append(e.cells, cell{text: typ, srcWidth: srcWidth(fl.Type.Pos.Offset, fl.Type.End, fl.Merge.Pos.Offset, typ)}, cell{text: merge, srcWidth: -1})
	}
	texts := make([]string, len(e.cells))
	for i, c := range e.cells {
		texts[i] = c.text
	}
	e.lines = []string{tabs(depth) + strings.Join(texts, " ")}
	return e
}
