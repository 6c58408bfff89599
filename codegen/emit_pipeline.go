package codegen

import (
	"fmt"
	"path"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

func rt(name string) *jen.Statement { return jen.Qual(RuntimePath, name) }

func ctxType() *jen.Statement { return jen.Qual("context", "Context") }

// typ spells an ir type.
func typ(t ir.Type) *jen.Statement { return jen.Id(t.Go) }

func (g *gen) pos(p dsl.Pos) *jen.Statement {
	return rt("Pos").Values(
		jen.Id("File").Op(":").Lit(path.Base(g.base)),
		jen.Id("Line").Op(":").Lit(p.Line),
		jen.Id("Col").Op(":").Lit(p.Col),
	)
}

// id is a generated identifier; every one comes from package ir.
func id(name string) *jen.Statement { return jen.Id(name) }

func (g *gen) pipeline(p *ir.Pipeline) {
	f := g.f
	// recv is the receiver of the public API (it sees no user code, and its
	// documentation reads best with the names bodies use); mgRecv that of the
	// generated methods that hold user expressions (defaults, bindings).
	recv := func() *jen.Statement { return id(ir.BodyRecv).Op("*").Id(p.Name) }
	mgRecv := func() *jen.Statement { return id(ir.RecvVar).Op("*").Id(p.Name) }
	mgP := func() *jen.Statement { return id(ir.RecvVar) }

	// The type.
	g.doc(f.Group, p.Doc, true)
	f.Commentf("%s is the pipeline declared at %s:%d.", p.Name, path.Base(g.base), p.Pos.Line)
	f.Type().Id(p.Name).StructFunc(func(s *jen.Group) {
		if p.Extends != nil {
			s.Id(p.Extends.Name)
		}
		for _, prm := range p.Params {
			if prm.Owner == p {
				g.doc(s, prm.Doc, false)
				s.Id(prm.Name).Add(typ(prm.Type))
			}
		}
		if len(p.State) > 0 {
			s.Line()
		}
		for _, st := range p.State {
			s.Id(st.Name).Add(typ(st.Type))
		}
		if len(p.Nested) > 0 {
			s.Line()
		}
		for _, n := range p.Nested {
			s.Id(n.Field).Op("*").Id(n.Type.Name)
		}
	})

	// Constructor.
	f.Commentf("%s returns a %s with its parameters at their defaults.", ir.Constructor(p.Name), p.Name)
	f.Func().Id(ir.Constructor(p.Name)).Params().Op("*").Id(p.Name).Block(
		mgP().Op(":=").Op("&").Id(p.Name).Values(),
		mgP().Dot(ir.InitMethod).Call(),
		jen.Return(mgP()),
	)
	for _, n := range p.Nested {
		f.Commentf("%s returns the copy of %s that runs as stage %q (%s:%d): set its", n.Accessor, n.Type.Name, n.Stage.QName, path.Base(g.base), n.Stage.Pos.Line)
		f.Comment("parameters before Run; its state holds what its stages left once Run returns.")
		f.Func().Params(mgRecv()).Id(n.Accessor).Params().Op("*").Id(n.Type.Name).Block(jen.Return(mgP().Dot(n.Field)))
	}
	f.Commentf("%s sets parameters to their defaults and creates nested pipelines.", ir.InitMethod)
	f.Func().Params(mgRecv()).Id(ir.InitMethod).Params().BlockFunc(func(b *jen.Group) {
		if p.Extends != nil {
			b.Add(mgP()).Dot(p.Extends.Name).Dot(ir.InitMethod).Call()
		}
		for _, prm := range p.Params {
			if prm.Default == "" {
				continue
			}
			if prm.DefaultFrom != p {
				continue // the parent's mgInit set it
			}
			b.Add(mgP()).Dot(prm.Name).Op("=").Id(prm.Default)
		}
		for _, prm := range p.Params {
			if prm.Default == "" && prm.DefaultFrom == p && prm.Owner != p {
				// Redeclared without a default: the zero value, not the parent's default.
				b.Add(mgP()).Dot(prm.Name).Op("=").Op("*").New(typ(prm.Type))
			}
		}
		for _, n := range p.Nested {
			b.Add(mgP()).Dot(n.Field).Op("=").Id(ir.Constructor(n.Type.Name)).Call()
		}
	})

	// Stage bodies.
	for _, st := range p.Decls {
		g.stageMethod(p, st)
	}
	for _, h := range p.Hooks {
		g.hookMethod(p, h)
	}
	g.wiring(p)
	if hasMergeState(p) {
		g.stateSpec(p)
	}
	if hasProcessStages(p) {
		g.workerSupport(p)
	}
	g.remoteSupport(p)

	// Public API.
	p0, ctx := id(ir.BodyRecv), id(ir.BodyCtx)
	f.Commentf("%s runs the pipeline until every stage has ended, and returns its result.", ir.RunMethod)
	f.Func().Params(recv()).Id(ir.RunMethod).Params(ctx.Clone().Add(ctxType())).Params(rt("Result"), jen.Error()).Block(
		jen.Return(rt("Run").Call(ctx.Clone(), p0.Clone().Dot(ir.GraphMethod).Call())),
	)
	f.Commentf("%s runs the pipeline in the background; the handle waits for it or stops it.", ir.StartMethod)
	f.Func().Params(recv()).Id(ir.StartMethod).Params(ctx.Clone().Add(ctxType())).Op("*").Add(rt("Handle")).Block(
		jen.Return(rt("Start").Call(ctx.Clone(), p0.Clone().Dot(ir.GraphMethod).Call())),
	)
	f.Commentf("%s describes the pipeline's stages, edges, strategies and positions.", ir.GraphInfoMethod)
	f.Func().Params(recv()).Id(ir.GraphInfoMethod).Params().Add(rt("GraphInfo")).Block(
		jen.Return(p0.Clone().Dot(ir.GraphMethod).Call().Dot("Info").Call()),
	)
}

func hasTo(st *ir.Stage) bool { return len(st.To) > 0 && st.Kind != ir.Consumer }

// stageMethod writes the method that holds a stage's body or binding call.
func (g *gen) stageMethod(p *ir.Pipeline, st *ir.Stage) {
	if st.Kind == ir.Nested || st.Kind == ir.Custom || st.Kind == ir.Queue || st.IsBatch {
		return
	}
	f := g.f
	if hasTo(st) {
		f.Commentf("%s holds one send function per downstream of stage %q, for to.NAME(v).", st.ToType, st.QName)
		f.Type().Id(st.ToType).StructFunc(func(s *jen.Group) {
			for _, ref := range st.To {
				s.Id(ir.RouteField(st.To, ref)).Func().Params(typ(st.Out))
			}
		})
	}
	// A body sees the names DESIGN 2.2 documents; a binding call only
	// generated ones, so that no name of the bound expression is shadowed.
	recv, ctx, inName, emit, to := ir.BodyRecv, ir.BodyCtx, st.InName, ir.BodyEmit, ir.BodyTo
	if st.Body == nil {
		recv, ctx, inName, emit, to = ir.RecvVar, ir.CtxVar, ir.InVar, ir.EmitVar, ir.ToVar
	}
	var params []jen.Code
	params = append(params, id(ctx).Add(ctxType()))
	in := st.In
	if st.Kind == ir.Accumulator {
		in = st.BatchType()
	}
	if st.Kind != ir.Producer {
		params = append(params, id(inName).Add(typ(in)))
	}
	if st.Kind != ir.Consumer && !st.Out.IsZero() {
		params = append(params, id(emit).Func().Params(typ(st.Out)))
	}
	if hasTo(st) {
		params = append(params, id(to).Id(st.ToType))
	}
	g.doc(f.Group, st.Doc, true)
	f.Commentf("%s is stage %q (%s:%d).", st.Method, st.QName, path.Base(g.base), st.Pos.Line)
	f.Func().Params(id(recv).Op("*").Id(p.Name)).Id(st.Method).Params(params...).Error().BlockFunc(func(b *jen.Group) {
		if st.Body != nil {
			g.verbatim(b, st.Body.Pos, st.Body.Text, true)
			if !st.Body.Terminates {
				b.Return(jen.Nil())
			}
			return
		}
		g.bindingCall(b, st)
	})
}

// bindingCall adapts a bound Go function to the stage method's signature.
func (g *gen) bindingCall(b *jen.Group, st *ir.Stage) {
	fn := jen.Id(st.Ref.Expr)
	if st.Ref.Method {
		fn = id(ir.RecvVar).Dot(st.Ref.Name)
	}
	in, ctx, emit, v, out, err := id(ir.InVar), id(ir.CtxVar), id(ir.EmitVar), id(ir.ValueVar), id(ir.OutVar), id(ir.ErrVar)
	switch st.Ref.Shape {
	case ir.ShapeProducerEmit:
		b.Add(fn).Call(emit)
		b.Return(jen.Nil())
	case ir.ShapeProducerCtxEmit:
		b.Return(fn.Call(ctx, emit))
	case ir.ShapeProducerSeq:
		b.For(v.Clone().Op(":=").Range().Add(fn).Call()).Block(emit.Clone().Call(v))
		b.Return(jen.Nil())
	case ir.ShapeProcessorValue:
		b.Add(emit).Call(fn.Call(in))
		b.Return(jen.Nil())
	case ir.ShapeProcessorValueErr, ir.ShapeProcessorCtxValue:
		args := []jen.Code{in}
		if st.Ref.Shape == ir.ShapeProcessorCtxValue {
			args = []jen.Code{ctx, in}
		}
		b.List(out, err).Op(":=").Add(fn).Call(args...)
		b.If(err.Clone().Op("!=").Nil()).Block(jen.Return(err.Clone()))
		b.Add(emit).Call(out.Clone())
		b.Return(jen.Nil())
	case ir.ShapeProcessorEmit:
		b.Add(fn).Call(in, emit)
		b.Return(jen.Nil())
	case ir.ShapeProcessorCtxEmit:
		b.Return(fn.Call(ctx, in, emit))
	case ir.ShapeConsumer:
		b.Add(fn).Call(in)
		b.Return(jen.Nil())
	case ir.ShapeConsumerErr:
		b.Return(fn.Call(in))
	case ir.ShapeConsumerCtx:
		b.Return(fn.Call(ctx, in))
	default:
		panic(fmt.Sprintf("minigungen: internal error: binding shape %d of stage %q", st.Ref.Shape, st.Name))
	}
}

// hookMethod writes the method that holds a hook's body.
func (g *gen) hookMethod(p *ir.Pipeline, h *ir.Hook) {
	params := []jen.Code{id(ir.BodyCtx).Add(ctxType())}
	switch h.Kind {
	case ir.AfterRun:
		params = append(params, id(ir.BodyResult).Op("*").Add(rt("Result")))
	case ir.OnError:
		errName, itemName := ir.BodyErr, ir.BodyItem
		if len(h.Params) == 2 {
			errName, itemName = h.Params[0].Name, h.Params[1].Name
		}
		params = append(params, jen.Id(errName).Error(), jen.Id(itemName).Any())
	}
	what := h.Kind.String()
	if h.Target != nil {
		what += "(" + h.Target.Name + ")"
	}
	g.f.Commentf("%s is the %s hook (%s:%d).", h.Method, what, path.Base(g.base), h.Pos.Line)
	g.f.Func().Params(id(ir.BodyRecv).Op("*").Id(p.Name)).Id(h.Method).Params(params...).Error().BlockFunc(func(b *jen.Group) {
		g.verbatim(b, h.Body.Pos, h.Body.Text, true)
		if !h.Body.Terminates {
			b.Return(jen.Nil())
		}
	})
}

// doc writes a .mg doc comment as the Go doc comment of what follows, with an
// empty comment line after it when more generated text follows.
func (g *gen) doc(grp *jen.Group, doc string, more bool) {
	if doc == "" {
		return
	}
	// What Go refuses in a comment (a NUL, a byte order mark, bytes that are not UTF-8) is
	// written as U+FFFD: a .mg comment may hold anything.
	doc = strings.NewReplacer("\x00", "\uFFFD", "\uFEFF", "\uFFFD").Replace(strings.ToValidUTF8(doc, "\uFFFD"))
	for _, line := range strings.Split(doc, "\n") {
		if line == "" {
			grp.Comment("")
		} else {
			grp.Comment(line)
		}
	}
	if more {
		grp.Comment("")
	}
}
