package ir

import "go/ast"

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

// takesLock reports whether a body calls a method named Lock or RLock (a sync.Mutex, an
// RWMutex, or anything that looks like one).
func takesLock(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(x ast.Node) bool {
		if call, ok := x.(*ast.CallExpr); ok && len(call.Args) == 0 {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Lock" || sel.Sel.Name == "RLock") {
				found = true
			}
		}
		return !found
	})
	return found
}
