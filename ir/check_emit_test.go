package ir

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

func TestEmitsConcurrently(t *testing.T) {
	cases := map[string]bool{
		`emit(1)`: false,
		`for i := 0; i < 3; i++ { emit(i); to.a(i) }`:       false,
		`x := func(v int) int { return v * 2 }; emit(x(3))`: false,
		`go work()`: true,
		`var wg sync.WaitGroup; wg.Add(1); go func() { emit(1) }()`: true,
		`g.Go(func() error { emit(1); return nil })`:                true,
		`forEach(items, emit)`:                                      true,
		`send := to.a; send(1)`:                                     true,
		`func() { to.b(2) }()`:                                      true,
		`emit(func() int { return 4 }())`:                           false,
	}
	for src, want := range cases {
		f, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc _() {"+src+"}\n", 0)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		body := f.Decls[0].(*ast.FuncDecl).Body
		if got := emitsConcurrently(body); got != want {
			t.Errorf("emitsConcurrently(%q) = %v, want %v", src, got, want)
		}
	}
}
