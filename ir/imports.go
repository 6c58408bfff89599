package ir

import (
	"go/ast"
	"go/parser"
	"path"
	"strconv"
	"strings"
)

// GeneratedImports lists, in source order, the imports that the code
// generated for f needs besides f's own: the packages the types of bound
// functions name (strings.Lines gives iter.Seq[string]), then the imports of
// other .mg files of the package whose types f's pipelines spell (a pipeline
// nested or extended from another file).
func (p *Program) GeneratedImports(f *File) []Import {
	var out []Import
	for _, ip := range typeImports(f) {
		out = append(out, Import{Path: ip})
	}
	return append(out, foreignImports(p, f)...)
}

// typeImports lists, in source order, the import paths that the stage types
// of a file need. A type lists every package it refers to, the file's own
// package included: a path is kept only when its assumed package name
// qualifies an identifier in the type's spelling.
func typeImports(file *File) []string {
	var out []string
	seen := map[string]bool{}
	add := func(t Type) {
		if len(t.Imports) == 0 {
			return
		}
		quals := qualifiers(t.Go)
		for _, ip := range t.Imports {
			if !seen[ip] && quals[assumedName(ip)] {
				seen[ip] = true
				out = append(out, ip)
			}
		}
	}
	for _, p := range file.Pipelines {
		for _, st := range p.Decls {
			add(st.In)
			add(st.Out)
		}
		if p.Graph != nil {
			for _, n := range p.Graph.Nodes {
				add(n.In)
				add(n.Out)
			}
		}
	}
	return out
}

// qualifiers returns the package names that qualify identifiers in a type's spelling.
func qualifiers(typ string) map[string]bool {
	out := map[string]bool{}
	e, err := parser.ParseExpr(typ)
	if err != nil {
		return out
	}
	ast.Inspect(e, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				out[id.Name] = true
			}
		}
		return true
	})
	return out
}

// assumedName is the package name an import path conventionally declares
// (goimports' rule): the last element, skipping a major-version element,
// without a "go-" prefix, up to its first character that is not in an identifier.
func assumedName(importPath string) string {
	base := path.Base(importPath)
	if strings.HasPrefix(base, "v") {
		if _, err := strconv.Atoi(base[1:]); err == nil && path.Dir(importPath) != "." {
			base = path.Base(path.Dir(importPath))
		}
	}
	base = strings.TrimPrefix(base, "go-")
	if i := strings.IndexFunc(base, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= 0x80)
	}); i >= 0 {
		base = base[:i]
	}
	return base
}

// foreignImports lists the imports of other .mg files of the package that
// this file's generated code needs: a pipeline nested or extended from
// another file brings stage, parameter and state types spelled with that
// file's imports.
func foreignImports(prog *Program, file *File) []Import {
	fileOf := map[*Pipeline]*File{}
	for _, f := range prog.Files {
		for _, p := range f.Pipelines {
			fileOf[p] = f
		}
	}
	var out []Import
	seen := map[Import]bool{}
	add := func(owner *Pipeline, types ...Type) {
		from := fileOf[owner]
		if from == nil || from == file {
			return
		}
		quals := map[string]bool{}
		for _, t := range types {
			for q := range qualifiers(t.Go) {
				quals[q] = true
			}
		}
		for _, im := range from.Imports {
			name := im.Alias
			if name == "" {
				name = assumedName(im.Path)
			}
			key := Import{Alias: im.Alias, Path: im.Path}
			if quals[name] && !seen[key] {
				seen[key] = true
				out = append(out, key)
			}
		}
	}
	for _, p := range file.Pipelines {
		if p.Graph != nil {
			for _, n := range p.Graph.Nodes {
				add(n.Decl.Owner, n.In, n.Out)
			}
		}
		for _, prm := range p.Params {
			add(prm.Owner, prm.Type)
		}
		for q := p.Extends; q != nil; q = q.Extends {
			for _, s := range q.State {
				add(q, s.Type)
			}
		}
	}
	return out
}
