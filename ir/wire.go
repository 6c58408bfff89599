package ir

import (
	"fmt"
	"go/types"
	"sort"
	"strings"

	"github.com/minigun-go/minigun/dsl"
)

// This file builds a pipeline's run graph (DESIGN 2.6, 2.7): the stages of the
// pipeline, its parents and its nested pipelines flattened into one tree of
// scopes, explicit edges, the sequential rule, reroutes, dead letters, then the
// graph checks (cycles, types, reachability).

// gscope is a pipeline, inline sub-pipeline or nested pipeline in a run graph.
type gscope struct {
	local  string // name within the parent scope; "" for the root
	prefix string // qualified prefix of its nodes: "" or "ingest."
	pos    dsl.Pos
	to     []NameRef
	from   []NameRef
	units  []*gunit
	parent *gscope
	owner  *Pipeline // the pipeline that declares it
	wired  bool      // its own edges (explicit and sequential) are added
}

// gunit is a member of a scope: a node or a sub-scope.
type gunit struct {
	node *Node
	sub  *gscope
}

func (u *gunit) localName() string {
	if u.node != nil {
		return u.node.Decl.Name
	}
	return u.sub.local
}

type graphBuilder struct {
	c     *checker
	pd    *pipelineDecl
	g     *Graph
	root  *gscope
	edges map[[2]*Node]*Edge
	hooks []hookInScope
	seq   int
	// edgesIncomplete is set when an error left edges out of the graph (a
	// name that did not resolve, a consumer's to(...), an unknown nested
	// pipeline): reachability is not reported then, as it would only repeat it.
	edgesIncomplete bool
	edgeNo          map[*Edge]int
	hookScope       map[*HookRef]*gscope // the scope each bound hook was declared in
}

type hookInScope struct {
	hook  *Hook
	recv  string
	scope *gscope
}

func (c *checker) buildGraph(pd *pipelineDecl) {
	b := &graphBuilder{c: c, pd: pd, g: &Graph{}, edges: map[[2]*Node]*Edge{}, edgeNo: map[*Edge]int{}, hookScope: map[*HookRef]*gscope{}}
	b.root = &gscope{pos: pd.ir.Pos}
	b.instantiate(pd, RecvVar, b.root)
	b.wire(b.root)
	b.deadLetters()
	// Hooks find their stages before a reroute drops any: a dropped stage's
	// name must not resolve to another stage of the same name.
	b.bindHooks()
	b.reroutes()
	b.dropHooks()
	b.inferTypes()
	b.cycles()
	b.checkEdges()
	b.reachability()
	b.finish()
	pd.ir.Graph = b.g
}

// instantiate adds the units of pd (its parents' first) to sc, with receiver recv.
func (b *graphBuilder) instantiate(pd *pipelineDecl, recv string, sc *gscope) {
	if pd.ir.Extends != nil {
		parent := b.c.pipelines[pd.ir.Extends.Name]
		b.instantiate(parent, recv+"."+parent.ir.Name, sc)
	}
	b.members(pd, recv, sc, pd.root.members, sc.prefix)
	for _, h := range pd.ir.Hooks {
		hs := hookInScope{hook: h, recv: recv, scope: sc}
		if h.Sub != "" {
			hs.scope = b.findSub(sc, strings.TrimPrefix(h.Sub, ""))
		}
		b.hooks = append(b.hooks, hs)
	}
}

// findSub finds an inline sub-pipeline scope by its qualified name below sc.
func (b *graphBuilder) findSub(sc *gscope, qname string) *gscope {
	cur := sc
	for _, part := range strings.Split(qname, ".") {
		var next *gscope
		for _, u := range cur.units {
			if u.sub != nil && u.sub.local == part {
				next = u.sub
			}
		}
		if next == nil {
			return sc
		}
		cur = next
	}
	return cur
}

