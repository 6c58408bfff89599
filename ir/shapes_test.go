package ir_test

import (
	"testing"

	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

// Each parameter and state field carries its shape, decided from go/types
// through named types (of the go { } blocks and of other packages), never
// from how the type is spelled.
func TestShapes(t *testing.T) {
	prog, diags := checkSource(t, `package main

import "time"

go {
	type Events []string
	type Loud bool
	type Name string
	type Counts map[string]int
	type Pair struct{ A, B int }
	type Alias = []int
}

pipeline P {
	param Verbose Loud
	param Every time.Duration = time.Second
	state {
		events Events
		names  []string
		alias  Alias
		counts Counts
		n      int
		f      float64
		d      time.Duration
		name   Name
		pair   Pair
		on     bool
		c      complex128
		ch     chan int
		when   time.Time
	}
	producer gen() int { emit(1) }
	consumer sink(n int) {}
}
`)
	if diags.HasErrors() {
		t.Fatalf("check:\n%v", diags)
	}
	p := prog.Files[0].Pipelines[0]
	want := map[string]ir.TypeShape{
		"Verbose": ir.BoolShape, "Every": ir.NumberShape,
		"events": ir.SliceShape, "names": ir.SliceShape, "alias": ir.SliceShape, "counts": ir.MapShape,
		"n": ir.NumberShape, "f": ir.NumberShape, "d": ir.NumberShape, "name": ir.OrderedShape,
		"pair": ir.OtherShape, "on": ir.BoolShape, "c": ir.OtherShape, "ch": ir.OtherShape, "when": ir.OtherShape,
	}
	got := map[string]ir.TypeShape{}
	for _, prm := range p.Params {
		got[prm.Name] = prm.Type.Shape
	}
	for _, s := range p.State {
		got[s.Name] = s.Type.Shape
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: shape %v, want %v", name, got[name], w)
		}
	}

	// Without Go types nothing is known.
	f, _ := dsl.Parse("test.mg", []byte("pipeline Q {\n\tstate {\n\t\tn int\n\t}\n\tproducer gen() int { emit(1) }\n\tconsumer sink(n int) {}\n}\n"))
	prog, _ = ir.CheckWith(ir.Options{NoTypes: true}, f)
	if s := prog.Files[0].Pipelines[0].State[0].Type.Shape; s != ir.UnknownShape {
		t.Errorf("without types: shape %v, want unknown", s)
	}
}

// -fast skips Go types unless a binding needs them: its signature decides
// the stage's types, so the generated code.
func TestFastTypesBindings(t *testing.T) {
	src := "import \"strings\"\n\npipeline Q {\n\tproducer gen() string { emit(\"a\") }\n\tprocessor up = strings.ToUpper\n\tconsumer sink(s string) {}\n}\n"
	f, ds := dsl.Parse("test.mg", []byte(src))
	if f == nil {
		t.Fatal(ds)
	}
	prog, diags := ir.CheckWith(ir.Options{Fast: true, Dir: t.TempDir()}, f)
	if diags.HasErrors() {
		t.Fatalf("check:\n%v", diags)
	}
	st := prog.Files[0].Pipelines[0].Decls[1]
	if st.In.Go != "string" || st.Out.Go != "string" {
		t.Errorf("-fast: bound stage typed %q -> %q, want string -> string", st.In.Go, st.Out.Go)
	}
}
