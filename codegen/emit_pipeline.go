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

func (g *gen) pipeline(p *ir.Pipeline) {
	f := g.f
	recv := func() *jen.Statement { return jen.Id("p").Op("*").Id(p.Name) }

	// The type.
	f.Commentf("%s is the pipeline declared at %s:%d.", p.Name, path.Base(g.base), p.Pos.Line)
	f.Type().Id(p.Name).StructFunc(func(s *jen.Group) {
		if p.Extends != nil {
			s.Id(p.Extends.Name)
		}
		for _, prm := range p.Params {
			if prm.Owner == p {
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
	f.Commentf("New%s returns a %s with its parameters at their defaults.", p.Name, p.Name)
	f.Func().Id("New"+p.Name).Params().Op("*").Id(p.Name).Block(
		jen.Id("p").Op(":=").Op("&").Id(p.Name).Values(),
		jen.Id("p").Dot("mgInit").Call(),
		jen.Return(jen.Id("p")),
	)
	f.Comment("mgInit sets parameters to their defaults and creates nested pipelines.")
	f.Func().Params(recv()).Id("mgInit").Params().BlockFunc(func(b *jen.Group) {
		if p.Extends != nil {
			b.Id("p").Dot(p.Extends.Name).Dot("mgInit").Call()
		}
		for _, prm := range p.Params {
			if prm.Default == "" {
				continue
			}
			if prm.DefaultFrom != p {
				continue // the parent's mgInit set it
			}
			b.Id("p").Dot(prm.Name).Op("=").Id(prm.Default)
		}
		for _, prm := range p.Params {
			if prm.Default == "" && prm.DefaultFrom == p && prm.Owner != p {
				// Redeclared without a default: the zero value, not the parent's default.
				b.Id("p").Dot(prm.Name).Op("=").Op("*").New(typ(prm.Type))
			}
		}
		for _, n := range p.Nested {
			b.Id("p").Dot(n.Field).Op("=").Id("New" + n.Type.Name).Call()
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

	// Public API.
	f.Commentf("Run runs the pipeline until every stage has ended, and returns its result.")
	f.Func().Params(recv()).Id("Run").Params(jen.Id("ctx").Add(ctxType())).Params(rt("Result"), jen.Error()).Block(
		jen.Return(rt("Run").Call(jen.Id("ctx"), jen.Id("p").Dot("mgGraph").Call())),
	)
	f.Commentf("Start runs the pipeline in the background; the handle waits for it or stops it.")
	f.Func().Params(recv()).Id("Start").Params(jen.Id("ctx").Add(ctxType())).Op("*").Add(rt("Handle")).Block(
		jen.Return(rt("Start").Call(jen.Id("ctx"), jen.Id("p").Dot("mgGraph").Call())),
	)
	f.Commentf("Graph describes the pipeline's stages, edges, strategies and positions.")
	f.Func().Params(recv()).Id("Graph").Params().Add(rt("GraphInfo")).Block(
		jen.Return(jen.Id("p").Dot("mgGraph").Call().Dot("Info").Call()),
	)
}

// emitParam is a body's emit parameter for values of type out.
func emitParam(out ir.Type) *jen.Statement {
	return jen.Id("emit").Func().Params(typ(out))
}

// toStruct is the name of a stage's dynamic routing type.
func toStruct(p *ir.Pipeline, st *ir.Stage) string {
	return "mgTo" + p.Name + "_" + strings.TrimPrefix(st.Method, "mgStage")
}

func hasTo(st *ir.Stage) bool { return len(st.To) > 0 && st.Kind != ir.Consumer }

// stageMethod writes the method that holds a stage's body or binding call.
func (g *gen) stageMethod(p *ir.Pipeline, st *ir.Stage) {
	if st.Kind == ir.Nested || st.Kind == ir.Custom || st.Kind == ir.Queue || st.IsBatch {
		return
	}
	f := g.f
	if hasTo(st) {
		f.Commentf("%s holds one send function per downstream of stage %q, for to.NAME(v).", toStruct(p, st), st.QName)
		f.Type().Id(toStruct(p, st)).StructFunc(func(s *jen.Group) {
			for _, ref := range st.To {
				s.Id(ir.RouteField(st.To, ref)).Func().Params(typ(st.Out))
			}
		})
	}
	var params []jen.Code
	params = append(params, jen.Id("ctx").Add(ctxType()))
	in := st.In
	if st.Kind == ir.Accumulator {
		in = st.BatchType()
	}
	if st.Kind != ir.Producer {
		name := st.InName
		if name == "" || name == "_" && st.Body == nil {
			name = "in"
		}
		params = append(params, jen.Id(name).Add(typ(in)))
	}
	if st.Kind != ir.Consumer && !st.Out.IsZero() {
		params = append(params, emitParam(st.Out))
	}
	if hasTo(st) {
		params = append(params, jen.Id("to").Id(toStruct(p, st)))
	}
	f.Commentf("%s is stage %q (%s:%d).", st.Method, st.QName, path.Base(g.base), st.Pos.Line)
	f.Func().Params(jen.Id("p").Op("*").Id(p.Name)).Id(st.Method).Params(params...).Error().BlockFunc(func(b *jen.Group) {
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
		fn = jen.Id("p").Dot(st.Ref.Name)
	}
	in := jen.Id("in")
	switch st.Ref.Shape {
	case ir.ShapeProducerEmit:
		b.Add(fn).Call(jen.Id("emit"))
		b.Return(jen.Nil())
	case ir.ShapeProducerCtxEmit:
		b.Return(fn.Call(jen.Id("ctx"), jen.Id("emit")))
	case ir.ShapeProducerSeq:
		b.For(jen.Id("v").Op(":=").Range().Add(fn).Call()).Block(jen.Id("emit").Call(jen.Id("v")))
		b.Return(jen.Nil())
	case ir.ShapeProcessorValue:
		b.Id("emit").Call(fn.Call(in))
		b.Return(jen.Nil())
	case ir.ShapeProcessorValueErr, ir.ShapeProcessorCtxValue:
		args := []jen.Code{in}
		if st.Ref.Shape == ir.ShapeProcessorCtxValue {
			args = []jen.Code{jen.Id("ctx"), in}
		}
		b.List(jen.Id("out"), jen.Err()).Op(":=").Add(fn).Call(args...)
		b.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		b.Id("emit").Call(jen.Id("out"))
		b.Return(jen.Nil())
	case ir.ShapeProcessorEmit:
		b.Add(fn).Call(in, jen.Id("emit"))
		b.Return(jen.Nil())
	case ir.ShapeProcessorCtxEmit:
		b.Return(fn.Call(jen.Id("ctx"), in, jen.Id("emit")))
	case ir.ShapeConsumer:
		b.Add(fn).Call(in)
		b.Return(jen.Nil())
	case ir.ShapeConsumerErr:
		b.Return(fn.Call(in))
	case ir.ShapeConsumerCtx:
		b.Return(fn.Call(jen.Id("ctx"), in))
	default:
		panic(fmt.Sprintf("minigungen: internal error: binding shape %d of stage %q", st.Ref.Shape, st.Name))
	}
}

// hookMethod writes the method that holds a hook's body.
func (g *gen) hookMethod(p *ir.Pipeline, h *ir.Hook) {
	params := []jen.Code{jen.Id("ctx").Add(ctxType())}
	switch h.Kind {
	case ir.AfterRun:
		params = append(params, jen.Id("result").Op("*").Add(rt("Result")))
	case ir.OnError:
		errName, itemName := "err", "item"
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
	g.f.Func().Params(jen.Id("p").Op("*").Id(p.Name)).Id(h.Method).Params(params...).Error().BlockFunc(func(b *jen.Group) {
		g.verbatim(b, h.Body.Pos, h.Body.Text, true)
		if !h.Body.Terminates {
			b.Return(jen.Nil())
		}
	})
}