func (b *graphBuilder) members(pd *pipelineDecl, recv string, sc *gscope, members []memberDecl, prefix string) {
	for _, m := range members {
		switch {
		case m.stage != nil && m.stage.Kind == Nested:
			st := m.stage
			if st.NestedOf == nil {
				b.edgesIncomplete = true
				continue
			}
			sub := &gscope{local: st.Name, prefix: prefix + st.Name + ".", pos: st.Pos, to: st.To, from: st.From, parent: sc, owner: st.Owner}
			if !b.addUnit(sc, &gunit{sub: sub}, st.Pos) {
				continue
			}
			nested := b.c.pipelines[st.NestedOf.Name]
			b.instantiate(nested, recv+"."+nestedField(st.QName), sub)
		case m.stage != nil:
			st := m.stage
			n := &Node{Name: prefix + st.Name, Decl: st, Recv: recv, In: st.In, Out: st.Out}
			u := &gunit{node: n}
			if !b.addUnit(sc, u, st.Pos) {
				continue
			}
			n.Index = len(b.g.Nodes)
			b.g.Nodes = append(b.g.Nodes, n)
		case m.sub != nil:
			sub := &gscope{local: lastPart(m.sub.name), prefix: prefix + lastPart(m.sub.name) + ".", pos: m.sub.pos, to: m.sub.to, from: m.sub.from, parent: sc, owner: pd.ir}
			if !b.addUnit(sc, &gunit{sub: sub}, m.sub.pos) {
				continue
			}
			b.members(pd, recv, sub, m.sub.members, sub.prefix)
		}
	}
}

func lastPart(q string) string {
	if i := strings.LastIndexByte(q, '.'); i >= 0 {
		return q[i+1:]
	}
	return q
}

// addUnit adds a unit to a scope, refusing a second unit of the same name.
func (b *graphBuilder) addUnit(sc *gscope, u *gunit, pos dsl.Pos) bool {
	name := u.localName()
	for _, other := range sc.units {
		if other.localName() != name {
			continue
		}
		if u.node != nil && other.node != nil && u.node.Decl.IsBatch && other.node.Decl.IsBatch {
			// Batches are named by the compiler; a child's batch next to a parent's gets a number.
			for i := 2; ; i++ {
				cand := fmt.Sprintf("%s%d", name, i)
				if b.lookupLocal(sc, cand) == nil {
					u.node.Name = sc.prefix + cand
					break
				}
			}
			sc.units = append(sc.units, u)
			return true
		}
		otherPos, otherOwner := b.unitDecl(other)
		switch own := b.unitOwner(u); {
		case own != b.pd.ir:
			// Declared by a parent or a nested pipeline: reported when that one is checked.
		case otherOwner != own:
			b.c.diags.Errorf(pos, "stage %q is already declared by parent pipeline %q (at %s); a child cannot redefine it", name, otherOwner.Name, otherPos)
		default:
			b.c.diags.Errorf(pos, "duplicate stage %q (first declared at %s)", name, otherPos)
		}
		return false
	}
	sc.units = append(sc.units, u)
	return true
}

func (b *graphBuilder) lookupLocal(sc *gscope, name string) *gunit {
	for _, u := range sc.units {
		if u.localName() == name || (u.node != nil && u.node.Name == sc.prefix+name) {
			return u
		}
	}
	return nil
}

func (b *graphBuilder) unitDecl(u *gunit) (dsl.Pos, *Pipeline) {
	if u.node != nil {
		return u.node.Decl.Pos, u.node.Decl.Owner
	}
	return u.sub.pos, u.sub.owner
}

func (b *graphBuilder) unitOwner(u *gunit) *Pipeline {
	if u.node != nil {
		return u.node.Decl.Owner
	}
	return u.sub.owner
}

// lookup finds the unit a name refers to, searching sc, then its parents,
// then (for an unqualified name) the whole graph, where it must be unique. It
// reports nothing: when the name is not found it returns the candidates it
// matched anywhere (none when it is unknown, several when it is ambiguous).
func (b *graphBuilder) lookup(sc *gscope, ref NameRef) (*gunit, []*gunit) {
	parts := strings.Split(ref.Name, ".")
	for s := sc; s != nil; s = s.parent {
		if u := b.descend(s, parts); u != nil {
			return u, nil
		}
	}
	var found []*gunit
	var walk func(s *gscope)
	walk = func(s *gscope) {
		if u := b.descend(s, parts); u != nil && !containsUnit(found, u) {
			found = append(found, u)
		}
		for _, u := range s.units {
			if u.sub != nil {
				walk(u.sub)
			}
		}
	}
	walk(b.root)
	if len(found) == 1 {
		return found[0], nil
	}
	return nil, found
}

