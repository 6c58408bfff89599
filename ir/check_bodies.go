package ir

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"

	"github.com/minigun-go/minigun/dsl"
)

// parsedBody is a Go body parsed for the checks that read its statements.
type parsedBody struct {
	fset   *token.FileSet
	block  *ast.BlockStmt
	base   dsl.Pos // position of the body's first byte
	file   *dsl.File
	prefix int
	size   int // length of the body's text; errors past it are in the wrapper
}

const bodyPrefix = "package p\nfunc _() {"

// parseBody parses a body's text as the statements of a function, once:
// later calls return the same result and report nothing again.
func (c *checker) parseBody(b *Body) *parsedBody {
	if pb, ok := c.parsed[b]; ok {
		return pb
	}
	if c.parsed == nil {
		c.parsed = map[*Body]*parsedBody{}
	}
	c.parsed[b] = nil
	f := c.files[b.Pos.File]
	src := bodyPrefix + b.Text + "\n}\n"
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	pb := &parsedBody{fset: fset, base: b.Pos, file: f, prefix: len(bodyPrefix), size: len(b.Text)}
	if err != nil {
		c.reportGoErrors(err, pb)
		return nil
	}
	fn := af.Decls[0].(*ast.FuncDecl)
	pb.block = fn.Body
	c.parsed[b] = pb
	return pb
}

// mgPos maps a position in the parsed body back to the .mg file.
func (pb *parsedBody) mgPos(p token.Pos) dsl.Pos {
	off := pb.fset.Position(p).Offset - pb.prefix
	if off < 0 {
		off = 0
	}
	if pb.file == nil {
		return pb.base
	}
	return pb.file.OffsetPos(pb.base.Offset + off)
}

func (c *checker) reportGoErrors(err error, pb *parsedBody) {
	list, ok := err.(scanner.ErrorList)
	if !ok {
		c.diags.Errorf(pb.base, "%v", err)
		return
	}
	reported := 0
	for _, e := range list {
		if reported == 3 {
			break
		}
		off := e.Pos.Offset - pb.prefix
		if pb.size > 0 && off > pb.size {
			// Past the body, in the text that wraps it: a consequence of an
			// earlier error, or else reported at the closing brace.
			if reported > 0 {
				continue
			}
			off = pb.size
		}
		pos := pb.base
		if pb.file != nil {
			if off < 0 {
				off = 0
			}
			if max := len(pb.file.Src) - pb.base.Offset; off > max {
				off = max
			}
			pos = pb.file.OffsetPos(pb.base.Offset + off)
		}
		msg := e.Msg
		if strings.Contains(msg, "expected '}', found 'EOF'") {
			msg = "unbalanced braces in Go body"
		}
		c.diags.Errorf(pos, "go: %s", msg)
		reported++
	}
}

// checkBodies parses every Go body and go { } block so that Go syntax errors
// are reported at .mg positions, and records what the generator needs to know
// about each body.
func (c *checker) checkBodies() {
	for _, gb := range c.goBlocks {
		const prefix = "package p\n"
		fset := token.NewFileSet()
		gb.pb = &parsedBody{fset: fset, base: gb.file.OffsetPos(gb.body.Lbrace.Offset + 1), file: gb.file, prefix: len(prefix), size: len(gb.text)}
		af, err := parser.ParseFile(fset, "", prefix+gb.text+"\n", parser.SkipObjectResolution)
		if err != nil {
			c.reportGoErrors(err, gb.pb)
			continue
		}
		gb.ast = af
		for _, d := range af.Decls {
			if d, ok := d.(*ast.GenDecl); ok && d.Tok == token.IMPORT {
				c.diags.Errorf(gb.pb.mgPos(d.Pos()), "an import belongs at the top of the file, after the package clause, not in a go { } block")
			}
		}
	}
	var lockers map[string]bool
	for _, pd := range c.order {
		for _, st := range pd.ir.Decls {
			if st.Body == nil {
				continue
			}
			pb := c.parseBody(st.Body)
			if pb == nil {
				continue
			}
			if lockers == nil {
				lockers = c.lockers()
			}
			st.Body.Terminates = terminates(pb.block.List)
			st.ConcurrentEmit = emitsConcurrently(pb.block)
			st.Locks = takesLock(pb.block, lockers, "p")
			st.TailEmit = tailEmit(pb.block)
			ast.Inspect(pb.block, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok && id.Name == "to" {
						st.UsesTo = true
					}
				case *ast.Ident:
					if n.Name == "ctx" {
						st.UsesCtx = true
					}
				}
				return true
			})
		}
		for _, h := range pd.ir.Hooks {
			if pb := c.parseBody(&h.Body); pb != nil {
				h.Body.Terminates = terminates(pb.block.List)
			}
		}
	}
}

