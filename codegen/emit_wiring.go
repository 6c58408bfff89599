package codegen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/minigun-go/minigun/ir"
)

// wiring writes mgGraph: every node of the run graph created on the runtime,
// connected, with its hooks. A parameter read by an option is checked first:
// a value out of range fails the run before any stage starts.
func (g *gen) wiring(p *ir.Pipeline) {
	gr := p.Graph
	mgG := func() *jen.Statement { return id(ir.GraphVar) }
	g.f.Commentf("%s builds the pipeline's graph on the runtime.", ir.GraphMethod)
	g.f.Func().Params(id(ir.RecvVar).Op("*").Id(p.Name)).Id(ir.GraphMethod).Params().Op("*").Add(rt("Graph")).BlockFunc(func(b *jen.Group) {
		cfg := []jen.Code{field("Pipeline", jen.Lit(p.Name))}
		settings := []struct {
			name string
			v    ir.Value
		}{{"QueueSize", p.QueueSize}, {"MaxThreads", p.MaxThreads}, {"MaxProcesses", p.MaxProcesses}}
		for _, s := range settings {
			if !s.v.IsZero() {
				cfg = append(cfg, field(s.name, g.value(s.v, ir.RecvVar)))
			}
		}
		if v := p.MaxProcesses; v.Param != nil {
			cfg = append(cfg, field("MaxProcessesAt", g.pos(v.Pos)), field("MaxProcessesParam", jen.Lit(v.Param.Decl)))
		}
		if p.FailFast {
			cfg = append(cfg, field("FailFast", jen.True()))
		}
		if p.MaxFailures != nil {
			cfg = append(cfg, field("Budget", jen.True()), field("MaxFailures", g.value(*p.MaxFailures, ir.RecvVar)))
		}
		if hasProcessStages(p) {
			cfg = append(cfg,
				field("Worker", rt("WorkerKey").Index(jen.Id(p.Name)).Call()),
				field("Params", id(ir.RecvVar).Dot(ir.EncodeParamsMethod)))
		}
		b.Add(mgG()).Op(":=").Add(rt("NewGraph")).Call(rt("GraphConfig").Values(cfg...))
		for _, s := range settings {
			g.checkParam(b, s.v, ir.RecvVar, "")
		}
		if p.MaxFailures != nil {
			g.checkParam(b, *p.MaxFailures, ir.RecvVar, "")
		}
		for _, n := range gr.Nodes {
			for _, v := range nodeValues(n.Decl) {
				g.checkParam(b, v, n.Recv, n.Name)
			}
		}
		for _, n := range gr.Nodes {
			g.node(b, p, n)
		}
		for _, n := range gr.Nodes {
			for _, e := range n.Outs {
				b.Add(rt("Connect")).Call(id(e.From.Var), id(e.To.Var))
			}
			if e := n.DeadLetter; e != nil {
				b.Add(rt("DeadLetter")).Call(id(e.From.Var), id(e.To.Var))
			}
			if n.Decl.Routing == ir.RoundRobin {
				b.Id(n.Var).Dot("SetRouting").Call(rt("RoutingRoundRobin"))
			}
		}
		g.chainDecls(b, gr)
		for _, h := range gr.Hooks {
			method := jen.Id(h.Recv).Dot(h.Hook.Method)
			switch h.Hook.Kind {
			case ir.BeforeRun:
				b.Add(mgG()).Dot("BeforeRun").Call(method)
			case ir.AfterRun:
				b.Add(mgG()).Dot("AfterRun").Call(method)
			case ir.AfterProducer:
				b.Add(mgG()).Dot("AfterProducers").Call(method)
			case ir.BeforeStage:
				b.Id(h.Target.Var).Dot("Before").Call(method)
			case ir.AfterStage:
				b.Id(h.Target.Var).Dot("After").Call(method)
			case ir.OnError:
				b.Id(h.Target.Var).Dot("OnError").Call(method)
			case ir.BeforeFork, ir.AfterFork:
				name := "BeforeFork"
				if h.Hook.Kind == ir.AfterFork {
					name = "AfterFork"
				}
				if h.Target != nil {
					b.Id(h.Target.Var).Dot(name).Call(method)
				} else {
					b.Add(mgG()).Dot(name).Call(method)
				}
			}
		}
		b.Return(mgG())
	})
	for _, c := range g.chains {
		g.f.Add(c)
	}
	g.chains = nil
}

// nodeValues are the option values of a stage that the generated spec reads.
func nodeValues(st *ir.Stage) []ir.Value {
	s := st.Strategy
	return []ir.Value{s.N, s.Recycle, s.Chunk, s.AckWait, s.InFlight, s.MaxDeliver, st.BatchSize, st.MaxWait, st.QueueSize, st.Retry, st.Backoff, st.Timeout, st.Total}
}