// resolve is lookup that reports an unknown name (with a suggestion) or an
// ambiguous one.
func (b *graphBuilder) resolve(sc *gscope, ref NameRef) *gunit {
	u, candidates := b.lookup(sc, ref)
	if u != nil {
		return u
	}
	b.edgesIncomplete = true
	if len(candidates) == 0 {
		var all []string
		var walk func(s *gscope)
		walk = func(s *gscope) {
			for _, u := range s.units {
				all = append(all, unitName(u))
				if u.sub != nil {
					walk(u.sub)
				}
			}
		}
		walk(b.root)
		msg := fmt.Sprintf("unknown stage %q", ref.Name)
		if s := didYouMean(ref.Name, append(all, localNames(all)...)); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		b.c.diags.Errorf(ref.Pos, "%s", msg)
		return nil
	}
	var names []string
	for _, u := range candidates {
		names = append(names, fmt.Sprintf("%q", unitName(u)))
	}
	sort.Strings(names)
	b.c.diags.Errorf(ref.Pos, "stage name %q is ambiguous: it may be %s; qualify it", ref.Name, strings.Join(names, " or "))
	return nil
}

func localNames(qs []string) []string {
	var out []string
	for _, q := range qs {
		out = append(out, lastPart(q))
	}
	return out
}

func containsUnit(us []*gunit, u *gunit) bool {
	for _, x := range us {
		if x == u {
			return true
		}
	}
	return false
}

func unitName(u *gunit) string {
	if u.node != nil {
		return u.node.Name
	}
	return strings.TrimSuffix(u.sub.prefix, ".")
}

func (b *graphBuilder) descend(s *gscope, parts []string) *gunit {
	u := b.lookupLocal(s, parts[0])
	for _, p := range parts[1:] {
		if u == nil || u.sub == nil {
			return nil
		}
		u = b.lookupLocal(u.sub, p)
	}
	return u
}

// receivers are the nodes that take a unit's input.
func (b *graphBuilder) receivers(u *gunit) []*Node {
	if u.node != nil {
		if u.node.Decl.Kind.HasInput() {
			return []*Node{u.node}
		}
		return nil
	}
	return b.entrance(u.sub)
}

// entrance is the first unit of a scope, in source order, that has an input.
func (b *graphBuilder) entrance(sc *gscope) []*Node {
	for _, u := range sc.units {
		if u.node != nil && u.node.Decl.Kind.HasInput() && u.node.Decl.Kind != Queue && len(u.node.Decl.From) == 0 {
			return []*Node{u.node}
		}
		if u.sub != nil && len(u.sub.from) == 0 {
			if r := b.entrance(u.sub); len(r) > 0 {
				return r
			}
		}
	}
	return nil
}

// senders are the nodes that produce a unit's output.
func (b *graphBuilder) senders(u *gunit) []*Node {
	if u.node != nil {
		if u.node.Decl.Kind != Consumer {
			return []*Node{u.node}
		}
		return nil
	}
	return b.exits(u.sub)
}

// exits are the nodes of a scope whose output goes nowhere inside it
// (DESIGN 2.7). The scope is wired first, so that its own sequential and
// explicit edges are known; edges that leave it do not make a node stop being
// an exit (a scope with to(a, b) sends every exit to both).
func (b *graphBuilder) exits(sc *gscope) []*Node {
	b.wire(sc)
	return b.exitsIn(sc, sc)
}

func (b *graphBuilder) exitsIn(sc, top *gscope) []*Node {
	var out []*Node
	for _, u := range sc.units {
		if u.node != nil {
			if u.node.Decl.Kind != Consumer && u.node.Decl.Kind != Queue && len(u.node.Decl.To) == 0 && !b.sendsInside(u.node, top) {
				out = append(out, u.node)
			}
		} else if len(u.sub.to) == 0 {
			b.wire(u.sub)
			out = append(out, b.exitsIn(u.sub, top)...)
		}
	}
	return out
}

// sendsInside reports whether n has a static edge to a node of sc.
func (b *graphBuilder) sendsInside(n *Node, sc *gscope) bool {
	for _, e := range n.Outs {
		if b.contains(sc, e.To) {
			return true
		}
	}
	return false
}

// wire adds the edges declared in a scope: its sub-scopes' first, then the
// to(...) and from(...) edges of its units and the sequential rule. A scope
// is wired once; exits wires a scope on demand, so that a reference to a
// scope declared later sees its finished exits.
func (b *graphBuilder) wire(sc *gscope) {
	if sc.wired {
		return
	}
	sc.wired = true
	for _, u := range sc.units {
		if u.sub != nil {
			b.wire(u.sub)
		}
	}
	b.explicitEdges(sc)
	b.sequential(sc)
}

