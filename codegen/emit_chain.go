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
func (g *gen) chainBind(n *ir.Node, params []jen.Code) *jen.Statement {
	nodes := n.Chain.Nodes
	last := nodes[len(nodes)-1]
	mgW, mgCtx, mgIn := id(ir.WorkerVar), id(ir.CtxVar), id(ir.InVar)
	return jen.Func().Params(mgW.Clone().Op("*").Add(rt("Emitter")).Index(typ(n.Out))).Func().Params(params...).Error().BlockFunc(func(b *jen.Group) {
		b.Var().Id(ir.ChainCtxVar).Add(ctxType())
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
		for i := len(nodes) - 1; i >= 1; i-- {
			b.Id(ir.ChainCallVar(i)).Op(":=").Add(g.chainCall(nodes[i], i, next, to))
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

// chainCall is the function that runs the i-th stage of a chain on one item; emit (nil for a
// consumer) is what its body emits to, and to (the last stage only) its to.NAME senders.
func (g *gen) chainCall(n *ir.Node, i int, emit, to jen.Code) *jen.Statement {
	f := jen.Id(ir.FusedVar(i))
	fast := "Fast"
	if i == 1 && n.Chain.Nodes[0].Decl.Kind == ir.Producer {
		fast = "FastFirst" // it also stops the producer once the run stopped
	}
	mgV, mgS, mgOK, mgErr := id(ir.ValueVar), id(ir.StateVar), id(ir.OKVar), id(ir.ErrVar)
	args := []jen.Code{jen.Id(ir.ChainCtxVar), mgV}
	if emit != nil {
		args = append(args, emit)
	}
	if to != nil {
		args = append(args, to)
	}
	return jen.Func().Params(mgV.Clone().Add(typ(n.In))).Block(
		mgS.Clone().Op(":=").Lit(1),
		jen.If(jen.Op("!").Add(f).Dot(fast).Call()).Block(
			mgS.Clone().Op("=").Add(f).Dot("Enter").Call(),
		),
		mgOK.Clone().Op(":=").False(),
		jen.Defer().Func().Params().Block(
			jen.If(jen.Op("!").Add(mgOK)).Block(f.Clone().Dot("Panic").Call(mgV, jen.Recover())),
		).Call(),
		jen.If(mgErr.Clone().Op(":=").Add(g.bodyCall(n)).Call(args...), mgErr.Clone().Op("!=").Nil()).Block(
			f.Clone().Dot("Fail").Call(mgV, mgErr),
		),
		mgOK.Clone().Op("=").True(),
		jen.If(mgS.Clone().Op("==").Lit(2)).Block(f.Clone().Dot("Leave").Call()),
	)
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
