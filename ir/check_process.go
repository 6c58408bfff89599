package ir

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"

	"github.com/minigun-go/minigun/dsl"
)

// Checks for stages that run in worker processes (DESIGN 3.3): every value
// that crosses the boundary must survive encoding/gob, and a write to state
// that has no merge rule is lost in the parent.

func (c *checker) checkProcesses() {
	typeDecls := c.goTypeDecls()
	for _, pd := range c.order {
		p := pd.ir
		if p.Graph == nil {
			continue
		}
		for _, n := range p.Graph.Nodes {
			st := n.Decl
			if st.Owner != p || !st.Strategy.IsProcess() {
				continue
			}
			for _, side := range []struct {
				what string
				t    Type
			}{{"input", n.In}, {"output", n.Out}} {
				if side.t.IsZero() {
					continue
				}
				if why := unencodable(side.t.Go, typeDecls, map[string]bool{}); why != "" {
					c.diags.Errorf(st.Pos, "stage %q runs in worker processes, but its %s type %s cannot cross a process boundary: %s", n.Name, side.what, side.t.Go, why)
				}
			}
			if st.Body != nil {
				c.lostWrites(st.Body, "p", st.Owner, fmt.Sprintf("stage %q", st.Name))
			}
			if st.Ref != nil && st.Ref.Method {
				c.lostWritesInMethod(st.Owner, st.Ref.Name, fmt.Sprintf("stage %q", st.Name))
			}
		}
		hasProcess := false
		for _, n := range p.Graph.Nodes {
			if n.Decl.Strategy.IsProcess() {
				hasProcess = true
			}
		}
		if hasProcess {
			for _, prm := range p.Params {
				if why := unencodable(prm.Type.Go, typeDecls, map[string]bool{}); why != "" {
					c.diags.Errorf(prm.Pos, "parameter %q is copied into worker processes, but its type %s cannot cross a process boundary: %s", prm.Name, prm.Type.Go, why)
				}
			}
		}
		for _, h := range p.Hooks {
			if h.Kind == AfterFork && hasProcess {
				c.lostWrites(&h.Body, "p", p, "after_fork")
			}
		}
		for _, s := range p.State {
			if s.Merge == MergeNone {
				continue
			}
			// Named types of the go { } blocks or other packages are left to the Go compiler.
			shape := typeShape(s.Type.Go, typeDecls)
			switch s.Merge {
			case MergeAppend:
				if shape != "slice" && shape != "" {
					c.diags.Errorf(s.Pos, "merge(append) needs a slice, %q is %s", s.Name, s.Type.Go)
				}
			case MergeUnion:
				if shape != "map" && shape != "" {
					c.diags.Errorf(s.Pos, "merge(union) needs a map, %q is %s", s.Name, s.Type.Go)
				}
			case MergeSum:
				if shape != "number" && shape != "" {
					c.diags.Errorf(s.Pos, "merge(sum) needs a number, %q is %s", s.Name, s.Type.Go)
				}
			case MergeMax, MergeMin:
				if shape != "number" && shape != "string" && shape != "" {
					c.diags.Errorf(s.Pos, "merge(%s) needs a number or a string, %q is %s", s.Merge, s.Name, s.Type.Go)
				}
			}
			if why := unencodable(s.Type.Go, typeDecls, map[string]bool{}); why != "" {
				c.diags.Errorf(s.Pos, "state field %q has a merge rule, but its type %s cannot cross a process boundary: %s", s.Name, s.Type.Go, why)
			}
		}
	}
}

// goTypeDecls returns the type declarations of the go { } blocks by name.
func (c *checker) goTypeDecls() map[string]ast.Expr {
	out := map[string]ast.Expr{}
	for _, gb := range c.goBlocks {
		if gb.ast == nil {
			continue
		}
		for _, d := range gb.ast.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				out[ts.Name.Name] = ts.Type
			}
		}
	}
	return out
}

// unencodable explains why encoding/gob cannot carry a type, or returns "".
// Types declared outside the file are trusted.
func unencodable(typ string, decls map[string]ast.Expr, seen map[string]bool) string {
	e, err := parser.ParseExpr(typ)
	if err != nil {
		return ""
	}
	return unencodableExpr(e, decls, seen)
}

func unencodableExpr(e ast.Expr, decls map[string]ast.Expr, seen map[string]bool) string {
	switch t := e.(type) {
	case *ast.ChanType:
		return fmt.Sprintf("encoding/gob cannot encode %s", exprString(t))
	case *ast.FuncType:
		return fmt.Sprintf("encoding/gob cannot encode %s", exprString(t))
	case *ast.InterfaceType:
		return fmt.Sprintf("encoding/gob cannot encode %s without registered concrete types", exprString(t))
	case *ast.StarExpr:
		return unencodableExpr(t.X, decls, seen)
	case *ast.ParenExpr:
		return unencodableExpr(t.X, decls, seen)
	case *ast.ArrayType:
		return unencodableExpr(t.Elt, decls, seen)
	case *ast.MapType:
		if why := unencodableExpr(t.Key, decls, seen); why != "" {
			return why
		}
		return unencodableExpr(t.Value, decls, seen)
	case *ast.StructType:
		exported := 0
		for _, f := range t.Fields.List {
			names := f.Names
			if len(names) == 0 {
				if id := baseIdent(f.Type); id != "" && ast.IsExported(id) {
					exported++
					if why := unencodableExpr(f.Type, decls, seen); why != "" {
						return why
					}
				}
				continue
			}
			for _, n := range names {
				if !n.IsExported() {
					continue
				}
				exported++
				if why := unencodableExpr(f.Type, decls, seen); why != "" {
					return fmt.Sprintf("field %s: %s", n.Name, why)
				}
			}
		}
		if exported == 0 {
			return "a struct with no exported fields, so encoding/gob would carry nothing"
		}
	case *ast.Ident:
		if t.Name == "any" || t.Name == "error" {
			return fmt.Sprintf("encoding/gob cannot encode the interface %s without registered concrete types", t.Name)
		}
		if d, ok := decls[t.Name]; ok && !seen[t.Name] {
			seen[t.Name] = true
			if why := unencodableExpr(d, decls, seen); why != "" {
				return fmt.Sprintf("%s: %s", t.Name, why)
			}
		}
	case *ast.IndexExpr, *ast.IndexListExpr, *ast.SelectorExpr:
		// Generic instances and types of other packages are trusted.
	}
	return ""
}