func (b *graphBuilder) addEdge(from, to *Node, pos dsl.Pos, dl bool) *Edge {
	key := [2]*Node{from, to}
	if e, ok := b.edges[key]; ok {
		if dl == e.DeadLetter {
			return e
		}
	}
	e := &Edge{From: from, To: to, Pos: pos, DeadLetter: dl}
	if !dl {
		b.edges[key] = e
	}
	b.seq++
	b.edgeNo[e] = b.seq
	if dl {
		from.DeadLetter = e
	} else {
		from.Outs = append(from.Outs, e)
	}
	to.Ins = append(to.Ins, e)
	return e
}

// explicitEdges adds the to(...) and from(...) edges of a scope's units.
func (b *graphBuilder) explicitEdges(sc *gscope) {
	for _, u := range sc.units {
		var to, from []NameRef
		if u.node != nil {
			to, from = u.node.Decl.To, u.node.Decl.From
		} else {
			to, from = u.sub.to, u.sub.from
		}
		for _, ref := range to {
			target := b.resolve(sc, ref)
			if target == nil {
				continue
			}
			recv := b.receivers(target)
			if len(recv) == 0 {
				b.c.diags.Errorf(ref.Pos, "%q cannot receive items: it is a producer or has no stage with an input", ref.Name)
				b.edgesIncomplete = true
				continue
			}
			if u.node != nil {
				u.node.Routes = append(u.node.Routes, Route{Field: RouteField(u.node.Decl.To, ref), Ref: ref, Targets: recv})
			}
			if u.node != nil && u.node.Decl.Kind == Consumer {
				b.edgesIncomplete = true // reported with the consumer's options
			}
			for _, s := range b.senders(u) {
				for _, r := range recv {
					if fl := r.Decl.From; len(fl) > 0 && !b.listed(r, fl, s) {
						b.c.diags.Errorf(ref.Pos, "%q sends to %q, but %q takes from(...) a list that does not name it", s.Name, r.Name, r.Name)
						b.edgesIncomplete = true
						continue
					}
					b.addEdge(s, r, ref.Pos, false)
				}
			}
		}
		for _, ref := range from {
			source := b.resolve(sc, ref)
			if source == nil {
				continue
			}
			senders := b.senders(source)
			if len(senders) == 0 {
				b.c.diags.Errorf(ref.Pos, "%q sends nothing: it is a consumer or has no stage with an output", ref.Name)
				b.edgesIncomplete = true
				continue
			}
			for _, s := range senders {
				for _, r := range b.receivers(u) {
					b.addEdge(s, r, ref.Pos, false)
				}
			}
		}
	}
}

// listed reports whether sender s is named in r's from(...) list.
func (b *graphBuilder) listed(r *Node, from []NameRef, s *Node) bool {
	sc := b.scopeOf(r)
	for _, ref := range from {
		u := b.lookupUnit(sc, ref)
		if u == nil {
			return true // the unknown name is reported on its own; no second error
		}
		for _, n := range b.senders(u) {
			if n == s {
				return true
			}
		}
		if u.sub != nil && b.contains(u.sub, s) {
			return true
		}
	}
	return false
}

func (b *graphBuilder) contains(sc *gscope, n *Node) bool {
	for _, u := range sc.units {
		if u.node == n || (u.sub != nil && b.contains(u.sub, n)) {
			return true
		}
	}
	return false
}

func (b *graphBuilder) scopeOf(n *Node) *gscope {
	var find func(sc *gscope) *gscope
	find = func(sc *gscope) *gscope {
		for _, u := range sc.units {
			if u.node == n {
				return sc
			}
			if u.sub != nil {
				if s := find(u.sub); s != nil {
					return s
				}
			}
		}
		return nil
	}
	if s := find(b.root); s != nil {
		return s
	}
	return b.root
}

// sequential applies rule 1 of DESIGN 2.6 to the units of a scope. Named
// queues take no part in it: they are fed by to(...) and read by from(...).
func (b *graphBuilder) sequential(sc *gscope) {
	isQueue := func(u *gunit) bool { return u.node != nil && u.node.Decl.Kind == Queue }
	// A stage that takes another's dead letters receives mgrt.Failed values:
	// it is fed by dead_letter(...), not by the sequential rule.
	deadLetters := map[string]bool{}
	for _, u := range sc.units {
		if u.node != nil && u.node.Decl.DeadLetter != nil {
			deadLetters[lastPart(u.node.Decl.DeadLetter.Name)] = true
		}
	}
	isDeadLetter := func(u *gunit) bool { return u.node != nil && deadLetters[u.node.Decl.Name] }
	for i, u := range sc.units {
		if u.node != nil && len(u.node.Decl.To) > 0 || u.sub != nil && len(u.sub.to) > 0 || isQueue(u) {
			continue
		}
		senders := b.senders(u)
		if len(senders) == 0 {
			continue
		}
		for _, v := range sc.units[i+1:] {
			if v.node != nil && len(v.node.Decl.From) > 0 || v.sub != nil && len(v.sub.from) > 0 || isQueue(v) || isDeadLetter(v) {
				continue
			}
			recv := b.receivers(v)
			if len(recv) == 0 {
				continue
			}
			for _, s := range senders {
				for _, r := range recv {
					b.addEdge(s, r, s.Decl.Pos, false)
				}
			}
			break
		}
	}
}

