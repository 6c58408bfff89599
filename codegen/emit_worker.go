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

func mirrorField(s *ir.StateField) string { return "S_" + s.Name }

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

// stateSpec writes mgStateSpec: how the state fields with merge rules start
// in a worker, what a worker ships after each item, and how the parent
// merges it (DESIGN 3.3).
func (g *gen) stateSpec(p *ir.Pipeline) {
	f := g.f
	mirror := "mgState" + p.Name
	fields := mergeFields(p)
	f.Commentf("%s mirrors the merge fields of %s for encoding/gob.", mirror, p.Name)
	f.Type().Id(mirror).StructFunc(func(s *jen.Group) {
		for _, fl := range fields {
			s.Id(mirrorField(fl)).Add(typ(fl.Type))
		}
	})
	pf := func(fl *ir.StateField) *jen.Statement { return jen.Id("p").Dot(fl.Name) }
	mf := func(v string, fl *ir.StateField) *jen.Statement { return jen.Id(v).Dot(mirrorField(fl)) }
	startsCopied := func(fl *ir.StateField) bool {
		return fl.Merge == ir.MergeMax || fl.Merge == ir.MergeMin || fl.Merge == ir.MergeUnion
	}
	// empty sets a worker-accumulated field back to its empty value.
	empty := func(b *jen.Group, fl *ir.StateField) {
		switch {
		case fl.Merge == ir.MergeAppend:
			b.Add(pf(fl)).Op("=").Nil()
		case isMapType(fl.Type):
			b.Add(pf(fl)).Op("=").Make(typ(fl.Type))
		case fl.Merge == ir.MergeSum:
			b.Add(pf(fl)).Op("=").Lit(0)
		default:
			b.Add(pf(fl)).Op("=").Op("*").New(typ(fl.Type))
		}
	}
	f.Commentf("mgStateSpec says how %s's merge fields cross back from worker processes.", p.Name)
	f.Func().Params(jen.Id("p").Op("*").Id(p.Name)).Id("mgStateSpec").Params().Op("*").Add(rt("StateSpec")).BlockFunc(func(b *jen.Group) {
		defs := []jen.Code{
			jen.Id("pending").Id(mirror).Comment("parent: deltas folded so far"),
			jen.Id("folded").Bool(),
		}
		for _, fl := range fields {
			if startsCopied(fl) {
				defs = append(defs, jen.Id("mark").Id(mirror).Comment("worker: values before the current item"))
				break
			}
		}
		for _, fl := range fields {
			if fl.Merge == ir.MergeMax || fl.Merge == ir.MergeMin {
				defs = append(defs, jen.Id("has_"+fl.Name).Bool().Commentf("parent: pending holds a %s for %s", fl.Merge, fl.Name))
			}
		}
		b.Var().Defs(defs...)
		b.Return(jen.Op("&").Add(rt("StateSpec")).Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true},
			field("Start", jen.Func().Params().Params(jen.Index().Byte(), jen.Error()).Block(
				jen.Return(rt("Encode").Call(jen.Id(mirror).ValuesFunc(func(v *jen.Group) {
					for _, fl := range fields {
						if startsCopied(fl) {
							v.Add(field(mirrorField(fl), pf(fl)))
						}
					}
				}))),
			)),
			field("Init", jen.Func().Params(jen.Id("start").Index().Byte()).Error().BlockFunc(func(b *jen.Group) {
				b.Var().Id("s").Id(mirror)
				b.If(jen.Err().Op(":=").Add(rt("Decode")).Call(jen.Id("start"), jen.Op("&").Id("s")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
				for _, fl := range fields {
					if startsCopied(fl) {
						b.Add(pf(fl)).Op("=").Add(mf("s", fl))
						if isMapType(fl.Type) {
							b.If(pf(fl).Op("==").Nil()).Block(pf(fl).Op("=").Make(typ(fl.Type)))
						}
						continue
					}
					empty(b, fl)
				}
				b.Return(jen.Nil())
			})),
			field("Mark", jen.Func().Params().BlockFunc(func(b *jen.Group) {
				for _, fl := range fields {
					if !startsCopied(fl) {
						continue
					}
					if isMapType(fl.Type) {
						b.Add(mf("mark", fl)).Op("=").Qual("maps", "Clone").Call(pf(fl))
					} else {
						b.Add(mf("mark", fl)).Op("=").Add(pf(fl))
					}
				}
			})),
			field("Undo", jen.Func().Params().BlockFunc(func(b *jen.Group) {
				for _, fl := range fields {
					if startsCopied(fl) {
						b.Add(pf(fl)).Op("=").Add(mf("mark", fl))
						continue
					}
					empty(b, fl)
				}
			})),
			field("Take", jen.Func().Params().Params(jen.Index().Byte(), jen.Error()).BlockFunc(func(b *jen.Group) {
				b.List(jen.Id("data"), jen.Err()).Op(":=").Add(rt("Encode")).Call(jen.Id(mirror).ValuesFunc(func(v *jen.Group) {
					for _, fl := range fields {
						v.Add(field(mirrorField(fl), pf(fl)))
					}
				}))
				for _, fl := range fields {
					if !startsCopied(fl) {
						empty(b, fl)
					}
				}
				b.Return(jen.Id("data"), jen.Err())
			})),
			field("Fold", jen.Func().Params(jen.Id("delta").Index().Byte()).Error().BlockFunc(func(b *jen.Group) {
				b.Var().Id("d").Id(mirror)
				b.If(jen.Err().Op(":=").Add(rt("Decode")).Call(jen.Id("delta"), jen.Op("&").Id("d")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
				for _, fl := range fields {
					if fl.Merge == ir.MergeFunc {
						// The first delta is taken as it is: FUNC's identity need not be the zero value.
						b.If(jen.Op("!").Id("folded")).Block(
							mf("pending", fl).Op("=").Add(mf("d", fl)),
						).Else().Block(
							mf("pending", fl).Op("=").Id(fl.MergeFunc).Call(mf("pending", fl), mf("d", fl)),
						)
						continue
					}
					g.mergeInto(b, fl, mf("pending", fl), mf("d", fl), jen.Id("has_"+fl.Name), true)
				}
				b.Id("folded").Op("=").True()
				b.Return(jen.Nil())
			})),
			field("Apply", jen.Func().Params().BlockFunc(func(b *jen.Group) {
				b.If(jen.Op("!").Id("folded")).Block(jen.Return())
				for _, fl := range fields {
					switch fl.Merge {
					case ir.MergeMax, ir.MergeMin:
						op := ">"
						if fl.Merge == ir.MergeMin {
							op = "<"
						}
						b.If(jen.Id("has_" + fl.Name).Op("&&").Add(mf("pending", fl)).Op(op).Add(pf(fl))).Block(pf(fl).Op("=").Add(mf("pending", fl)))
					default:
						g.mergeInto(b, fl, pf(fl), mf("pending", fl), nil, false)
					}
				}
				b.Id("pending").Op("=").Id(mirror).Values()
				b.Id("folded").Op("=").False()
				for _, fl := range fields {
					if fl.Merge == ir.MergeMax || fl.Merge == ir.MergeMin {
						b.Id("has_" + fl.Name).Op("=").False()
					}
				}
			})),
		))
	})
}

// mergeInto writes `into = merge(into, from)` for one field's rule. For max
// and min in Fold, has records whether into holds a value yet.
func (g *gen) mergeInto(b *jen.Group, fl *ir.StateField, into, from *jen.Statement, has jen.Code, fold bool) {
	switch fl.Merge {
	case ir.MergeSum:
		b.Add(into).Op("+=").Add(from)
	case ir.MergeAppend:
		b.Add(into).Op("=").Append(into, from.Clone().Op("..."))
	case ir.MergeUnion:
		b.If(into.Clone().Op("==").Nil()).Block(into.Clone().Op("=").Make(typ(fl.Type)))
		b.Qual("maps", "Copy").Call(into, from)
	case ir.MergeMax, ir.MergeMin:
		op := ">"
		if fl.Merge == ir.MergeMin {
			op = "<"
		}
		b.If(jen.Op("!").Add(has).Op("||").Add(from).Op(op).Add(into)).Block(
			into.Clone().Op("=").Add(from),
			jen.Add(has).Op("=").True(),
		)
	case ir.MergeFunc:
		b.Add(into).Op("=").Id(fl.MergeFunc).Call(into, from)
	}
}

func isMapType(t ir.Type) bool { return len(t.Go) > 4 && t.Go[:4] == "map[" }
