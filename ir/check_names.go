package ir

import (
	"go/ast"
	"go/token"
	"path/filepath"

	"github.com/minigun-go/minigun/dsl"
)

// allParams lists the parameters a pipeline value reaches: its own and
// inherited, then those of its nested pipelines (its parents' first), each
// with the fields that lead to it and its field in the worker mirror.
func allParams(p *Pipeline, depth int) []ParamRef {
	var out []ParamRef
	for _, prm := range p.Params {
		out = append(out, ParamRef{Param: prm, Mirror: prm.Name})
	}
	if depth > 100 {
		return out // a pipeline that nests itself, reported by declare
	}
	var chain []*Pipeline
	for q := p; q != nil; q = q.Extends {
		chain = append([]*Pipeline{q}, chain...)
	}
	for _, q := range chain {
		for _, n := range q.Nested {
			for _, r := range allParams(n.Type, depth+1) {
				out = append(out, ParamRef{
					Param:  r.Param,
					Path:   append([]string{n.Field}, r.Path...),
					Mirror: Exported(n.Stage.QName) + "_" + r.Mirror,
				})
			}
		}
	}
	return out
}

// checkNames refuses user names that would collide with generated ones: a
// param or state field named like a generated method, a state field or a
// go { } declaration that takes the reserved prefix, a go { } declaration
// named like a generated type or constructor, a method of a go { } block on a
// pipeline type named like a generated method or one of the type's fields.
func (c *checker) checkNames() {
	pipelines := map[string]*Pipeline{}
	for _, pd := range c.order {
		p := pd.ir
		pipelines[p.Name] = p
		for _, prm := range p.Params {
			if prm.Owner != p || prm.DefaultFrom != p {
				continue
			}
			for _, m := range members(p) {
				if prm.Name == m {
					c.diags.Errorf(prm.Pos, "parameter %q collides with the generated method %q of pipeline %q: choose another name", prm.Decl, m, p.Name)
				}
			}
		}
		for _, s := range p.State {
			switch {
			case hasReservedPrefix(s.Name):
				c.diags.Errorf(s.Pos, "state field %q starts with %q, which is reserved for generated names", s.Name, Reserved)
			case p.Extends != nil && s.Name == p.Extends.Name:
				c.diags.Errorf(s.Pos, "state field %q collides with the parent pipeline that %q embeds", s.Name, p.Name)
			}
			for _, m := range members(p) {
				if s.Name == m {
					c.diags.Errorf(s.Pos, "state field %q collides with the generated method %q of pipeline %q: choose another name", s.Name, m, p.Name)
				}
			}
		}
	}
	for _, gb := range c.goBlocks {
		if gb.ast == nil {
			continue
		}
		eachDecl(gb.ast.Decls, func(id *ast.Ident) { c.checkDeclName(gb, id, pipelines) }, func(recv string, id *ast.Ident) {
			if p, ok := pipelines[recv]; ok {
				c.checkMethodName(gb.pb.mgPos(id.Pos()), id.Name, p)
			}
		})
	}
}

// checkDeclName checks a top-level declaration of a go { } block.
func (c *checker) checkDeclName(gb *goBlockSrc, id *ast.Ident, pipelines map[string]*Pipeline) {
	name := id.Name
	pos := gb.pb.mgPos(id.Pos())
	switch {
	case name == "_" || name == "init":
	case hasReservedPrefix(name):
		c.diags.Errorf(pos, "%q starts with %q, which is reserved for generated names", name, Reserved)
	case generatedImports[name] != "":
		c.diags.Errorf(pos, "%q is the name under which the generated code imports package %q: choose another name", name, generatedImports[name])
	case name == "main" && c.opts.Standalone:
		c.diags.Errorf(pos, "func main is the one minigungen build writes, which runs the pipelines with their flags: remove it, or generate the code (minigungen generate) and build your own main")
	case pipelines[name] != nil:
		c.diags.Errorf(pos, "%q is the type generated for pipeline %q", name, name)
	default:
		for pn := range pipelines {
			if name == Constructor(pn) {
				c.diags.Errorf(pos, "%q is the constructor generated for pipeline %q", name, pn)
			}
		}
	}
}

