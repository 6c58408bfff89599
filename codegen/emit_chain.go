package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/minigun-go/minigun/ir"
)

// Chains (ir.Chain): a one-to-one run of inline stages compiles into direct calls on the
// goroutine of its first stage. The first stage's bind function makes one function per later
// stage, last first: it enters the stage (its counters, hooks, cancellation), calls the
// stage's body with the next stage's function as its emit, and records an error or a panic
// as that item's failure in that stage. The other stages are created without a bind
// function: the runtime never runs them on their own (mgrt.Chain).

// chained reports whether n is a stage of a chain after its first.
func (g *gen) chained(n *ir.Node) bool {
	return !g.opts.NoChains && n.Chain != nil && n.Chain.Nodes[0] != n
}

// chainHead reports whether n begins a chain.
func (g *gen) chainHead(n *ir.Node) bool {
	return !g.opts.NoChains && n.Chain != nil && n.Chain.Nodes[0] == n
}

// chainMember writes the creation of a stage after the first of its chain.
func (g *gen) chainMember(b *jen.Group, v *jen.Statement, n *ir.Node) {
	st := n.Decl
	switch st.Kind {
	case ir.Processor:
		b.Add(v).Add(rt("Processor")).Index(jen.List(typ(n.In), typ(n.Out))).Call(id(ir.GraphVar), g.spec(n), jen.Nil())
	case ir.Consumer:
		b.Add(v).Add(rt("Consumer")).Index(typ(n.In)).Call(id(ir.GraphVar), g.spec(n), jen.Nil())
	case ir.Custom:
		b.Add(v).Add(rt("Custom")).Index(jen.List(typ(n.In), typ(n.Out))).Call(id(ir.GraphVar), g.spec(n), jen.Id(st.Ref.Expr))
	}
}

// chainBind is the bind function of the first stage of a chain. params are the parameters
// of the function it returns (ctx, and the item for a stage with an input).
//
// Each stage's function recovers a panic of its body as that item's failure in that stage.
// A stage whose predecessor's body ends in its only emit (ir.Stage.TailEmit) is covered:
// its function has no recovery of its own on the common path, and a panic of its body
// unwinds the predecessor's body, which had nothing left to run, to the recovery of a stage
// before it. mgCur says whose code runs, mgItemN the item of covered stage N, so that the
// recovery records the panic in the stage it happened in, on its item.
func (g *gen) chainBind(n *ir.Node, params []jen.Code) *jen.Statement {
	nodes := n.Chain.Nodes
	last := nodes[len(nodes)-1]
	covered := func(i int) bool { return i >= 2 && nodes[i-1].Decl.TailEmit }
	anyCovered := false
	for i := range nodes {
		anyCovered = anyCovered || covered(i)
	}
	mgW, mgCtx, mgIn := id(ir.WorkerVar), id(ir.CtxVar), id(ir.InVar)
	return jen.Func().Params(mgW.Clone().Op("*").Add(rt("Emitter")).Index(typ(n.Out))).Func().Params(params...).Error().BlockFunc(func(b *jen.Group) {
		b.Var().Id(ir.ChainCtxVar).Add(ctxType())
		if anyCovered {
			b.Var().Id(ir.ChainCurVar).Int()
			for i := range nodes {
				if covered(i) {
					b.Var().Id(ir.ChainItemVar(i)).Add(typ(nodes[i].In))
				}
			}
		}
		b.ListFunc(func(l *jen.Group) {
			for i := range nodes[1:] {
				l.Id(ir.FusedVar(i + 1))
			}
		}).Op(":=").ListFunc(func(l *jen.Group) {
			for i := range nodes[1:] {
				l.Add(mgW).Dot("Chained").Call(jen.Lit(i + 1))
			}
		})
		// The last stage sends to its own downstreams, with an Emitter of its own (and its
		// own to.NAME senders).
		var next, to jen.Code
		if !last.Out.IsZero() && last.Decl.Kind != ir.Consumer {
			b.Id(ir.ChainLastWVar).Op(":=").Add(rt("ChainEmitter")).Index(typ(last.Out)).Call(jen.Id(ir.FusedVar(len(nodes) - 1)))
			b.Id(ir.ChainLastVar).Op(":=").Id(ir.ChainLastWVar).Dot("Emit")
			next = jen.Id(ir.ChainLastVar)
			if hasTo(last.Decl) {
				b.Id(ir.ToVar).Op(":=").Id(last.Decl.ToType).ValuesFunc(func(vg *jen.Group) {
					for _, ref := range last.Decl.To {
						vg.Id(ir.RouteField(last.Decl.To, ref)).Op(":").Add(g.toSender(last, ref, ir.ChainLastWVar))
					}
				})
				to = jen.Id(ir.ToVar)
			}
		}
		if anyCovered {
			// A panic that reached a recovery from a covered stage: recorded there.
			mgR := id(ir.RecoveredVar)
			b.Id(ir.ChainPanicVar).Op(":=").Func().Params(mgR.Clone().Any()).Bool().Block(
				jen.Switch(jen.Id(ir.ChainCurVar)).BlockFunc(func(sw *jen.Group) {
					for i := range nodes {
						if covered(i) {
							sw.Case(jen.Lit(i)).Block(jen.Id(ir.FusedVar(i)).Dot("Panic").Call(jen.Id(ir.ChainItemVar(i)), mgR))
						}
					}
					sw.Default().Block(jen.Return(jen.False()))
				}),
				jen.Return(jen.True()),
			)
		}
		for i := len(nodes) - 1; i >= 1; i-- {
			c := chainCall{g: g, n: nodes[i], i: i, emit: next, to: to, tracked: anyCovered}
			if covered(i) {
				b.Id(ir.ChainSlowVar(i)).Op(":=").Add(c.recovering(true))
				b.Id(ir.ChainCallVar(i)).Op(":=").Add(c.covered())
			} else {
				b.Id(ir.ChainCallVar(i)).Op(":=").Add(c.recovering(false))
			}
			next, to = jen.Id(ir.ChainCallVar(i)), nil
		}
		call := []jen.Code{mgCtx}
		if n.Decl.Kind != ir.Producer {
			call = append(call, mgIn)
		}
		call = append(call, next)
		b.Return(jen.Func().Params(params...).Error().Block(
			jen.Id(ir.ChainCtxVar).Op("=").Add(mgCtx),
			jen.Return(g.bodyCall(n).Call(call...)),
		))
	})
}