func (b *graphBuilder) deadLetters() {
	for _, n := range b.g.Nodes {
		ref := n.Decl.DeadLetter
		if ref == nil {
			continue
		}
		u := b.resolve(b.scopeOf(n), *ref)
		if u == nil {
			continue
		}
		recv := b.receivers(u)
		if len(recv) != 1 {
			b.c.diags.Errorf(ref.Pos, "dead_letter needs one stage with an input, %q is not one", ref.Name)
			continue
		}
		if n.Decl.Kind == Producer {
			b.c.diags.Errorf(ref.Pos, "producer %q has no items to dead-letter: a producer's error fails the run", n.Decl.Name)
			continue
		}
		b.addEdge(n, recv[0], ref.Pos, true)
	}
}

// reroutes replaces the outgoing edges of rerouted stages, then drops the
// stages that a reroute left unable to receive (in a child pipeline).
func (b *graphBuilder) reroutes() {
	if len(b.pd.reroutes) == 0 {
		return
	}
	hadInput := map[*Node]bool{}
	for _, n := range b.g.Nodes {
		hadInput[n] = len(n.Ins) > 0
	}
	for _, r := range b.pd.reroutes {
		u := b.resolve(b.root, r.from)
		if u == nil {
			continue
		}
		senders := b.senders(u)
		if u.node != nil && u.node.Decl.Kind == Consumer {
			b.c.diags.Errorf(r.from.Pos, "cannot reroute consumer %q: it sends nothing", r.from.Name)
			continue
		}
		if u.sub != nil {
			senders = b.allSenders(u.sub)
		}
		for _, s := range senders {
			for _, e := range s.Outs {
				b.removeEdge(e)
			}
			s.Outs = nil
		}
		for _, ref := range r.to {
			t := b.resolve(b.root, ref)
			if t == nil {
				continue
			}
			recv := b.receivers(t)
			if len(recv) == 0 {
				b.c.diags.Errorf(ref.Pos, "%q cannot receive items: it is a producer or has no stage with an input", ref.Name)
				b.edgesIncomplete = true
				continue
			}
			for _, s := range senders {
				for _, rcv := range recv {
					b.addEdge(s, rcv, ref.Pos, false)
				}
			}
		}
	}
	if b.pd.ir.Extends == nil {
		return // in a base pipeline, a stage left without input is reported as unreachable
	}
	var dropped []string
	for changed := true; changed; {
		changed = false
		var keep []*Node
		for _, n := range b.g.Nodes {
			if n.Decl.Kind.HasInput() && hadInput[n] && len(n.Ins) == 0 {
				for _, e := range append(n.Outs, n.DeadLetter) {
					if e != nil {
						b.removeEdge(e)
					}
				}
				b.dropUnit(b.root, n)
				dropped = append(dropped, fmt.Sprintf("%q", n.Name))
				changed = true
				continue
			}
			keep = append(keep, n)
		}
		b.g.Nodes = keep
	}
	// One warning, at the child's own first reroute (an inherited reroute was
	// reported in the pipeline that declared it).
	for _, r := range b.pd.reroutes {
		if r.own && len(dropped) > 0 && !b.edgesIncomplete {
			b.c.diags.Warnf(r.from.Pos, "%s can no longer receive items after this reroute: dropped from %q", strings.Join(dropped, ", "), b.pd.ir.Name)
			break
		}
	}
}

// allSenders are the nodes of a scope whose output leaves it.
func (b *graphBuilder) allSenders(sc *gscope) []*Node {
	var out []*Node
	for _, u := range sc.units {
		if u.node != nil {
			for _, e := range u.node.Outs {
				if !b.contains(sc, e.To) {
					out = append(out, u.node)
					break
				}
			}
		} else {
			out = append(out, b.allSenders(u.sub)...)
		}
	}
	return out
}

