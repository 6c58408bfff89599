package dsl

import (
	"fmt"
	"strings"
)

// dump renders a parsed file as indented lines, one per node, for table tests.
// Go fragments are printed with %q so that their exact text is compared.
func dump(f *File) string {
	var b strings.Builder
	p := func(depth int, format string, args ...any) {
		b.WriteString(strings.Repeat("  ", depth))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	if f.Package != nil {
		p(0, "package %s", f.Package.Name)
	}
	for _, im := range f.Imports {
		if im.Alias != "" {
			p(0, "import %s %s", im.Alias, im.Path)
		} else {
			p(0, "import %s", im.Path)
		}
	}
	var members func(depth int, ms []*Member)
	members = func(depth int, ms []*Member) {
		for _, m := range ms {
			switch {
			case m.Param != nil:
				s := "param " + m.Param.Name.Name + " " + typeText(m.Param.Type)
				if m.Param.Default != nil {
					s += fmt.Sprintf(" = %q", m.Param.Default.Text)
				}
				p(depth, "%s", s)
			case m.State != nil:
				p(depth, "state")
				for _, fl := range m.State.Fields {
					var names []string
					for _, n := range fl.Names {
						names = append(names, n.Name)
					}
					s := "field " + strings.Join(names, ",") + " " + typeText(fl.Type)
					if fl.Merge != nil {
						s += " merge(" + strings.Join(fl.Merge.Rule.Parts, ".") + ")"
					}
					p(depth+1, "%s", s)
				}
			case m.Execution != nil:
				p(depth, "execution %s", optText(m.Execution.Strategy))
			case m.QueueSize != nil:
				if m.QueueSize.Unbounded {
					p(depth, "queue_size unbounded")
				} else {
					p(depth, "queue_size %s", m.QueueSize.Size)
				}
			case m.Limit != nil:
				p(depth, "%s %s", m.Limit.Kind, m.Limit.Value)
			case m.Context != nil:
				p(depth, "context %s = %s", m.Context.Name.Name, optText(m.Context.Strategy))
			case m.FailFast != nil:
				p(depth, "%s", m.FailFast.Word)
			case m.Batch != nil:
				s := "batch " + m.Batch.Size
				if m.Batch.Every != nil {
					s += " every " + m.Batch.Every.Value
				}
				p(depth, "%s%s", s, optsText(m.Batch.Options))
			case m.Stage != nil:
				st := m.Stage
				s := st.Kind + " " + st.Name.Name
				if st.Params != nil {
					if st.Params.Name != nil {
						s += "(" + st.Params.Name.Name + " " + typeText(st.Params.Type) + ")"
					} else {
						s += "()"
					}
				}
				if st.Out != nil {
					s += " out " + typeText(st.Out)
				}
				s += optsText(st.Options)
				if st.Ref != nil {
					s += fmt.Sprintf(" = %q", st.Ref.Text)
				}
				if st.Body != nil {
					s += fmt.Sprintf(" body %q", st.Body.Text)
				}
				p(depth, "%s", s)
			case m.Hook != nil:
				h := m.Hook
				s := "hook " + h.Kind
				if h.Target != nil {
					s += "(" + strings.Join(h.Target.Parts, ".") + ")"
				}
				if h.Params != nil {
					var ps []string
					for _, hp := range h.Params {
						ps = append(ps, hp.Name.Name+" "+typeText(hp.Type))
					}
					s += " (" + strings.Join(ps, ", ") + ")"
				}
				p(depth, "%s body %q", s, h.Body.Text)
			case m.Reroute != nil:
				var to []string
				for _, q := range m.Reroute.To {
					to = append(to, strings.Join(q.Parts, "."))
				}
				p(depth, "reroute %s -> %s", strings.Join(m.Reroute.From.Parts, "."), strings.Join(to, ", "))
			case m.Sub != nil:
				pipeline(&b, depth, m.Sub, members)
			case m.Block != nil:
				p(depth, "block %s {", optText(&m.Block.Strategy.Option))
				members(depth+1, m.Block.Members)
				p(depth, "}")
			default:
				p(depth, "empty member")
			}
		}
	}
	for _, d := range f.Decls {
		switch {
		case d.Go != nil:
			p(0, "go %q", d.Go.Body.Text)
		case d.Pipeline != nil:
			pipeline(&b, 0, d.Pipeline, members)
		}
	}
	return b.String()
}

func pipeline(b *strings.Builder, depth int, pl *Pipeline, members func(int, []*Member)) {
	s := strings.Repeat("  ", depth) + "pipeline " + pl.Name.Name
	if pl.Extends != nil {
		s += " extends " + pl.Extends.Name
	}
	b.WriteString(s + optsText(pl.Options) + " {\n")
	members(depth+1, pl.Members)
	b.WriteString(strings.Repeat("  ", depth) + "}\n")
}

func typeText(t *GoType) string {
	if t == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", t.Text)
}

// optText renders an option as written, normalised: name(key: value, ...).
func optText(o *Option) string {
	if o == nil {
		return "<nil>"
	}
	if !o.Parens {
		return o.Name
	}
	var args []string
	for _, a := range o.Args {
		if a.Key != "" {
			args = append(args, a.Key+": "+a.Value)
		} else {
			args = append(args, a.Value)
		}
	}
	return o.Name + "(" + strings.Join(args, ", ") + ")"
}

func optsText(os []*Option) string {
	var s string
	for _, o := range os {
		s += " [" + optText(o) + "]"
	}
	return s
}

// fragments collects every Go fragment of a parsed file.
func fragments(f *File) (bodies []*Body, types []*GoType, exprs []*GoExpr) {
	var members func([]*Member)
	members = func(ms []*Member) {
		for _, m := range ms {
			switch {
			case m.Param != nil:
				types = append(types, m.Param.Type)
				if m.Param.Default != nil {
					exprs = append(exprs, m.Param.Default)
				}
			case m.State != nil:
				for _, fl := range m.State.Fields {
					types = append(types, fl.Type)
				}
			case m.Stage != nil:
				if m.Stage.Params != nil && m.Stage.Params.Type != nil {
					types = append(types, m.Stage.Params.Type)
				}
				if m.Stage.Out != nil {
					types = append(types, m.Stage.Out)
				}
				if m.Stage.Ref != nil {
					exprs = append(exprs, m.Stage.Ref)
				}
				if m.Stage.Body != nil {
					bodies = append(bodies, m.Stage.Body)
				}
			case m.Hook != nil:
				for _, hp := range m.Hook.Params {
					types = append(types, hp.Type)
				}
				bodies = append(bodies, m.Hook.Body)
			case m.Sub != nil:
				members(m.Sub.Members)
			case m.Block != nil:
				members(m.Block.Members)
			}
		}
	}
	for _, d := range f.Decls {
		if d.Go != nil {
			bodies = append(bodies, d.Go.Body)
		}
		if d.Pipeline != nil {
			members(d.Pipeline.Members)
		}
	}
	return bodies, types, exprs
}