// value spells an option value: its literal, or the param it names, read
// from recv (the value that owns the stage or setting) when the graph is built.
func (g *gen) value(v ir.Value, recv string) *jen.Statement {
	if v.Param != nil {
		ref := jen.Id(recv).Dot(v.Param.Name)
		if v.Duration || v.Param.Type.Go == "int" {
			return ref
		}
		return jen.Int().Call(ref)
	}
	if v.Duration {
		return duration(v.N)
	}
	return jen.Lit(v.Int())
}

// checkParam writes the range check of an option value read from a param:
// out of range, the graph is invalid and the run fails before any stage starts.
func (g *gen) checkParam(b *jen.Group, v ir.Value, recv, stage string) {
	if v.Param == nil {
		return
	}
	unsigned := strings.HasPrefix(v.Param.Type.Go, "uint") || v.Param.Type.Go == "byte"
	if v.Min <= 0 && unsigned && v.Max == 0 {
		return // no value is out of range
	}
	val := jen.Id(recv).Dot(v.Param.Name)
	limit, op := jen.Lit(int(v.Min)), "<"
	if v.Duration {
		limit = jen.Lit(0)
		switch {
		case v.Min > 1:
			limit = jen.Qual("time", "Duration").Call(jen.Lit(int(v.Min))) // mgP.Wait < time.Duration(3000000)
		case v.Min > 0:
			op = "<="
		}
	}
	cond := val.Clone().Op(op).Add(limit)
	if v.Min <= 0 && unsigned {
		cond = nil
	}
	if v.Max > 0 {
		// Converted, so that a narrow type compares with a bound it cannot hold.
		wide := jen.Int64().Call(val.Clone())
		if unsigned {
			wide = jen.Uint64().Call(val.Clone())
		}
		over := wide.Op(">").Lit(int(v.Max))
		if cond == nil {
			cond = over
		} else {
			cond = cond.Op("||").Add(over)
		}
	}
	items := []jen.Code{field("Param", jen.Lit(v.Param.Decl)), field("Value", val.Clone())}
	if stage != "" {
		items = append(items, field("Stage", jen.Lit(stage)))
	}
	items = append(items, field("Pos", g.pos(v.Pos)), field("Option", jen.Lit(v.Option)), field("Want", jen.Lit(v.Want())))
	b.If(cond).Block(
		id(ir.GraphVar).Dot("Invalid").Call(jen.Op("&").Add(rt("ParamError")).Add(multiline(items...))),
	)
}

// field is one `Key: value` element of a composite literal.
func field(key string, v jen.Code) jen.Code { return jen.Id(key).Op(":").Add(v) }

// multiline is a composite literal with one field per line, in the given order.
func multiline(items ...jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, items...)
}

func (g *gen) spec(n *ir.Node) *jen.Statement {
	st := n.Decl
	val := func(v ir.Value) *jen.Statement { return g.value(v, n.Recv) }
	items := []jen.Code{
		field("Name", jen.Lit(n.Name)),
		field("Pos", g.pos(st.Pos)),
	}
	switch s := st.Strategy; s.Kind {
	case ir.Threads:
		items = append(items, field("Strategy", rt("Strategy").Values(field("Kind", rt("Threads")), field("N", val(s.N)))))
	case ir.ProcessPerBatch:
		items = append(items, field("Strategy", rt("Strategy").Values(field("Kind", rt("ProcessPerBatch")), field("N", val(s.N)), field("IPC", jen.Lit(s.IPC)))))
	case ir.Processes:
		vals := []jen.Code{field("Kind", rt("Processes")), field("N", val(s.N))}
		if !s.Recycle.IsZero() {
			vals = append(vals, field("Recycle", val(s.Recycle)))
		}
		items = append(items, field("Strategy", rt("Strategy").Values(vals...)))
	case ir.Remote:
		vals := []jen.Code{field("Kind", rt("Remote")), field("N", val(s.N))}
		for _, o := range []struct {
			name string
			v    ir.Value
		}{{"Chunk", s.Chunk}, {"AckWait", s.AckWait}, {"InFlight", s.InFlight}, {"MaxDeliver", s.MaxDeliver}} {
			if !o.v.IsZero() {
				vals = append(vals, field(o.name, val(o.v)))
			}
		}
		items = append(items, field("Strategy", rt("Strategy").Values(vals...)))
	}
	if st.Strategy.IsProcess() && hasMergeState(st.Owner) {
		items = append(items, field("State", jen.Id(n.Recv).Dot(ir.StateSpecMethod).Call()))
	}
	if !st.QueueSize.IsZero() {
		items = append(items, field("QueueSize", val(st.QueueSize)))
	}
	if st.Ordered {
		items = append(items, field("Ordered", jen.True()))
	}
	if st.ConcurrentEmit {
		items = append(items, field("ConcurrentEmit", jen.True()))
	}
	if st.Strategy.Kind == ir.Remote && !st.UsesCtx {
		// A remote worker makes each item's context (its ItemKey) only for a body that reads it.
		items = append(items, field("NoCtx", jen.True()))
	}
	if !st.Retry.IsZero() {
		items = append(items, field("Retry", val(st.Retry)))
	}
	if !st.Backoff.IsZero() {
		items = append(items, field("Backoff", val(st.Backoff)))
	}
	if !st.Timeout.IsZero() {
		items = append(items, field("Timeout", val(st.Timeout)))
	}
	if v := st.Total; v.Param != nil {
		items = append(items, field("Total", jen.Int64().Call(jen.Id(n.Recv).Dot(v.Param.Name))))
	} else if !v.IsZero() {
		items = append(items, field("Total", jen.Lit(v.Int())))
	}
	return rt("StageSpec").Add(multiline(items...))
}