func (b *graphBuilder) removeEdge(e *Edge) {
	delete(b.edges, [2]*Node{e.From, e.To})
	e.From.Outs = without(e.From.Outs, e)
	if e.From.DeadLetter == e {
		e.From.DeadLetter = nil
	}
	e.To.Ins = without(e.To.Ins, e)
}

func without(es []*Edge, e *Edge) []*Edge {
	out := es[:0:0]
	for _, x := range es {
		if x != e {
			out = append(out, x)
		}
	}
	return out
}

func (b *graphBuilder) dropUnit(sc *gscope, n *Node) {
	for i, u := range sc.units {
		if u.node == n {
			sc.units = append(sc.units[:i:i], sc.units[i+1:]...)
			return
		}
		if u.sub != nil {
			b.dropUnit(u.sub, n)
		}
	}
}

func (b *graphBuilder) bindHooks() {
	for _, hs := range b.hooks {
		ref := &HookRef{Hook: hs.hook, Recv: hs.recv}
		if t := hs.hook.Target; t != nil {
			u := b.lookupUnit(hs.scope, *t)
			if u == nil {
				if hs.hook.Owner == b.pd.ir || b.c.pipelines[hs.hook.Owner.Name] == b.pd {
					b.resolve(hs.scope, *t) // report it
				}
				continue
			}
			if u.node == nil {
				b.c.diags.Errorf(t.Pos, "%s(%s): %q is a pipeline, hooks take a stage", hs.hook.Kind, t.Name, t.Name)
				continue
			}
			ref.Target = u.node
			switch hs.hook.Kind {
			case BeforeFork, AfterFork:
				if !u.node.Decl.Strategy.IsProcess() {
					b.c.diags.Errorf(t.Pos, "%s(%s): stage %q does not run in worker processes", hs.hook.Kind, t.Name, t.Name)
				}
			}
		}
		b.g.Hooks = append(b.g.Hooks, ref)
		b.hookScope[ref] = hs.scope
	}
}

// dropHooks unbinds the hooks of stages that a reroute dropped, and the
// pipeline-wide hooks of a nested or sub-pipeline whose every stage was
// dropped: nothing of theirs runs any more.
func (b *graphBuilder) dropHooks() {
	alive := map[*Node]bool{}
	for _, n := range b.g.Nodes {
		alive[n] = true
	}
	keep := b.g.Hooks[:0]
	for _, h := range b.g.Hooks {
		if h.Target != nil && !alive[h.Target] {
			continue
		}
		if sc := b.hookScope[h]; h.Target == nil && sc != nil && sc != b.root && !b.hasNode(sc) {
			continue
		}
		keep = append(keep, h)
	}
	b.g.Hooks = keep
}

// hasNode reports whether a scope still holds a stage, itself or below.
func (b *graphBuilder) hasNode(sc *gscope) bool {
	for _, u := range sc.units {
		if u.node != nil || b.hasNode(u.sub) {
			return true
		}
	}
	return false
}

// inferTypes gives batches their types from their upstream, or, at the
// entrance of a producer-less pipeline, from the stage they send to (a
// consumer of []T makes a batch of T). A batch whose type neither tells is
// reported.
func (b *graphBuilder) inferTypes() {
	set := func(n *Node, in Type) {
		in.Pos, in.src = n.Decl.Pos, ""
		n.In = in
		n.Out = SliceOf(in)
	}
	for changed := true; changed; {
		changed = false
		for _, n := range b.g.Nodes {
			if !n.Decl.IsBatch || !n.In.IsZero() {
				continue
			}
			for _, e := range n.Ins {
				from := e.From.Out
				if e.DeadLetter {
					from = Type{}
					if !e.From.In.IsZero() {
						from = Type{Go: "mgrt.Failed[" + e.From.In.Go + "]", Imports: e.From.In.Imports}
					}
				}
				if from.IsZero() {
					continue
				}
				set(n, from)
				changed = true
				break
			}
			if !n.In.IsZero() {
				continue
			}
			for _, e := range n.Outs {
				if elem, ok := strings.CutPrefix(e.To.In.Go, "[]"); ok && !e.To.Decl.IsBatch {
					t := Type{Go: elem, Imports: e.To.In.Imports}
					if sl, ok := e.To.In.gt.(*types.Slice); ok {
						t.gt, t.Shape = sl.Elem(), shapeOf(sl.Elem())
					}
					set(n, t)
					changed = true
					break
				}
			}
		}
	}
	for _, n := range b.g.Nodes {
		if n.Decl.IsBatch && n.In.IsZero() && n.Decl.Owner == b.pd.ir && !b.edgesIncomplete {
			b.c.diags.Errorf(n.Decl.Pos, "cannot tell the item type of %q: nothing before it sends items, and no stage after it takes a slice", n.Name)
		}
	}
}