// bodyCall is what runs a stage's body: its method, or the Process method of the value a
// custom stage is bound to.
func (g *gen) bodyCall(n *ir.Node) *jen.Statement {
	if n.Decl.Kind == ir.Custom {
		return jen.Id(n.Decl.Ref.Expr).Dot("Process")
	}
	return jen.Id(n.Recv).Dot(n.Decl.Method)
}

// chainCall writes the functions that run the i-th stage of a chain on one item; emit (nil
// for a consumer) is what its body emits to, and to (the last stage only) its to.NAME
// senders. tracked: the chain has covered stages, and each stage keeps mgCur.
type chainCall struct {
	g       *gen
	n       *ir.Node
	i       int
	emit    jen.Code
	to      jen.Code
	tracked bool
}

// body calls the stage's body and records an error it returns.
func (c chainCall) body() jen.Code {
	mgV, mgErr := id(ir.ValueVar), id(ir.ErrVar)
	args := []jen.Code{jen.Id(ir.ChainCtxVar), mgV}
	if c.emit != nil {
		args = append(args, c.emit)
	}
	if c.to != nil {
		args = append(args, c.to)
	}
	return jen.If(mgErr.Clone().Op(":=").Add(c.g.bodyCall(c.n)).Call(args...), mgErr.Clone().Op("!=").Nil()).Block(
		jen.Id(ir.FusedVar(c.i)).Dot("Fail").Call(mgV, mgErr),
	)
}

// recovering is the stage's function with a recovery of its own. slow: the slow way of a
// covered stage, whose Fast was already called.
func (c chainCall) recovering(slow bool) *jen.Statement {
	f := jen.Id(ir.FusedVar(c.i))
	fast := "Fast"
	if c.i == 1 && c.n.Chain.Nodes[0].Decl.Kind == ir.Producer {
		fast = "FastFirst" // it also stops the producer once the run stopped
	}
	mgV, mgS, mgOK, mgR, cur := id(ir.ValueVar), id(ir.StateVar), id(ir.OKVar), id(ir.RecoveredVar), jen.Id(ir.ChainCurVar)
	return jen.Func().Params(mgV.Clone().Add(typ(c.n.In))).BlockFunc(func(b *jen.Group) {
		if slow {
			b.Add(mgS).Op(":=").Add(f).Dot("Enter").Call()
		} else {
			b.Add(mgS).Op(":=").Lit(1)
			b.If(jen.Op("!").Add(f).Dot(fast).Call()).Block(
				mgS.Clone().Op("=").Add(f).Dot("Enter").Call(),
			)
		}
		b.Add(mgOK).Op(":=").False()
		b.Defer().Func().Params().BlockFunc(func(d *jen.Group) {
			if !c.tracked {
				d.If(jen.Op("!").Add(mgOK)).Block(f.Clone().Dot("Panic").Call(mgV, jen.Recover()))
				return
			}
			d.If(jen.Op("!").Add(mgOK)).Block(
				mgR.Clone().Op(":=").Recover(),
				jen.If(cur.Clone().Op("==").Lit(c.i).Op("||").Op("!").Id(ir.ChainPanicVar).Call(mgR)).Block(
					f.Clone().Dot("Panic").Call(mgV, mgR),
				),
				cur.Clone().Op("=").Lit(c.i-1),
			)
		}).Call()
		if c.tracked {
			b.Add(cur).Op("=").Lit(c.i)
		}
		b.Add(c.body())
		if c.tracked {
			b.Add(cur).Op("=").Lit(c.i - 1)
		}
		b.Add(mgOK).Op("=").True()
		b.If(mgS.Clone().Op("==").Lit(2)).Block(f.Clone().Dot("Leave").Call())
	})
}

// covered is the function of a covered stage: on the common way, no recovery of its own.
func (c chainCall) covered() *jen.Statement {
	f := jen.Id(ir.FusedVar(c.i))
	mgV, cur := id(ir.ValueVar), jen.Id(ir.ChainCurVar)
	return jen.Func().Params(mgV.Clone().Add(typ(c.n.In))).BlockFunc(func(b *jen.Group) {
		b.If(jen.Op("!").Add(f).Dot("Fast").Call()).Block(
			jen.Id(ir.ChainSlowVar(c.i)).Call(mgV),
			jen.Return(),
		)
		b.List(jen.Id(ir.ChainItemVar(c.i)), cur).Op("=").List(mgV, jen.Lit(c.i))
		b.Add(c.body())
		b.Add(cur).Op("=").Lit(c.i - 1)
	})
}

// chainDecls writes the mgrt.Chain declaration of each chain of the graph.
func (g *gen) chainDecls(b *jen.Group, gr *ir.Graph) {
	if g.opts.NoChains {
		return
	}
	for _, c := range gr.Chains {
		b.Add(rt("Chain")).CallFunc(func(a *jen.Group) {
			for _, n := range c.Nodes {
				a.Id(n.Var)
			}
		})
	}
}