// duration spells a time.Duration in its largest exact unit (250 *
// time.Millisecond), as an untyped constant times the unit.
func duration(d int64) *jen.Statement {
	if d == 0 {
		return jen.Lit(0)
	}
	units := []struct {
		name string
		ns   int64
	}{{"Hour", int64(time.Hour)}, {"Minute", int64(time.Minute)}, {"Second", int64(time.Second)},
		{"Millisecond", int64(time.Millisecond)}, {"Microsecond", int64(time.Microsecond)}}
	for _, u := range units {
		if d%u.ns == 0 {
			return jen.Op(strconv.FormatInt(d/u.ns, 10)).Op("*").Qual("time", u.name)
		}
	}
	return jen.Op(strconv.FormatInt(d, 10)).Op("*").Qual("time", "Nanosecond")
}

// node writes the creation of one node.
func (g *gen) node(b *jen.Group, p *ir.Pipeline, n *ir.Node) {
	st := n.Decl
	// A node nothing refers to after its creation (the single stage of a
	// producer-less pipeline) is assigned to _, or its variable is unused.
	v := jen.Id(n.Var).Op(":=")
	if !g.referenced(p, n) {
		v = jen.Id("_").Op("=")
	}
	mgG, mgW, mgCtx, mgIn, mgEmit, mgTo := id(ir.GraphVar), id(ir.WorkerVar), id(ir.CtxVar), id(ir.InVar), id(ir.EmitVar), id(ir.ToVar)
	method := jen.Id(n.Recv).Dot(st.Method)
	worker := func(out ir.Type) *jen.Statement {
		if out.IsZero() {
			return mgW.Clone().Op("*").Add(rt("Emitter")).Index(rt("Nothing"))
		}
		return mgW.Clone().Op("*").Add(rt("Emitter")).Index(typ(out))
	}
	// bind is the per-goroutine function: emit and to are created once per worker.
	bind := func(out ir.Type, fnParams []jen.Code, call []jen.Code) *jen.Statement {
		return jen.Func().Params(worker(out)).Func().Params(fnParams...).Error().BlockFunc(func(bb *jen.Group) {
			args := append([]jen.Code{}, call...)
			if !out.IsZero() {
				bb.Add(mgEmit).Op(":=").Add(mgW).Dot("Emit")
				args = append(args, mgEmit)
			}
			if hasTo(st) {
				bb.Add(mgTo).Op(":=").Id(st.ToType).ValuesFunc(func(vg *jen.Group) {
					for _, ref := range st.To {
						vg.Id(ir.RouteField(st.To, ref)).Op(":").Add(g.toSender(n, ref, ir.WorkerVar))
					}
				})
				args = append(args, mgTo)
			}
			bb.Return(jen.Func().Params(fnParams...).Error().Block(
				jen.Return(method.Clone().Call(args...)),
			))
		})
	}
	ctxP := mgCtx.Clone().Add(ctxType())
	switch {
	case g.chained(n):
		g.chainMember(b, v, n)
	case g.chainHead(n) && st.Kind == ir.Producer:
		b.Add(v).Add(rt("Producer")).Call(mgG, g.spec(n), g.chainBind(p, n, []jen.Code{ctxP}))
	case g.chainHead(n) && st.Kind == ir.Processor:
		b.Add(v).Add(rt("Processor")).Call(mgG, g.spec(n), g.chainBind(p, n, []jen.Code{ctxP, mgIn.Clone().Add(typ(n.In))}))
	case g.chainHead(n) && st.Kind == ir.Custom:
		b.Add(v).Add(rt("Processor")).Call(mgG, g.spec(n), g.chainBind(p, n, []jen.Code{ctxP, mgIn.Clone().Add(typ(n.In))}))
	case st.Kind == ir.Producer:
		b.Add(v).Add(rt("Producer")).Call(mgG, g.spec(n),
			bind(n.Out, []jen.Code{ctxP}, []jen.Code{mgCtx}))
	case st.Kind == ir.Processor:
		b.Add(v).Add(rt("Processor")).Call(mgG, g.spec(n),
			bind(n.Out, []jen.Code{ctxP, mgIn.Clone().Add(typ(n.In))}, []jen.Code{mgCtx, mgIn}))
	case st.Kind == ir.Consumer:
		b.Add(v).Add(rt("Consumer")).Call(mgG, g.spec(n),
			jen.Func().Params(mgW.Clone().Op("*").Add(rt("Emitter")).Index(rt("Nothing"))).Func().Params(ctxP, mgIn.Clone().Add(typ(n.In))).Error().Block(
				jen.Return(method.Clone()),
			))
	case st.Kind == ir.Accumulator && st.IsBatch:
		b.Add(v).Add(rt("Batch")).Index(typ(n.In)).Call(mgG, g.spec(n), g.value(st.BatchSize, n.Recv), g.durationValue(st.MaxWait, n.Recv))
	case st.Kind == ir.Accumulator:
		b.Add(v).Add(rt("Accumulator")).Index(jen.List(typ(n.In), typ(n.Out))).Call(mgG, g.spec(n), g.value(st.BatchSize, n.Recv), g.durationValue(st.MaxWait, n.Recv),
			bind(n.Out, []jen.Code{ctxP, mgIn.Clone().Index().Add(typ(n.In))}, []jen.Code{mgCtx, mgIn}))
	case st.Kind == ir.Queue:
		// A named queue passes each item on to one of its subscribers.
		b.Add(v).Add(rt("Queue")).Index(typ(n.In)).Call(mgG, g.spec(n))
	case st.Kind == ir.Custom:
		b.Add(v).Add(rt("Custom")).Index(jen.List(typ(n.In), typ(n.Out))).Call(mgG, g.spec(n), jen.Id(st.Ref.Expr))
	default:
		panic(fmt.Sprintf("minigungen: internal error: node %q of kind %s", n.Name, st.Kind))
	}
}