func (b *graphBuilder) sortedEdges() []*Edge {
	var all []*Edge
	seen := map[*Edge]bool{}
	for _, n := range b.g.Nodes {
		for _, e := range n.Outs {
			if !seen[e] {
				seen[e] = true
				all = append(all, e)
			}
		}
		if e := n.DeadLetter; e != nil && !seen[e] {
			seen[e] = true
			all = append(all, e)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, c := all[i].Pos, all[j].Pos
		if a.File != c.File {
			return a.File < c.File
		}
		if a.Offset != c.Offset {
			return a.Offset < c.Offset
		}
		return b.edgeNo[all[i]] < b.edgeNo[all[j]]
	})
	return all
}

// cycles reports each cycle at the edge that closes it in source order.
func (b *graphBuilder) cycles() {
	adj := map[*Node][]*Node{}
	for _, e := range b.sortedEdges() {
		if path := findPath(adj, e.To, e.From); path != nil {
			names := make([]string, 0, len(path)+1)
			for _, n := range path {
				names = append(names, n.Name)
			}
			names = append(names, e.To.Name)
			b.c.diags.Errorf(e.Pos, "cycle: %s", strings.Join(names, " -> "))
			continue
		}
		adj[e.From] = append(adj[e.From], e.To)
	}
}

func findPath(adj map[*Node][]*Node, from, to *Node) []*Node {
	seen := map[*Node]bool{}
	var path []*Node
	var dfs func(n *Node) bool
	dfs = func(n *Node) bool {
		path = append(path, n)
		if n == to {
			return true
		}
		seen[n] = true
		for _, m := range adj[n] {
			if !seen[m] && dfs(m) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if dfs(from) {
		return path
	}
	return nil
}

// checkEdges checks the types on every edge, at the receiving stage.
func (b *graphBuilder) checkEdges() {
	for _, e := range b.sortedEdges() {
		from, to := e.From, e.To
		sent := from.Out // a dead letter carries the sender's input (a consumer's too)
		if e.DeadLetter {
			sent = from.In
		}
		if sent.IsZero() || to.In.IsZero() || sent.Go == "any" && from.Decl.Ref != nil || to.In.Go == "any" && to.Decl.Ref != nil {
			continue
		}
		want := sent.Go
		if e.DeadLetter {
			want = "mgrt.Failed[" + sent.Go + "]"
		}
		if !sameType(want, to.In.Go) {
			kind := "sends"
			if e.DeadLetter {
				kind = "dead-letters"
			}
			fromName, toName := from.Name, to.Name
			if o := from.Decl.Owner; o != b.pd.ir && o == to.Decl.Owner {
				// An edge of a nested or parent pipeline, named as there: the same error, once.
				fromName, toName = trimCommonPrefix(fromName, toName)
			}
			b.c.diags.Errorf(to.Decl.Pos, "type mismatch: %q %s %s (%s) but %q takes %s (%s)", fromName, kind, want, from.Decl.Pos, toName, to.In.Go, to.Decl.Pos)
		}
	}
}

// trimCommonPrefix drops the qualifiers two qualified names share: t.a, t.b are a, b.
func trimCommonPrefix(a, b string) (string, string) {
	for {
		pa, ra, oka := strings.Cut(a, ".")
		pb, rb, okb := strings.Cut(b, ".")
		if !oka || !okb || pa != pb {
			return a, b
		}
		a, b = ra, rb
	}
}

func sameType(a, b string) bool {
	norm := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, "interface{}", "any"), " ", "")
	}
	return norm(a) == norm(b)
}

// reachability reports stages that can never receive, on pipelines that run,
// and warns about outputs that go nowhere.
func (b *graphBuilder) reachability() {
	runs := false
	for _, n := range b.g.Nodes {
		if n.Decl.Kind == Producer {
			runs = true
		}
	}
	b.pd.ir.Runs = runs
	if !runs || b.edgesIncomplete {
		// An unresolved name leaves edges out; what would follow from it is noise.
		return
	}
	for _, n := range b.g.Nodes {
		if n.Decl.Kind.HasInput() && len(n.Ins) == 0 {
			b.c.diags.Errorf(n.Decl.Pos, "%s %q can never receive items: no stage sends to it", unitWord(n), n.Name)
		}
		// Also for stages of nested and parent pipelines: a nested pipeline's
		// exit may go nowhere in its host only. The same warning given again
		// for a parent's stage in a child is dropped as an exact duplicate.
		if n.Decl.Kind != Consumer && len(n.Outs) == 0 && !n.Decl.UsesTo {
			if n.Decl.Kind == Queue {
				b.c.diags.Warnf(n.Decl.Pos, "queue %q goes nowhere: no stage takes from(%s)", n.Name, n.Decl.Name)
			} else {
				b.c.diags.Warnf(n.Decl.Pos, "output of stage %q goes nowhere: no stage receives from it", n.Name)
			}
		}
	}
}

