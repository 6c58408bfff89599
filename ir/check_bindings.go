package ir

import (
	"go/types"

	"github.com/minigun-go/minigun/dsl"
)

// Bound Go functions (DESIGN 2.3): the shape of a binding's signature decides
// the stage's types.

// matchShape decides a binding's shape and the stage's types from the Go type.
func (c *checker) matchShape(st *Stage, t types.Type, qual types.Qualifier) {
	if st.Kind == Custom {
		c.matchCustom(st, t, qual)
		return
	}
	sig, ok := t.Underlying().(*types.Signature)
	if !ok {
		c.diags.Errorf(st.Ref.Pos, "%s has type %s, which is not a function; %s", st.Ref.Expr, types.TypeString(t, qual), shapesFor(st.Kind))
		return
	}
	params := sig.Params()
	var ps []types.Type
	for i := 0; i < params.Len(); i++ {
		ps = append(ps, params.At(i).Type())
	}
	if st.Ref.Method && len(ps) > 0 {
		ps = ps[1:] // the receiver of a method expression
	}
	var rs []types.Type
	for i := 0; i < sig.Results().Len(); i++ {
		rs = append(rs, sig.Results().At(i).Type())
	}
	spell := func(t types.Type) Type { return goType(t, qual, st.Ref.Pos) }
	isCtx := func(t types.Type) bool { return types.TypeString(t, nil) == "context.Context" }
	isErr := func(t types.Type) bool { return types.TypeString(t, nil) == "error" }
	emitOf := func(t types.Type) (types.Type, bool) {
		s, ok := t.Underlying().(*types.Signature)
		if !ok || s.Params().Len() != 1 || s.Results().Len() != 0 || s.Variadic() {
			return nil, false
		}
		return s.Params().At(0).Type(), true
	}
	fail := func() {
		c.diags.Errorf(st.Ref.Pos, "%s has type %s, which does not fit a %s; %s", st.Ref.Expr, types.TypeString(t, qual), st.Kind, shapesFor(st.Kind))
	}
	if sig.Variadic() {
		fail()
		return
	}
	switch st.Kind {
	case Producer:
		switch {
		case len(ps) == 1 && len(rs) == 0:
			if e, ok := emitOf(ps[0]); ok {
				st.Ref.Shape, st.Out = ShapeProducerEmit, spell(e)
				return
			}
		case len(ps) == 2 && len(rs) == 1 && isCtx(ps[0]) && isErr(rs[0]):
			if e, ok := emitOf(ps[1]); ok {
				st.Ref.Shape, st.Out = ShapeProducerCtxEmit, spell(e)
				return
			}
		case len(ps) == 0 && len(rs) == 1:
			if n, ok := rs[0].(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "iter" && n.Obj().Name() == "Seq" && n.TypeArgs().Len() == 1 {
				st.Ref.Shape, st.Out = ShapeProducerSeq, spell(n.TypeArgs().At(0))
				return
			}
		}
	case Processor:
		switch {
		case len(ps) == 1 && len(rs) == 1 && !isErr(rs[0]):
			st.Ref.Shape, st.In, st.Out = ShapeProcessorValue, spell(ps[0]), spell(rs[0])
			return
		case len(ps) == 1 && len(rs) == 2 && isErr(rs[1]):
			st.Ref.Shape, st.In, st.Out = ShapeProcessorValueErr, spell(ps[0]), spell(rs[0])
			return
		case len(ps) == 2 && len(rs) == 2 && isCtx(ps[0]) && isErr(rs[1]):
			st.Ref.Shape, st.In, st.Out = ShapeProcessorCtxValue, spell(ps[1]), spell(rs[0])
			return
		case len(ps) == 2 && len(rs) == 0:
			if e, ok := emitOf(ps[1]); ok {
				st.Ref.Shape, st.In, st.Out = ShapeProcessorEmit, spell(ps[0]), spell(e)
				return
			}
		case len(ps) == 3 && len(rs) == 1 && isCtx(ps[0]) && isErr(rs[0]):
			if e, ok := emitOf(ps[2]); ok {
				st.Ref.Shape, st.In, st.Out = ShapeProcessorCtxEmit, spell(ps[1]), spell(e)
				return
			}
		}
	case Consumer:
		switch {
		case len(ps) == 1 && len(rs) == 0:
			st.Ref.Shape, st.In = ShapeConsumer, spell(ps[0])
			return
		case len(ps) == 1 && len(rs) == 1 && isErr(rs[0]):
			st.Ref.Shape, st.In = ShapeConsumerErr, spell(ps[0])
			return
		case len(ps) == 2 && len(rs) == 1 && isCtx(ps[0]) && isErr(rs[0]):
			st.Ref.Shape, st.In = ShapeConsumerCtx, spell(ps[1])
			return
		}
	}
	fail()
}

// matchCustom accepts a value with a method Process(ctx, In, func(Out)) error.
func (c *checker) matchCustom(st *Stage, t types.Type, qual types.Qualifier) {
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "Process")
	fn, ok := obj.(*types.Func)
	if ok {
		sig := fn.Type().(*types.Signature)
		if sig.Params().Len() == 3 && sig.Results().Len() == 1 && types.TypeString(sig.Params().At(0).Type(), nil) == "context.Context" {
			if e, ok := sig.Params().At(2).Type().Underlying().(*types.Signature); ok && e.Params().Len() == 1 {
				st.Ref.Shape = ShapeCustom
				st.In = goType(sig.Params().At(1).Type(), qual, st.Ref.Pos)
				st.Out = goType(e.Params().At(0).Type(), qual, st.Ref.Pos)
				return
			}
		}
	}
	c.diags.Errorf(st.Ref.Pos, "%s (%s) does not implement mgrt.Stage: it needs a method Process(ctx context.Context, in In, emit func(Out)) error", st.Ref.Expr, types.TypeString(t, qual))
}

// goType is the ir type of a go/types type, spelled as the file writes it.
func goType(t types.Type, qual types.Qualifier, pos dsl.Pos) Type {
	ty := Type{Go: types.TypeString(t, qual), Pos: pos, gt: t, Shape: shapeOf(t)}
	collectImports(t, &ty)
	return ty
}

// collectImports records the import paths a type's spelling refers to.
func collectImports(t types.Type, out *Type) {
	seen := map[string]bool{}
	var walk func(t types.Type)
	walk = func(t types.Type) {
		switch t := t.(type) {
		case *types.Named:
			if p := t.Obj().Pkg(); p != nil && !seen[p.Path()] {
				seen[p.Path()] = true
				out.Imports = append(out.Imports, p.Path())
			}
			for i := 0; i < t.TypeArgs().Len(); i++ {
				walk(t.TypeArgs().At(i))
			}
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		}
	}
	walk(t)
}

func shapesFor(k StageKind) string {
	switch k {
	case Producer:
		return "a producer binds func(emit func(T)), func(ctx context.Context, emit func(T)) error or func() iter.Seq[T]"
	case Processor:
		return "a processor binds func(T) U, func(T) (U, error), func(context.Context, T) (U, error), func(T, emit func(U)) or func(context.Context, T, emit func(U)) error"
	case Consumer:
		return "a consumer binds func(T), func(T) error or func(context.Context, T) error"
	}
	return ""
}