// terminates reports whether a statement list ends in a terminating
// statement (Go spec, "Terminating statements"), so that the generator adds
// `return nil` only where it is reachable.
func terminates(list []ast.Stmt) bool {
	if len(list) == 0 {
		return false
	}
	return isTerminating(list[len(list)-1])
}

func isTerminating(s ast.Stmt) bool {
	switch s := s.(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.BranchStmt:
		return s.Tok == token.GOTO
	case *ast.ExprStmt:
		if call, ok := s.X.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "panic" {
				return true
			}
		}
	case *ast.BlockStmt:
		return terminates(s.List)
	case *ast.IfStmt:
		return s.Else != nil && terminates(s.Body.List) && isTerminating(s.Else)
	case *ast.ForStmt:
		return s.Cond == nil && !hasBreak(s.Body, true)
	case *ast.LabeledStmt:
		return isTerminating(s.Stmt)
	case *ast.SwitchStmt:
		return clausesTerminate(s.Body)
	case *ast.TypeSwitchStmt:
		return clausesTerminate(s.Body)
	case *ast.SelectStmt:
		for _, cl := range s.Body.List {
			cc := cl.(*ast.CommClause)
			if !terminates(cc.Body) || hasBreakList(cc.Body) {
				return false
			}
		}
		return true
	}
	return false
}

func clausesTerminate(body *ast.BlockStmt) bool {
	hasDefault := false
	for _, cl := range body.List {
		cc := cl.(*ast.CaseClause)
		if cc.List == nil {
			hasDefault = true
		}
		if hasBreakList(cc.Body) {
			return false
		}
		if len(cc.Body) == 0 {
			return false
		}
		last := cc.Body[len(cc.Body)-1]
		if br, ok := last.(*ast.BranchStmt); ok && br.Tok == token.FALLTHROUGH {
			continue
		}
		if !isTerminating(last) {
			return false
		}
	}
	return hasDefault
}

func hasBreakList(list []ast.Stmt) bool {
	for _, s := range list {
		if hasBreak(s, false) {
			return true
		}
	}
	return false
}

// hasBreak reports whether n holds an unlabelled break that leaves the
// enclosing statement (or any labelled break, conservatively).
func hasBreak(n ast.Node, top bool) bool {
	found := false
	ast.Inspect(n, func(x ast.Node) bool {
		if found {
			return false
		}
		switch x := x.(type) {
		case *ast.BranchStmt:
			if x.Tok == token.BREAK {
				found = true
			}
		case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			if x != n {
				// A plain break inside a nested breakable statement leaves that one;
				// labelled breaks are rare and treated conservatively below.
				ast.Inspect(x, func(y ast.Node) bool {
					if br, ok := y.(*ast.BranchStmt); ok && br.Tok == token.BREAK && br.Label != nil {
						found = true
					}
					return !found
				})
				return false
			}
		case *ast.FuncLit:
			return false
		}
		return true
	})
	return found
}

// noLineDirectives returns Go text with its line directives (//line and /*line comments)
// made plain comments, byte for byte as long: the generated code's own directives map every
// position to the .mg file, and one in a body would move the positions after it elsewhere.
func noLineDirectives(text string) string {
	if !strings.Contains(text, "line ") {
		return text
	}
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(text))
	var s scanner.Scanner
	s.Init(file, []byte(text), nil, scanner.ScanComments)
	var b []byte
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.COMMENT && (strings.HasPrefix(lit, "//line ") || strings.HasPrefix(lit, "/*line ")) {
			if b == nil {
				b = []byte(text)
			}
			copy(b[file.Offset(pos)+2:], " line") // "// line", "/* line"
		}
	}
	if b == nil {
		return text
	}
	return string(b)
}