// finish numbers and names the nodes and lists the edges in sender order.
func (b *graphBuilder) finish() {
	for i, n := range b.g.Nodes {
		n.Index = i
	}
	nodeVars(b.g.Nodes)
	b.g.Chains = chains(b.g.Nodes)
	b.g.Edges = nil
	for _, n := range b.g.Nodes {
		b.g.Edges = append(b.g.Edges, n.Outs...)
		if n.DeadLetter != nil {
			b.g.Edges = append(b.g.Edges, n.DeadLetter)
		}
	}
}

// unitWord names a node's kind in diagnostics: "queue" or "stage".
func unitWord(n *Node) string {
	if n.Decl.Kind == Queue {
		return "queue"
	}
	return "stage"
}

// RouteField is the name a body uses for one of its stage's to(...) targets:
// the target's own name (to.parse), or, when two targets share it, the
// qualified name with dots as underscores (to.ingest_parse).
func RouteField(to []NameRef, ref NameRef) string {
	last := lastPart(ref.Name)
	for _, other := range to {
		if other != ref && lastPart(other.Name) == last {
			return strings.ReplaceAll(ref.Name, ".", "_")
		}
	}
	return last
}

// lookupUnit is lookup for callers that only need the unit.
func (b *graphBuilder) lookupUnit(sc *gscope, ref NameRef) *gunit {
	u, _ := b.lookup(sc, ref)
	return u
}

// chains finds the one-to-one inline runs of a graph (see Chain).
func chains(nodes []*Node) []*Chain {
	var out []*Chain
	for _, n := range nodes {
		if n.Chain != nil || !chainStart(n) {
			continue
		}
		c := &Chain{Nodes: []*Node{n}}
		for cur := n; chainSender(cur) && chainReceiver(cur.Outs[0].To); cur = cur.Outs[0].To {
			c.Nodes = append(c.Nodes, cur.Outs[0].To)
		}
		if len(c.Nodes) < 2 {
			continue
		}
		for _, m := range c.Nodes {
			m.Chain = c
		}
		out = append(out, c)
	}
	return out
}

// chainStart reports whether n begins a chain: it sends to a chain stage and
// does not itself continue its sender's chain.
func chainStart(n *Node) bool {
	if !chainSender(n) || !chainReceiver(n.Outs[0].To) {
		return false
	}
	return !chainReceiver(n) || !chainSender(n.Ins[0].From)
}

// chainReceiver reports whether n may run as the next stage of a chain.
func chainReceiver(n *Node) bool {
	st := n.Decl
	switch st.Kind {
	case Processor, Consumer, Custom:
	default:
		return false
	}
	return st.Strategy.Kind == Inline && st.QueueSize.IsZero() && len(n.Ins) == 1 && !n.Ins[0].DeadLetter &&
		directlyCallable(n)
}

// directlyCallable reports whether a stage's body may be called directly by its sender's
// emit: it holds no emits back (retry, ordered), has no deadline of its own, does not emit
// from other goroutines, and sends no failed item to a dead-letter stage.
func directlyCallable(n *Node) bool {
	st := n.Decl
	return st.Retry.IsZero() && st.Timeout.IsZero() && !st.ConcurrentEmit && !st.Ordered && n.DeadLetter == nil
}

// chainSender reports whether n may hand its items to a chain's next stage.
func chainSender(n *Node) bool {
	st := n.Decl
	switch st.Kind {
	case Producer:
	case Processor, Custom:
		if st.Strategy.Kind != Inline {
			return false
		}
	default:
		return false
	}
	// A stage with to(...) may end a chain (its to.NAME senders are its own), not continue one.
	// One that takes a lock may hold it across an emit, which the next stage must not run in.
	return len(n.Outs) == 1 && n.DeadLetter == nil && len(st.To) == 0 && st.Routing == Broadcast && !st.Locks && directlyCallable(n)
}
