package mgfmt

import (
	"fmt"
	"go/scanner"
	"go/token"
	"slices"
	"strings"

	"github.com/minigun-go/minigun/dsl"
)

// verify checks that out, the formatted text of f, means what f means: it
// parses, declares the same things in the same order with the same options
// (in their canonical order and spelling), the same doc comments and the same
// Go tokens in every fragment; and that it holds every comment of f outside
// Go fragments (gofmt's printer keeps those inside).
func verify(f *dsl.File, out []byte) error {
	g, diags := dsl.Parse(f.Name, out)
	if g == nil {
		return fmt.Errorf("the result does not parse: %v", diags)
	}
	a, b := shape(f), shape(g)
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Errorf("%q became %q", a[i], b[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Errorf("%d declarations became %d", len(a), len(b))
	}
	ca, err := mgComments(f)
	if err != nil {
		return err
	}
	cb, err := mgComments(g)
	if err != nil {
		return err
	}
	if !slices.Equal(ca, cb) {
		return fmt.Errorf("comments differ: %q became %q", ca, cb)
	}
	return nil
}

// shape describes a parsed file, one line per declaration, in a form that
// layout does not change.
func shape(f *dsl.File) []string {
	var out []string
	p := func(depth int, format string, args ...any) {
		out = append(out, strings.Repeat(" ", depth)+fmt.Sprintf(format, args...))
	}
	if f.Package != nil {
		p(0, "package %s", f.Package.Name)
	}
	var imports []string
	for _, im := range f.Imports {
		imports = append(imports, "import "+im.Alias+" "+im.Path)
	}
	slices.Sort(imports)
	out = append(out, imports...)
	typ := func(t *dsl.GoType) string { return canon(t.Text, formatType) }
	var members func(depth int, ms []*dsl.Member)
	pipeline := func(depth int, pl *dsl.Pipeline) {
		ext := ""
		if pl.Extends != nil {
			ext = pl.Extends.Name
		}
		p(depth, "pipeline %s extends=%s%s doc=%q", pl.Name.Name, ext, optionsText(pl.Options), pl.Doc)
		members(depth+1, pl.Members)
		p(depth, "end")
	}
	members = func(depth int, ms []*dsl.Member) {
		for _, m := range ms {
			switch {
			case m.Param != nil:
				def := ""
				if m.Param.Default != nil {
					def = canon(m.Param.Default.Text, formatExpr)
				}
				p(depth, "param %s %s = %s doc=%q", m.Param.Name.Name, typ(m.Param.Type), def, m.Param.Doc)
			case m.State != nil:
				p(depth, "state")
				for _, fl := range m.State.Fields {
					var names []string
					for _, n := range fl.Names {
						names = append(names, n.Name)
					}
					merge := ""
					if fl.Merge != nil {
						merge = strings.Join(fl.Merge.Rule.Parts, ".")
					}
					p(depth+1, "field %s %s merge=%s", strings.Join(names, ","), typ(fl.Type), merge)
				}
			case m.Execution != nil:
				p(depth, "execution %s", optionText(m.Execution.Strategy))
			case m.QueueSize != nil:
				p(depth, "queue_size %s %s %v", m.QueueSize.Size, m.QueueSize.Param, m.QueueSize.Unbounded)
			case m.Limit != nil:
				p(depth, "%s %s", m.Limit.Kind, m.Limit.Value)
			case m.Context != nil:
				p(depth, "context %s = %s", m.Context.Name.Name, optionText(m.Context.Strategy))
			case m.FailFast != nil:
				p(depth, "%s", m.FailFast.Word)
			case m.Batch != nil:
				every := ""
				if m.Batch.Every != nil {
					every = m.Batch.Every.Value
				}
				p(depth, "batch %s every=%s%s doc=%q", m.Batch.Size, every, optionsText(m.Batch.Options), m.Batch.Doc)
			case m.Stage != nil:
				st := m.Stage
				in := "-"
				if st.Params != nil {
					in = "()"
					if st.Params.Name != nil {
						in = "(" + st.Params.Name.Name + " " + typ(st.Params.Type) + ")"
					}
				}
				out := ""
				if st.Out != nil {
					out = typ(st.Out)
				}
				what := ""
				switch {
				case st.Ref != nil:
					what = "= " + canon(st.Ref.Text, formatExpr)
				case st.Body != nil:
					what = "{ " + canon(st.Body.Text, stmts) + " }"
				}
				p(depth, "%s %s %s out=%s%s %s doc=%q", st.Kind, st.Name.Name, in, out, optionsText(st.Options), what, st.Doc)
			case m.Hook != nil:
				h := m.Hook
				target := ""
				if h.Target != nil {
					target = strings.Join(h.Target.Parts, ".")
				}
				var ps []string
				for _, hp := range h.Params {
					ps = append(ps, hp.Name.Name+" "+typ(hp.Type))
				}
				p(depth, "hook %s(%s) (%s) { %s }", h.Kind, target, strings.Join(ps, ", "), canon(h.Body.Text, stmts))
			case m.Reroute != nil:
				var to []string
				for _, q := range m.Reroute.To {
					to = append(to, strings.Join(q.Parts, "."))
				}
				p(depth, "reroute %s -> %s", strings.Join(m.Reroute.From.Parts, "."), strings.Join(to, ", "))
			case m.Queue != nil:
				p(depth, "queue %s %s%s", m.Queue.Name.Name, typ(m.Queue.Type), optionsText(m.Queue.Options))
			case m.Sub != nil:
				pipeline(depth, m.Sub)
			case m.Block != nil:
				p(depth, "block %s", optionText(&m.Block.Strategy.Option))
				members(depth+1, m.Block.Members)
				p(depth, "end")
			}
		}
	}
	for _, d := range f.Decls {
		switch {
		case d.Go != nil:
			p(0, "go { %s }", canon(d.Go.Body.Text, decls))
		case d.Pipeline != nil:
			pipeline(0, d.Pipeline)
		}
	}
	return out
}

// canon spells a Go fragment's tokens as gofmt writes it (gofmt drops
// some parentheses and commas), or as written when it is not valid Go.
func canon(text string, format func(string, int) (string, error)) string {
	if s, err := format(text, 0); err == nil {
		return goTokens(s)
	}
	return goTokens(text)
}

func stmts(text string, depth int) (string, error) { return formatStmts(text, depth, 0) }

func decls(text string, depth int) (string, error) {
	lines, err := formatDecls(text, depth)
	return strings.Join(lines, "\n"), err
}

// goTokens spells the Go tokens of a fragment, comments, semicolons
// (gofmt turns one into a line break) and commas before closing brackets
// left out, number literals in lower case (gofmt normalises their prefixes
// and exponents).
func goTokens(text string) string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(text))
	s.Init(file, []byte(text), func(token.Position, string) {}, 0)
	var toks []string
	for {
		_, tok, lit := s.Scan()
		switch {
		case tok == token.EOF:
			return strings.Join(toks, " ")
		case tok == token.SEMICOLON:
			continue
		case tok == token.RPAREN || tok == token.RBRACK || tok == token.RBRACE:
			// gofmt drops or adds the comma before a closing bracket as the
			// list is on one line or several.
			if n := len(toks); n > 0 && toks[n-1] == "," {
				toks = toks[:n-1]
			}
		case tok == token.INT || tok == token.FLOAT || tok == token.IMAG:
			lit = strings.ToLower(lit)
		}
		if lit == "" {
			lit = tok.String()
		}
		toks = append(toks, lit)
	}
}

