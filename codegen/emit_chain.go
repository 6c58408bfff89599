package codegen

import (
	"fmt"
	"path"
	"strconv"
	"strings"

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

// chainBind is the bind function of the first stage of a chain, p's stage n; params are the
// parameters of the function it returns (ctx, and the item for a stage with an input). It
// makes the chain's value, whose type (chainType) holds the code that runs it.
func (g *gen) chainBind(p *ir.Pipeline, n *ir.Node, params []jen.Code) *jen.Statement {
	nodes := n.Chain.Nodes
	last := nodes[len(nodes)-1]
	name := ir.ChainType(p.Name, n.Index)
	g.chains = append(g.chains, g.chainType(p, n, name))
	mgW, mgCtx, mgIn, c := id(ir.WorkerVar), id(ir.CtxVar), id(ir.InVar), id(ir.ChainRecv)
	return jen.Func().Params(mgW.Clone().Op("*").Add(rt("Emitter")).Index(typ(n.Out))).Func().Params(params...).Error().BlockFunc(func(b *jen.Group) {
		b.Add(c).Op(":=").Op("&").Id(name).ValuesFunc(func(vg *jen.Group) {
			vg.Id(ir.RecvVar).Op(":").Id(ir.RecvVar)
			for i := range nodes[1:] {
				vg.Id(ir.FusedVar(i + 1)).Op(":").Add(mgW).Dot("Chained").Call(jen.Lit(i + 1))
			}
		})
		// The last stage sends to its own downstreams, with an Emitter of its own (and its
		// own to.NAME senders).
		if chainEmits(last) {
			b.Add(c).Dot(ir.ChainLastWVar).Op("=").Add(rt("ChainEmitter")).Index(typ(last.Out)).Call(c.Clone().Dot(ir.FusedVar(len(nodes) - 1)))
			if hasTo(last.Decl) {
				b.Add(c).Dot(ir.ToVar).Op("=").Id(last.Decl.ToType).ValuesFunc(func(vg *jen.Group) {
					for _, ref := range last.Decl.To {
						vg.Id(ir.RouteField(last.Decl.To, ref)).Op(":").Add(g.toSender(last, ref, ir.ChainRecv+"."+ir.ChainLastWVar))
					}
				})
			}
		}
		call := []jen.Code{mgCtx}
		if n.Decl.Kind != ir.Producer {
			call = append(call, mgIn)
		}
		b.Return(jen.Func().Params(params...).Error().Block(
			c.Clone().Dot(ir.ChainCtxVar).Op("=").Add(mgCtx),
			jen.Return(c.Clone().Dot(ir.ChainBodyMethod(0)).Call(call...)),
		))
	})
}

// chainEmits reports whether the last stage of a chain sends to downstreams of its own.
func chainEmits(last *ir.Node) bool {
	return !last.Out.IsZero() && last.Decl.Kind != ir.Consumer
}

// covered reports whether the i-th stage of a chain is covered by the recovery of a stage
// before it (see chainType).
func covered(nodes []*ir.Node, i int) bool { return i >= 2 && nodes[i-1].Decl.TailEmit }

// chainType writes the type that runs a chain: its fields hold what the stages share on the
// chain's goroutine, mgBodyN holds the body of its N-th stage, whose emit calls mgCallN+1
// directly (a local function, which the Go compiler inlines), and mgCallN enters stage N
// (its counters, hooks, cancellation), calls its body, and records an error or a panic as
// that item's failure in that stage.
//
// Each stage's mgCallN recovers a panic of its body as that item's failure in that stage. A
// stage whose predecessor's body ends in its only emit (ir.Stage.TailEmit) is covered: its
// mgCallN has no recovery of its own on the common path, and a panic of its body unwinds the
// predecessor's body, which had nothing left to run, to the recovery of a stage before it.
// mgCur says whose code runs, mgItemN the item of covered stage N, so that the recovery
// records the panic in the stage it happened in, on its item.
func (g *gen) chainType(p *ir.Pipeline, head *ir.Node, name string) jen.Code {
	nodes := head.Chain.Nodes
	last := nodes[len(nodes)-1]
	anyCovered := false
	for i := range nodes {
		anyCovered = anyCovered || covered(nodes, i)
	}
	out := jen.Null()
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	out.Commentf("%s runs the chain %s of pipeline %s on the goroutine of its first stage.", name, strings.Join(names, " → "), p.Name).Line()
	out.Type().Id(name).StructFunc(func(s *jen.Group) {
		s.Id(ir.RecvVar).Op("*").Id(p.Name)
		s.Id(ir.ChainCtxVar).Add(ctxType())
		if anyCovered {
			s.Id(ir.ChainCurVar).Int()
			for i := range nodes {
				if covered(nodes, i) {
					s.Id(ir.ChainItemVar(i)).Add(typ(nodes[i].In))
				}
			}
		}
		for i := range nodes[1:] {
			s.Id(ir.FusedVar(i + 1)).Op("*").Add(rt("FusedStage"))
		}
		if chainEmits(last) {
			s.Id(ir.ChainLastWVar).Op("*").Add(rt("Emitter")).Index(typ(last.Out))
			if hasTo(last.Decl) {
				s.Id(ir.ToVar).Id(last.Decl.ToType)
			}
		}
	}).Line()
	recv := func() *jen.Statement { return jen.Id(ir.ChainRecv).Op("*").Id(name) }
	c := func() *jen.Statement { return id(ir.ChainRecv) }
	for i, n := range nodes {
		out.Line().Commentf("%s is stage %q (%s:%d) in the chain.", ir.ChainBodyMethod(i), n.Name, path.Base(g.base), n.Decl.Pos.Line)
		out.Line().Add(g.chainBody(recv(), n, i, i == len(nodes)-1)).Line()
	}
	if anyCovered {
		// A panic that reached a recovery from a covered stage: recorded there.
		mgR := id(ir.RecoveredVar)
		out.Line().Commentf("%s records a panic that reached a recovery from a covered stage in that stage.", ir.ChainPanicVar)
		out.Line().Func().Params(recv()).Id(ir.ChainPanicVar).Params(mgR.Clone().Any()).Bool().Block(
			jen.Switch(c().Dot(ir.ChainCurVar)).BlockFunc(func(sw *jen.Group) {
				for i := range nodes {
					if covered(nodes, i) {
						sw.Case(jen.Lit(i)).Block(c().Dot(ir.FusedVar(i)).Dot("Panic").Call(c().Dot(ir.ChainItemVar(i)), mgR))
					}
				}
				sw.Default().Block(jen.Return(jen.False()))
			}),
			jen.Return(jen.True()),
		).Line()
	}
	for i := 1; i < len(nodes); i++ {
		cc := chainCall{n: nodes[i], i: i, tracked: anyCovered}
		if covered(nodes, i) {
			out.Line().Commentf("%s runs stage %q on one item, with a recovery of its own.", ir.ChainSlowVar(i), nodes[i].Name)
			out.Line().Func().Params(recv()).Id(ir.ChainSlowVar(i)).Add(cc.recovering(true)).Line()
			out.Line().Commentf("%s runs stage %q on one item; a panic is recovered before it.", ir.ChainCallVar(i), nodes[i].Name)
			out.Line().Func().Params(recv()).Id(ir.ChainCallVar(i)).Add(cc.covered()).Line()
		} else {
			out.Line().Commentf("%s runs stage %q on one item.", ir.ChainCallVar(i), nodes[i].Name)
			out.Line().Func().Params(recv()).Id(ir.ChainCallVar(i)).Add(cc.recovering(false)).Line()
		}
	}
	return out
}

// chainBody writes the method that holds the body (or binding call) of the i-th stage n of a
// chain: the names a body sees are locals, its emit calls the next stage's mgCall (or, from
// the last stage, its Emitter).
func (g *gen) chainBody(recv *jen.Statement, n *ir.Node, i int, isLast bool) jen.Code {
	st := n.Decl
	if !strings.HasPrefix(n.Recv, ir.RecvVar) || st.Kind == ir.Custom {
		panic(fmt.Sprintf("minigungen: internal error: stage %q cannot be chained", n.Name))
	}
	c := id(ir.ChainRecv)
	if st.Body != nil && (ir.MentionsReserved(st.Body.Text) || strings.HasPrefix(st.InName, ir.Reserved)) {
		return g.chainBodyCall(recv, n, i, isLast)
	}
	pName, ctx, inName, emit, to := ir.BodyRecv, ir.BodyCtx, st.InName, ir.BodyEmit, ir.BodyTo
	if st.Body == nil {
		pName, ctx, inName, emit, to = ir.RecvVar, ir.CtxVar, ir.InVar, ir.EmitVar, ir.ToVar
	}
	params := []jen.Code{id(ctx).Add(ctxType())}
	if st.Kind != ir.Producer {
		params = append(params, id(inName).Add(typ(n.In)))
	}
	return jen.Func().Params(recv).Id(ir.ChainBodyMethod(i)).Params(params...).Error().BlockFunc(func(b *jen.Group) {
		used := []jen.Code{id(pName)}
		b.Add(id(pName)).Op(":=").Id(ir.RecvPointer(ir.ChainRecv+"."+ir.RecvVar, n.Recv))
		var idents map[string]string
		if !n.Out.IsZero() && st.Kind != ir.Consumer {
			next := ir.ChainRecv + "." + ir.ChainLastWVar + ".Emit"
			if !isLast {
				next = ir.ChainRecv + "." + ir.ChainCallVar(i+1)
			}
			if st.Body != nil {
				// emit(v) is spelled as a call of the next stage, which the Go compiler
				// inlines where it is small. A chained body uses emit only so: one that
				// declares it, or uses it as a value, emits concurrently (ir) and is not
				// chained.
				idents = map[string]string{emit: next}
			} else {
				// A binding's call: a method value called from a local, a direct call.
				b.Id(emit).Op(":=").Id(next)
				used = append(used, id(emit))
			}
		}
		if isLast && hasTo(st) {
			b.Id(to).Op(":=").Add(c).Dot(ir.ToVar)
			used = append(used, id(to))
		}
		blanks := make([]jen.Code, len(used))
		for k := range blanks {
			blanks[k] = jen.Id("_")
		}
		b.List(blanks...).Op("=").List(used...)
		if st.Body != nil {
			g.texts = append(g.texts, userText{pos: st.Body.Pos, text: st.Body.Text, inFunc: true, copy: true, idents: idents})
			b.Comment(placeholderPrefix + strconv.Itoa(len(g.texts)-1))
			if !st.Body.Terminates {
				b.Return(jen.Nil())
			}
			return
		}
		g.bindingCall(b, st)
	})
}

// chainBodyCall is chainBody for a body that spells a name with the reserved prefix, which
// could meet the chain's own names: it calls the stage's method, with the next stage's
// method value as its emit.
func (g *gen) chainBodyCall(recv *jen.Statement, n *ir.Node, i int, isLast bool) jen.Code {
	st := n.Decl
	c := id(ir.ChainRecv)
	params := []jen.Code{id(ir.CtxVar).Add(ctxType())}
	args := []jen.Code{id(ir.CtxVar)}
	if st.Kind != ir.Producer {
		params = append(params, id(ir.InVar).Add(typ(n.In)))
		args = append(args, id(ir.InVar))
	}
	if !n.Out.IsZero() && st.Kind != ir.Consumer {
		next := c.Clone().Dot(ir.ChainLastWVar).Dot("Emit")
		if !isLast {
			next = c.Clone().Dot(ir.ChainCallVar(i + 1))
		}
		args = append(args, next)
	}
	if isLast && hasTo(st) {
		args = append(args, c.Clone().Dot(ir.ToVar))
	}
	return jen.Func().Params(recv).Id(ir.ChainBodyMethod(i)).Params(params...).Error().Block(
		jen.Return(jen.Id(ir.ChainRecv + "." + n.Recv).Dot(st.Method).Call(args...)),
	)
}

// chainCall writes the methods that run the i-th stage n of a chain on one item. tracked:
// the chain has covered stages, and each stage keeps mgCur.
type chainCall struct {
	n       *ir.Node
	i       int
	tracked bool
}

// body calls the stage's body and records an error it returns.
func (cc chainCall) body() jen.Code {
	mgV, mgErr, c := id(ir.ValueVar), id(ir.ErrVar), id(ir.ChainRecv)
	return jen.If(mgErr.Clone().Op(":=").Add(c).Dot(ir.ChainBodyMethod(cc.i)).Call(c.Clone().Dot(ir.ChainCtxVar), mgV), mgErr.Clone().Op("!=").Nil()).Block(
		c.Clone().Dot(ir.FusedVar(cc.i)).Dot("Fail").Call(mgV, mgErr),
	)
}

// recovering is the stage's function with a recovery of its own. slow: the slow way of a
// covered stage, whose Fast was already called.
func (cc chainCall) recovering(slow bool) *jen.Statement {
	c := id(ir.ChainRecv)
	f := c.Clone().Dot(ir.FusedVar(cc.i))
	fast := "Fast"
	if cc.i == 1 && cc.n.Chain.Nodes[0].Decl.Kind == ir.Producer {
		fast = "FastFirst" // it also stops the producer once the run stopped
	}
	mgV, mgS, mgOK, mgR, cur := id(ir.ValueVar), id(ir.StateVar), id(ir.OKVar), id(ir.RecoveredVar), c.Clone().Dot(ir.ChainCurVar)
	return jen.Params(mgV.Clone().Add(typ(cc.n.In))).BlockFunc(func(b *jen.Group) {
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
			if !cc.tracked {
				d.If(jen.Op("!").Add(mgOK)).Block(f.Clone().Dot("Panic").Call(mgV, jen.Recover()))
				return
			}
			d.If(jen.Op("!").Add(mgOK)).Block(
				mgR.Clone().Op(":=").Recover(),
				jen.If(cur.Clone().Op("==").Lit(cc.i).Op("||").Op("!").Add(c).Dot(ir.ChainPanicVar).Call(mgR)).Block(
					f.Clone().Dot("Panic").Call(mgV, mgR),
				),
				cur.Clone().Op("=").Lit(cc.i-1),
			)
		}).Call()
		if cc.tracked {
			b.Add(cur).Op("=").Lit(cc.i)
		}
		b.Add(cc.body())
		if cc.tracked {
			b.Add(cur).Op("=").Lit(cc.i - 1)
		}
		b.Add(mgOK).Op("=").True()
		b.If(mgS.Clone().Op("==").Lit(2)).Block(f.Clone().Dot("Leave").Call())
	})
}

// covered is the function of a covered stage: on the common way, no recovery of its own.
func (cc chainCall) covered() *jen.Statement {
	c := id(ir.ChainRecv)
	f := c.Clone().Dot(ir.FusedVar(cc.i))
	mgV, cur := id(ir.ValueVar), c.Clone().Dot(ir.ChainCurVar)
	return jen.Params(mgV.Clone().Add(typ(cc.n.In))).BlockFunc(func(b *jen.Group) {
		b.If(jen.Op("!").Add(f).Dot("Fast").Call()).Block(
			c.Clone().Dot(ir.ChainSlowVar(cc.i)).Call(mgV),
			jen.Return(),
		)
		b.List(c.Clone().Dot(ir.ChainItemVar(cc.i)), cur).Op("=").List(mgV, jen.Lit(cc.i))
		b.Add(cc.body())
		b.Add(cur).Op("=").Lit(cc.i - 1)
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
