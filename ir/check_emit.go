package ir

import (
	"go/ast"
	"go/parser"
	"go/token"
)

// emitsConcurrently reports whether a body may call emit or to.x from another goroutine than
// its own, or after it returned: it starts a goroutine, or emit or a to.x sender is used in a
// function literal or as a value (passed to a function, stored) rather than called. The
// runtime then serializes the stage's emits (DESIGN 2.2); the check is syntactic and errs on
// the safe side.
func emitsConcurrently(body *ast.BlockStmt) bool {
	found := false
	var walk func(n ast.Node, inLit bool) bool
	walk = func(n ast.Node, inLit bool) bool {
		ast.Inspect(n, func(x ast.Node) bool {
			if found {
				return false
			}
			switch x := x.(type) {
			case *ast.GoStmt:
				found = true
			case *ast.FuncLit:
				if x != n {
					walk(x.Body, true)
					return false
				}
			case *ast.CallExpr:
				// emit(v) and to.x(v) are calls on the body's goroutine, unless in a literal.
				if isEmitter(x.Fun) {
					if inLit {
						found = true
					}
					for _, a := range x.Args {
						walk(a, inLit)
					}
					return false
				}
			case *ast.Ident:
				if x.Name == "emit" {
					found = true // emit as a value
				}
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "to" {
					found = true // a to.x sender as a value
				}
			}
			return !found
		})
		return found
	}
	return walk(body, false)
}

// isEmitter reports whether e is emit or to.NAME.
func isEmitter(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "emit"
	case *ast.SelectorExpr:
		id, ok := e.X.(*ast.Ident)
		return ok && id.Name == "to"
	}
	return false
}

// tailEmit reports whether a body's last statement, emit(v), is its only reference to emit,
// and the body holds no defer and no recover: a panic in what emit calls unwinds nothing of
// the body that would still have run.
func tailEmit(body *ast.BlockStmt) bool {
	if len(body.List) == 0 {
		return false
	}
	last, ok := body.List[len(body.List)-1].(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := last.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "emit" {
		return false
	}
	emits, other := 0, false
	ast.Inspect(body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.DeferStmt, *ast.GoStmt, *ast.LabeledStmt:
			other = true
		case *ast.Ident:
			switch x.Name {
			case "emit":
				emits++
			case "recover":
				other = true
			}
		}
		return !other
	})
	return emits == 1 && !other
}

// takesLock reports whether a body may hold something across an emit that the next stage
// could wait for: it calls a method named Lock, RLock (a sync.Mutex, an RWMutex, or anything
// that looks like one) or Acquire (a semaphore.Weighted), sends on a channel or receives
// from one that is not a context's or a timer's (a semaphore), or calls one of lockers: a
// function by its name, or a method of the value named self (p, in a stage's body) by its.
func takesLock(body ast.Node, lockers map[string]bool, self string) bool {
	found := false
	ast.Inspect(body, func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.CallExpr:
			switch f := x.Fun.(type) {
			case *ast.SelectorExpr:
				id, onSelf := f.X.(*ast.Ident)
				onSelf = onSelf && self != "" && id.Name == self
				found = f.Sel.Name == "Lock" || f.Sel.Name == "RLock" || f.Sel.Name == "Acquire" || onSelf && lockers["m."+f.Sel.Name]
			case *ast.Ident:
				found = lockers["f."+f.Name]
			}
		case *ast.SendStmt:
			found = true
		case *ast.UnaryExpr:
			found = x.Op == token.ARROW && !waitOnly(x.X)
		}
		return !found
	})
	return found
}

// waitOnly reports whether receiving from ch only waits, holding nothing: a channel a call
// returns (<-ctx.Done(), <-time.After(d)) or a timer's or ticker's (<-t.C).
func waitOnly(ch ast.Expr) bool {
	switch ch := ch.(type) {
	case *ast.CallExpr:
		return true
	case *ast.SelectorExpr:
		return ch.Sel.Name == "C"
	}
	return false
}

// lockers names the functions and methods of the go { } blocks and of the package's own Go
// files that may take a lock or wait on a channel (takesLock), directly or through one
// another; by name only, as the bodies call them: release(p), and p.acquire() (a method of
// the pipeline value; a method of anything else, such as p.counter.Add(1), is not looked up).
func (c *checker) lockers() map[string]bool {
	var funcs []*ast.FuncDecl
	add := func(f *ast.File) {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				funcs = append(funcs, fd)
			}
		}
	}
	for _, gb := range c.goBlocks {
		if gb.ast != nil {
			add(gb.ast)
		}
	}
	if c.opts.Dir != "" {
		var mg []string
		for name := range c.files {
			mg = append(mg, name)
		}
		fset := token.NewFileSet()
		for _, path := range goFilesBut(c.opts.Dir, mg) {
			if f, _ := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution); f != nil {
				add(f) // what parses of it: its syntax errors are the Go build's to report
			}
		}
	}
	lockers := map[string]bool{} // "f.NAME" for functions, "m.NAME" for methods
	for changed := true; changed; {
		changed = false
		for _, fd := range funcs {
			key, self := "f."+fd.Name.Name, ""
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				key = "m." + fd.Name.Name
				if names := fd.Recv.List[0].Names; len(names) == 1 {
					self = names[0].Name
				}
			}
			if !lockers[key] && takesLock(fd.Body, lockers, self) {
				lockers[key] = true
				changed = true
			}
		}
	}
	return lockers
}
