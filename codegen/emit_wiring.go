package codegen

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/minigun-go/minigun/ir"
)

// wiring writes mgGraph: every node of the run graph created on the runtime,
// connected, with its hooks.
func (g *gen) wiring(p *ir.Pipeline) {
	gr := p.Graph
	vars := map[*ir.Node]string{}
	used := map[string]bool{}
	for _, n := range gr.Nodes {
		v := "mg" + ir.Exported(n.Name)
		for used[v] {
			v += "_"
		}
		used[v] = true
		vars[n] = v
	}
	g.f.Comment("mgGraph builds the pipeline's graph on the runtime.")
	g.f.Func().Params(jen.Id("p").Op("*").Id(p.Name)).Id("mgGraph").Params().Op("*").Add(rt("Graph")).BlockFunc(func(b *jen.Group) {
		cfg := []jen.Code{field("Pipeline", jen.Lit(p.Name))}
		if p.QueueSize != 0 {
			cfg = append(cfg, field("QueueSize", jen.Lit(p.QueueSize)))
		}
		if p.MaxThreads != 0 {
			cfg = append(cfg, field("MaxThreads", jen.Lit(p.MaxThreads)))
		}
		if p.MaxProcesses != 0 {
			cfg = append(cfg, field("MaxProcesses", jen.Lit(p.MaxProcesses)))
		}
		if p.FailFast {
			cfg = append(cfg, field("FailFast", jen.True()))
		}
		if hasProcessStages(p) {
			cfg = append(cfg,
				field("Worker", rt("WorkerKey").Index(jen.Id(p.Name)).Call()),
				field("Params", jen.Id("p").Dot("mgEncodeParams")))
		}
		b.Id("g").Op(":=").Add(rt("NewGraph")).Call(rt("GraphConfig").Values(cfg...))
		for _, n := range gr.Nodes {
			g.node(b, p, n, vars)
		}
		for _, n := range gr.Nodes {
			for _, e := range n.Outs {
				b.Add(rt("Connect")).Call(jen.Id(vars[e.From]), jen.Id(vars[e.To]))
			}
			if e := n.DeadLetter; e != nil {
				b.Add(rt("DeadLetter")).Call(jen.Id(vars[e.From]), jen.Id(vars[e.To]))
			}
			if n.Decl.Routing == ir.RoundRobin {
				b.Id(vars[n]).Dot("SetRouting").Call(rt("RoutingRoundRobin"))
			}
		}
		for _, h := range gr.Hooks {
			method := jen.Id(h.Recv).Dot(h.Hook.Method)
			switch h.Hook.Kind {
			case ir.BeforeRun:
				b.Id("g").Dot("BeforeRun").Call(method)
			case ir.AfterRun:
				b.Id("g").Dot("AfterRun").Call(method)
			case ir.AfterProducer:
				b.Id("g").Dot("AfterProducers").Call(method)
			case ir.BeforeStage:
				b.Id(vars[h.Target]).Dot("Before").Call(method)
			case ir.AfterStage:
				b.Id(vars[h.Target]).Dot("After").Call(method)
			case ir.OnError:
				b.Id(vars[h.Target]).Dot("OnError").Call(method)
			case ir.BeforeFork, ir.AfterFork:
				name := "BeforeFork"
				if h.Hook.Kind == ir.AfterFork {
					name = "AfterFork"
				}
				if h.Target != nil {
					b.Id(vars[h.Target]).Dot(name).Call(method)
				} else {
					b.Id("g").Dot(name).Call(method)
				}
			}
		}
		b.Return(jen.Id("g"))
	})
}

var kindConst = map[ir.StageKind]string{
	ir.Producer: "KindProducer", ir.Processor: "KindProcessor", ir.Consumer: "KindConsumer",
	ir.Accumulator: "KindAccumulator", ir.Custom: "KindCustom", ir.Queue: "KindProcessor",
}

// field is one `Key: value` element of a composite literal.
func field(key string, v jen.Code) jen.Code { return jen.Id(key).Op(":").Add(v) }

// multiline is a composite literal with one field per line, in the given order.
func multiline(items ...jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, items...)
}