// checkMethodName checks a method that a go { } block or a Go file declares on a pipeline
// type.
func (c *checker) checkMethodName(pos dsl.Pos, name string, p *Pipeline) {
	if hasReservedPrefix(name) {
		c.diags.Errorf(pos, "method %q starts with %q, which is reserved for generated names", name, Reserved)
		return
	}
	for _, m := range members(p) {
		if name == m {
			c.diags.Errorf(pos, "method %q of %q collides with the generated method %q", name, p.Name, m)
			return
		}
	}
	fields := map[string]string{}
	for _, prm := range p.Params {
		fields[prm.Name] = "parameter"
	}
	for _, s := range p.State {
		fields[s.Name] = "state field"
	}
	if p.Extends != nil {
		fields[p.Extends.Name] = "embedded parent pipeline"
	}
	if what, ok := fields[name]; ok {
		c.diags.Errorf(pos, "method %q of %q collides with its %s %q", name, p.Name, what, name)
	}
}

// members are the exported methods generated for p: those of every pipeline and the
// accessors of its nested copies.
func members(p *Pipeline) []string {
	ms := generatedMembers
	for _, n := range p.Nested {
		ms = append(ms[:len(ms):len(ms)], n.Accessor)
	}
	return ms
}

// checkGoFileNames reports what the package's own Go files declare that the generated code
// declares too: a pipeline's type or constructor (at the pipeline), a generated method of a
// pipeline (at the method). It reports whether there was any.
func (c *checker) checkGoFileNames(fset *token.FileSet, files []*ast.File, userPath func(string) string) bool {
	before := len(c.diags)
	at := func(p token.Pos) dsl.Pos {
		pp := fset.Position(p)
		return dsl.Pos{File: userPath(filepath.Base(pp.Filename)), Line: pp.Line, Col: pp.Column}
	}
	pipelines, constructors := map[string]*Pipeline{}, map[string]*Pipeline{}
	for _, pd := range c.order {
		pipelines[pd.ir.Name] = pd.ir
		constructors[Constructor(pd.ir.Name)] = pd.ir
	}
	topLevel := func(id *ast.Ident) {
		if p := pipelines[id.Name]; p != nil {
			c.diags.Errorf(p.Pos, "%q is the type generated for pipeline %q, and %s declares it too: rename one of them", id.Name, p.Name, at(id.Pos()))
		}
		if p := constructors[id.Name]; p != nil {
			c.diags.Errorf(p.Pos, "%q is the constructor generated for pipeline %q, and %s declares it too: rename one of them", id.Name, p.Name, at(id.Pos()))
		}
	}
	for _, f := range files {
		eachDecl(f.Decls, topLevel, func(recv string, id *ast.Ident) {
			if p, ok := pipelines[recv]; ok {
				c.checkMethodName(at(id.Pos()), id.Name, p)
			}
		})
	}
	return len(c.diags) > before
}

// eachDecl calls top with the name of each top-level declaration of decls (functions, types,
// variables, constants), and method with each method's receiver type name and its name.
func eachDecl(decls []ast.Decl, top func(*ast.Ident), method func(recv string, name *ast.Ident)) {
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil && len(d.Recv.List) == 1 {
				method(baseIdent(d.Recv.List[0].Type), d.Name)
				continue
			}
			top(d.Name)
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					top(sp.Name)
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						top(n)
					}
				}
			}
		}
	}
}

// checkFlags reports parameters that a built program would set from one flag but that have
// different types: one flag per parameter name sets every pipeline's parameter of that name.
func (c *checker) checkFlags() {
	first := map[string]*Param{}
	for _, pd := range c.order {
		for _, r := range pd.ir.AllParams {
			prm := r.Param
			prev, ok := first[prm.Flag]
			switch {
			case !ok:
				first[prm.Flag] = prm
			case prev.Type.Go != prm.Type.Go:
				c.diags.Errorf(prm.Pos, "parameter %q is %s, but pipeline %q has a parameter %q of type %s (%s): a built program sets both from its one -%s flag", prm.Decl, prm.Type.Go, prev.Owner.Name, prev.Decl, prev.Type.Go, prev.Pos, prm.Flag)
				first[prm.Flag] = prm // reported once per pair of types
			}
		}
	}
}