// durationValue is value for a duration that may be absent (0).
func (g *gen) durationValue(v ir.Value, recv string) *jen.Statement {
	if v.IsZero() {
		return jen.Lit(0)
	}
	return g.value(v, recv)
}

// referenced reports whether the wiring of p names node n after creating it:
// in an edge, a routing mode or a stage hook.
func (g *gen) referenced(p *ir.Pipeline, n *ir.Node) bool {
	if len(n.Outs) > 0 || len(n.Ins) > 0 || n.DeadLetter != nil || n.Decl.Routing == ir.RoundRobin || n.Chain != nil && !g.opts.NoChains {
		return true
	}
	for _, m := range p.Graph.Nodes {
		if m.DeadLetter != nil && m.DeadLetter.To == n {
			return true
		}
	}
	for _, h := range p.Graph.Hooks {
		if h.Target == n {
			return true
		}
	}
	return false
}

// toSender is the function behind to.NAME for one target of a stage: the
// sender of w (an Emitter variable) for each output edge that goes to that target.
func (g *gen) toSender(n *ir.Node, ref ir.NameRef, w string) jen.Code {
	var idx []int
	for _, r := range n.Routes {
		if r.Ref != ref {
			continue
		}
		for i, e := range n.Outs {
			for _, t := range r.Targets {
				if e.To == t {
					idx = append(idx, i)
				}
			}
		}
	}
	switch len(idx) {
	case 0:
		// The target was dropped (for example by a reroute): sending to it is a no-op.
		return jen.Func().Params(typ(n.Out)).Block()
	case 1:
		return jen.Id(w).Dot("To").Call(jen.Lit(idx[0]))
	}
	return jen.Func().Params(id(ir.ValueVar).Add(typ(n.Out))).BlockFunc(func(b *jen.Group) {
		for _, i := range idx {
			b.Id(w).Dot("To").Call(jen.Lit(i)).Call(id(ir.ValueVar))
		}
	})
}
