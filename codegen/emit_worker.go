package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/minigun-go/minigun/ir"
)

// What generated code adds for worker processes (DESIGN 3.3): a gob mirror
// of the parameters with its encoder and decoder, a StateSpec per pipeline
// type whose state has merge rules, and the registration that lets the same
// executable serve a stage as a worker.

// hasProcessStages reports whether a pipeline's run graph has a stage that
// runs in worker processes.
func hasProcessStages(p *ir.Pipeline) bool {
	if p.Graph == nil {
		return false
	}
	for _, n := range p.Graph.Nodes {
		if n.Decl.Strategy.IsProcess() {
			return true
		}
	}
	return false
}

// hasMergeState reports whether a pipeline type has state fields with merge
// rules, its own or inherited.
func hasMergeState(p *ir.Pipeline) bool { return len(mergeFields(p)) > 0 }

// mergeFields are the state fields with merge rules that bodies of p can
// write: its own, then its parents' (reached through embedding), a child's
// field hiding a parent's of the same name.
func mergeFields(p *ir.Pipeline) []*ir.StateField {
	var out []*ir.StateField
	seen := map[string]bool{}
	for q := p; q != nil; q = q.Extends {
		for _, s := range q.State {
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if s.Merge != ir.MergeNone {
				out = append(out, s)
			}
		}
	}
	return out
}

// workerSupport writes the parameter mirror and the registration of a
// pipeline with process stages. The mirror carries every parameter the
// pipeline value reaches, its nested pipelines' included: a worker builds the
// whole graph again with the values of the run.
func (g *gen) workerSupport(p *ir.Pipeline) {
	f := g.f
	mirror := ir.ParamsMirror(p.Name)
	mgP, mgV, mgErr := id(ir.RecvVar), id(ir.ValueVar), id(ir.ErrVar)
	ref := func(base *jen.Statement, r ir.ParamRef) *jen.Statement {
		s := base.Clone()
		for _, fld := range r.Path {
			s = s.Dot(fld)
		}
		return s.Dot(r.Param.Name)
	}
	f.Commentf("%s carries %s's parameters to its worker processes.", mirror, p.Name)
	f.Type().Id(mirror).StructFunc(func(s *jen.Group) {
		for _, r := range p.AllParams {
			s.Id(r.Mirror).Add(typ(r.Param.Type))
		}
	})
	f.Commentf("%s encodes the parameters for a new worker process.", ir.EncodeParamsMethod)
	f.Func().Params(mgP.Clone().Op("*").Id(p.Name)).Id(ir.EncodeParamsMethod).Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(rt("Encode").Call(jen.Id(mirror).Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: len(p.AllParams) > 0}, func() []jen.Code {
			var items []jen.Code
			for _, r := range p.AllParams {
				items = append(items, field(r.Mirror, ref(mgP, r)))
			}
			return items
		}()...))),
	)
	f.Commentf("%s sets the parameters a worker process was started with.", ir.DecodeParamsMethod)
	f.Func().Params(mgP.Clone().Op("*").Id(p.Name)).Id(ir.DecodeParamsMethod).Params(id(ir.DataVar).Index().Byte()).Error().BlockFunc(func(b *jen.Group) {
		b.Var().Add(mgV).Id(mirror)
		b.If(mgErr.Clone().Op(":=").Add(rt("Decode")).Call(id(ir.DataVar), jen.Op("&").Add(mgV)), mgErr.Clone().Op("!=").Nil()).Block(jen.Return(mgErr))
		for _, r := range p.AllParams {
			b.Add(ref(mgP, r)).Op("=").Add(mgV).Dot(r.Mirror)
		}
		b.Return(jen.Nil())
	})
	f.Commentf("The worker processes of %s are this executable started again: registering", p.Name)
	f.Comment("the pipeline lets the runtime build its graph there and serve one stage.")
	f.Var().Id("_").Op("=").Add(rt("RegisterPipeline")).Index(jen.Id(p.Name)).Call(
		jen.Func().Params(id(ir.ParamsVar).Index().Byte()).Params(jen.Op("*").Add(rt("Graph")), jen.Error()).Block(
			mgP.Clone().Op(":=").Id(ir.Constructor(p.Name)).Call(),
			jen.If(mgErr.Clone().Op(":=").Add(mgP).Dot(ir.DecodeParamsMethod).Call(id(ir.ParamsVar)), mgErr.Clone().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), mgErr),
			),
			jen.Return(mgP.Clone().Dot(ir.GraphMethod).Call(), jen.Nil()),
		),
	)
}

// serveWorkers writes the init function that turns this executable into a
// worker when it was started as one.
func (g *gen) serveWorkers() {
	g.f.Comment("A worker process serves its stage here and exits before main runs.")
	g.f.Func().Id("init").Params().Block(rt("ServeWorker").Call())
}

// stateSpec writes mgStateSpec: the state fields with merge rules, each with
// the runtime's function for its rule (DESIGN 3.3). How a rule starts, ships and
// merges is the runtime's business; the Go compiler checks each field's type
// against its rule.
func (g *gen) stateSpec(p *ir.Pipeline) {
	fields := mergeFields(p)
	g.f.Commentf("%s says how %s's merge fields cross back from worker processes.", ir.StateSpecMethod, p.Name)
	g.f.Func().Params(id(ir.RecvVar).Op("*").Id(p.Name)).Id(ir.StateSpecMethod).Params().Op("*").Add(rt("StateSpec")).Block(
		jen.Return(rt("NewState").CustomFunc(jen.Options{Open: "(", Close: ")", Separator: ",", Multi: true}, func(c *jen.Group) {
			for _, fl := range fields {
				args := []jen.Code{jen.Lit(fl.Name), jen.Op("&").Id(ir.RecvVar).Dot(fl.Name)}
				if fl.Merge == ir.MergeFunc {
					args = append(args, jen.Id(fl.MergeFunc))
				}
				c.Add(rt(mergeFuncs[fl.Merge]).Call(args...))
			}
		})),
	)
}

// mergeFuncs names the runtime function of each merge rule.
var mergeFuncs = map[ir.MergeKind]string{
	ir.MergeSum: "MergeSum", ir.MergeAppend: "MergeAppend", ir.MergeUnion: "MergeUnion",
	ir.MergeMax: "MergeMax", ir.MergeMin: "MergeMin", ir.MergeFunc: "MergeFunc",
}
