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
// pipeline with process stages.
func (g *gen) workerSupport(p *ir.Pipeline) {
	f := g.f
	mirror := "mgParams" + p.Name
	f.Commentf("%s carries %s's parameters to its worker processes.", mirror, p.Name)
	f.Type().Id(mirror).StructFunc(func(s *jen.Group) {
		for _, prm := range p.Params {
			s.Id(prm.Name).Add(typ(prm.Type))
		}
	})
	f.Comment("mgEncodeParams encodes the parameters for a new worker process.")
	f.Func().Params(jen.Id("p").Op("*").Id(p.Name)).Id("mgEncodeParams").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(rt("Encode").Call(jen.Id(mirror).Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: len(p.Params) > 0}, func() []jen.Code {
			var items []jen.Code
			for _, prm := range p.Params {
				items = append(items, field(prm.Name, jen.Id("p").Dot(prm.Name)))
			}
			return items
		}()...))),
	)
	f.Comment("mgDecodeParams sets the parameters a worker process was started with.")
	f.Func().Params(jen.Id("p").Op("*").Id(p.Name)).Id("mgDecodeParams").Params(jen.Id("data").Index().Byte()).Error().BlockFunc(func(b *jen.Group) {
		b.Var().Id("v").Id(mirror)
		b.If(jen.Err().Op(":=").Add(rt("Decode")).Call(jen.Id("data"), jen.Op("&").Id("v")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		for _, prm := range p.Params {
			b.Id("p").Dot(prm.Name).Op("=").Id("v").Dot(prm.Name)
		}
		b.Return(jen.Nil())
	})
	f.Commentf("The worker processes of %s are this executable started again: registering", p.Name)
	f.Comment("the pipeline lets the runtime build its graph there and serve one stage.")
	f.Var().Id("_").Op("=").Add(rt("RegisterPipeline")).Index(jen.Id(p.Name)).Call(
		jen.Func().Params(jen.Id("params").Index().Byte()).Params(jen.Op("*").Add(rt("Graph")), jen.Error()).Block(
			jen.Id("p").Op(":=").Id("New"+p.Name).Call(),
			jen.If(jen.Err().Op(":=").Id("p").Dot("mgDecodeParams").Call(jen.Id("params")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Err()),
			),
			jen.Return(jen.Id("p").Dot("mgGraph").Call(), jen.Nil()),
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
	g.f.Commentf("mgStateSpec says how %s's merge fields cross back from worker processes.", p.Name)
	g.f.Func().Params(jen.Id("p").Op("*").Id(p.Name)).Id("mgStateSpec").Params().Op("*").Add(rt("StateSpec")).Block(
		jen.Return(rt("NewState").CustomFunc(jen.Options{Open: "(", Close: ")", Separator: ",", Multi: true}, func(c *jen.Group) {
			for _, fl := range fields {
				args := []jen.Code{jen.Lit(fl.Name), jen.Op("&").Id("p").Dot(fl.Name)}
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