func baseIdent(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.StarExpr:
		return baseIdent(t.X)
	case *ast.SelectorExpr:
		return t.Sel.Name
	}
	return ""
}

// stateFields returns the state of p and its parents by name.
func stateFields(p *Pipeline) map[string]*StateField {
	out := map[string]*StateField{}
	for q := p; q != nil; q = q.Extends {
		for _, s := range q.State {
			if _, ok := out[s.Name]; !ok {
				out[s.Name] = s
			}
		}
	}
	return out
}

// lostWrites warns about writes to state without a merge rule in a body that
// runs in a worker process. The check is syntactic (DESIGN 3.3).
func (c *checker) lostWrites(b *Body, recv string, owner *Pipeline, where string) {
	pb := c.parseBody(b)
	if pb == nil {
		return
	}
	c.findWrites(pb.block, recv, owner, where, pb.mgPos)
}

func (c *checker) lostWritesInMethod(owner *Pipeline, method, where string) {
	for _, gb := range c.goBlocks {
		if gb.ast == nil {
			continue
		}
		for _, d := range gb.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != method || len(fn.Recv.List) != 1 || fn.Body == nil {
				continue
			}
			if baseIdent(fn.Recv.List[0].Type) != owner.Name || len(fn.Recv.List[0].Names) == 0 {
				continue
			}
			c.findWrites(fn.Body, fn.Recv.List[0].Names[0].Name, owner, where, gb.pb.mgPos)
		}
	}
}

func (c *checker) findWrites(body ast.Node, recv string, owner *Pipeline, where string, pos func(token.Pos) dsl.Pos) {
	fields := stateFields(owner)
	report := func(lhs ast.Expr) {
		name := stateRoot(lhs, recv)
		if name == "" {
			return
		}
		f, ok := fields[name]
		if !ok || f.Merge != MergeNone {
			return
		}
		c.diags.Warnf(pos(lhs.Pos()), "write to state field %q in %s is lost: it runs in a worker process and %q has no merge rule (add merge(...) to the field, or emit the value)", name, where, name)
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				return true
			}
			for _, l := range s.Lhs {
				report(l)
			}
		case *ast.IncDecStmt:
			report(s.X)
		}
		return true
	})
}

// stateRoot returns F when e is recv.F, recv.F[k], recv.F.x, ... and "" otherwise.
func stateRoot(e ast.Expr, recv string) string {
	for {
		switch t := e.(type) {
		case *ast.SelectorExpr:
			if id, ok := t.X.(*ast.Ident); ok && id.Name == recv {
				return t.Sel.Name
			}
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.StarExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		default:
			return ""
		}
	}
}

var numberTypes = map[string]bool{
	"int": true, "int8": true, "int16": true, "int32": true, "int64": true, "uint": true, "uint8": true,
	"uint16": true, "uint32": true, "uint64": true, "uintptr": true, "float32": true, "float64": true,
	"byte": true, "rune": true, "time.Duration": true,
}

// typeShape classifies a written type as "slice", "map", "number", "string",
// "other", or "" when it cannot tell (a named type declared elsewhere).
func typeShape(typ string, decls map[string]ast.Expr) string {
	switch {
	case strings.HasPrefix(typ, "[]"):
		return "slice"
	case strings.HasPrefix(typ, "map["):
		return "map"
	case numberTypes[typ]:
		return "number"
	case typ == "string":
		return "string"
	case typ == "bool" || strings.ContainsAny(typ, "[]{}*() "):
		return "other"
	}
	if d, ok := decls[typ]; ok {
		return typeShape(exprString(d), nil)
	}
	return ""
}

// checkProcessBudget mirrors the runtime's check of max_processes (DESIGN
// 2.2) when every number is a literal: the persistent workers of processes(N)
// stages hold their processes for the whole run, so they must fit, with one
// process left for the process_per_batch stages.
func (c *checker) checkProcessBudget(p *Pipeline) {
	limit := p.MaxProcesses
	if p.Graph == nil || limit.IsZero() || limit.IsParam() {
		return
	}
	need, perBatch := 0, false
	var names []string
	for _, n := range p.Graph.Nodes {
		switch s := n.Decl.Strategy; s.Kind {
		case Processes:
			if s.N.IsParam() {
				return // known when the run starts
			}
			need += s.N.Int()
			names = append(names, fmt.Sprintf("%q %s", n.Name, s))
		case ProcessPerBatch:
			perBatch = true
		}
	}
	what := strings.Join(names, ", ")
	if perBatch {
		need++
		if what != "" {
			what += " and "
		}
		what += "one process for the process_per_batch stages"
	}
	if need > limit.Int() {
		c.diags.Errorf(limit.Pos, "max_processes %d is less than the %d worker processes the stages of %q need at once (%s)", limit.Int(), need, p.Name, what)
	}
}