func (g *gen) spec(n *ir.Node) *jen.Statement {
	st := n.Decl
	items := []jen.Code{
		field("Name", jen.Lit(n.Name)),
		field("Kind", rt(kindConst[st.Kind])),
		field("Pos", g.pos(st.Pos)),
	}
	switch st.Strategy.Kind {
	case ir.Threads:
		items = append(items, field("Strategy", rt("Strategy").Values(field("Kind", rt("Threads")), field("N", jen.Lit(st.Strategy.N)))))
	case ir.ProcessPerBatch:
		items = append(items, field("Strategy", rt("Strategy").Values(field("Kind", rt("ProcessPerBatch")), field("N", jen.Lit(st.Strategy.N)), field("IPC", jen.Lit(st.Strategy.IPC)))))
	case ir.Processes:
		vals := []jen.Code{field("Kind", rt("Processes")), field("N", jen.Lit(st.Strategy.N))}
		if st.Strategy.Recycle > 0 {
			vals = append(vals, field("Recycle", jen.Lit(st.Strategy.Recycle)))
		}
		items = append(items, field("Strategy", rt("Strategy").Values(vals...)))
	}
	if st.Strategy.IsProcess() && hasMergeState(st.Owner) {
		items = append(items, field("State", jen.Id(n.Recv).Dot("mgStateSpec").Call()))
	}
	if st.QueueSize != 0 {
		items = append(items, field("QueueSize", jen.Lit(st.QueueSize)))
	}
	if st.Ordered {
		items = append(items, field("Ordered", jen.True()))
	}
	if st.ConcurrentEmit {
		items = append(items, field("ConcurrentEmit", jen.True()))
	}
	if st.Retry != 0 {
		items = append(items, field("Retry", jen.Lit(st.Retry)))
	}
	if st.Backoff != 0 {
		items = append(items, field("Backoff", duration(int64(st.Backoff))))
	}
	if st.Timeout != 0 {
		items = append(items, field("Timeout", duration(int64(st.Timeout))))
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
func (g *gen) node(b *jen.Group, p *ir.Pipeline, n *ir.Node, vars map[*ir.Node]string) {
	st := n.Decl
	// A node nothing refers to after its creation (the single stage of a
	// producer-less pipeline) is assigned to _, or its variable is unused.
	v := jen.Id(vars[n]).Op(":=")
	if !g.referenced(p, n) {
		v = jen.Id("_").Op("=")
	}
	method := jen.Id(n.Recv).Dot(st.Method)
	worker := func(out ir.Type) *jen.Statement {
		if out.IsZero() {
			return jen.Id("w").Op("*").Add(rt("Emitter")).Index(rt("Nothing"))
		}
		return jen.Id("w").Op("*").Add(rt("Emitter")).Index(typ(out))
	}
	// bind is the per-goroutine function: emit and to are created once per worker.
	bind := func(out ir.Type, fnParams []jen.Code, call []jen.Code) *jen.Statement {
		return jen.Func().Params(worker(out)).Func().Params(fnParams...).Error().BlockFunc(func(bb *jen.Group) {
			args := append([]jen.Code{}, call...)
			if !out.IsZero() {
				bb.Id("emit").Op(":=").Id("w").Dot("Emit")
				args = append(args, jen.Id("emit"))
			}
			if hasTo(st) {
				bb.Id("to").Op(":=").Id(toStruct(st.Owner, st)).ValuesFunc(func(vg *jen.Group) {
					for _, ref := range st.To {
						vg.Id(ir.RouteField(st.To, ref)).Op(":").Add(g.toSender(n, ref))
					}
				})
				args = append(args, jen.Id("to"))
			}
			bb.Return(jen.Func().Params(fnParams...).Error().Block(
				jen.Return(method.Clone().Call(args...)),
			))
		})
	}
	ctxP := jen.Id("ctx").Add(ctxType())
	switch {
	case st.Kind == ir.Producer:
		b.Add(v).Add(rt("Producer")).Call(jen.Id("g"), g.spec(n),
			bind(n.Out, []jen.Code{ctxP}, []jen.Code{jen.Id("ctx")}))
	case st.Kind == ir.Processor:
		b.Add(v).Add(rt("Processor")).Call(jen.Id("g"), g.spec(n),
			bind(n.Out, []jen.Code{ctxP, jen.Id("in").Add(typ(n.In))}, []jen.Code{jen.Id("ctx"), jen.Id("in")}))
	case st.Kind == ir.Consumer:
		b.Add(v).Add(rt("Consumer")).Call(jen.Id("g"), g.spec(n),
			jen.Func().Params(jen.Id("w").Op("*").Add(rt("Emitter")).Index(rt("Nothing"))).Func().Params(ctxP, jen.Id("in").Add(typ(n.In))).Error().Block(
				jen.Return(method.Clone()),
			))
	case st.Kind == ir.Accumulator && st.IsBatch:
		b.Add(v).Add(rt("Batch")).Index(typ(n.In)).Call(jen.Id("g"), g.spec(n), jen.Lit(st.BatchSize), duration(int64(st.MaxWait)))
	case st.Kind == ir.Accumulator:
		b.Add(v).Add(rt("Accumulator")).Index(jen.List(typ(n.In), typ(n.Out))).Call(jen.Id("g"), g.spec(n), jen.Lit(st.BatchSize), duration(int64(st.MaxWait)),
			bind(n.Out, []jen.Code{ctxP, jen.Id("in").Index().Add(typ(n.In))}, []jen.Code{jen.Id("ctx"), jen.Id("in")}))
	case st.Kind == ir.Queue:
		// A named queue passes each item on to one of its subscribers.
		b.Add(v).Add(rt("Queue")).Index(typ(n.In)).Call(jen.Id("g"), g.spec(n))
	case st.Kind == ir.Custom:
		b.Add(v).Add(rt("Custom")).Index(jen.List(typ(n.In), typ(n.Out))).Call(jen.Id("g"), g.spec(n), jen.Id(st.Ref.Expr))
	default:
		panic(fmt.Sprintf("minigungen: internal error: node %q of kind %s", n.Name, st.Kind))
	}
}

// referenced reports whether the wiring of p names node n after creating it:
// in an edge, a routing mode or a stage hook.
func (g *gen) referenced(p *ir.Pipeline, n *ir.Node) bool {
	if len(n.Outs) > 0 || len(n.Ins) > 0 || n.DeadLetter != nil || n.Decl.Routing == ir.RoundRobin {
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
// worker's sender for each output edge that goes to that target.
func (g *gen) toSender(n *ir.Node, ref ir.NameRef) jen.Code {
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
		return jen.Id("w").Dot("To").Call(jen.Lit(idx[0]))
	}
	return jen.Func().Params(jen.Id("v").Add(typ(n.Out))).BlockFunc(func(b *jen.Group) {
		for _, i := range idx {
			b.Id("w").Dot("To").Call(jen.Lit(i)).Call(jen.Id("v"))
		}
	})
}