// mgComments returns the comments of a file outside its Go fragments, with
// their blanks removed.
func mgComments(f *dsl.File) ([]string, error) {
	toks, err := dsl.Tokens(f.Name, f.Src)
	if err != nil {
		return nil, err
	}
	var ranges [][2]int
	body := func(b *dsl.Body) {
		if b != nil {
			ranges = append(ranges, [2]int{b.Lbrace.Offset, b.Rbrace.Offset})
		}
	}
	typ := func(t *dsl.GoType) {
		if t != nil {
			ranges = append(ranges, [2]int{t.Pos.Offset, t.End})
		}
	}
	expr := func(e *dsl.GoExpr) {
		if e != nil {
			ranges = append(ranges, [2]int{e.Pos.Offset, e.End})
		}
	}
	var members func([]*dsl.Member)
	members = func(ms []*dsl.Member) {
		for _, m := range ms {
			switch {
			case m.Param != nil:
				typ(m.Param.Type)
				expr(m.Param.Default)
			case m.State != nil:
				for _, fl := range m.State.Fields {
					typ(fl.Type)
				}
			case m.Stage != nil:
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
			members(d.Pipeline.Members)
		}
	}
	var out []string
	for _, t := range toks {
		if t.Kind != dsl.TokComment {
			continue
		}
		inside := false
		for _, r := range ranges {
			if t.Offset >= r[0] && t.End() <= r[1] {
				inside = true
			}
		}
		if !inside {
			out = append(out, strings.Join(strings.Fields(t.Text), ""))
		}
	}
	slices.Sort(out) // sorting imports moves the comments above them
	return out, nil
}
