package ir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
	"golang.org/x/tools/txtar"
)

// Tests of the checked model: graphs, strategies, bindings, parameters and
// hooks of the conformance corpus (../shared/spec beside the repository),
// names, and the wiring rules of DESIGN 2.6 and 2.7.

// specDir returns the corpus folder, or skips the test when it is absent.
func specDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "spec"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("conformance corpus not found at %s: clone the project with shared/ beside it to run it", dir)
	}
	return dir
}

// specResults caches checked corpus programs: typing bindings runs the go
// command, and several tests read the same program (which they do not change).
var specResults struct {
	sync.Mutex
	m map[string]specResult
}

type specResult struct {
	prog  *ir.Program
	diags dsl.Diagnostics
	err   error
}

// checkSpec checks one corpus program, which must give no diagnostic at all.
func checkSpec(t *testing.T, name string) *ir.Program {
	t.Helper()
	dir := specDir(t)
	specResults.Lock()
	r, ok := specResults.m[name]
	if !ok {
		r = checkSpecFile(dir, name)
		if specResults.m == nil {
			specResults.m = map[string]specResult{}
		}
		specResults.m[name] = r
	}
	specResults.Unlock()
	if r.err != nil {
		t.Fatal(r.err)
	}
	var unexpected dsl.Diagnostics
	for _, d := range r.diags {
		// composition.mg's Skip drops transform with its reroute, on purpose.
		if name == "composition.mg" && d.Severity == dsl.Warning && strings.Contains(d.Msg, "after this reroute") {
			continue
		}
		unexpected = append(unexpected, d)
	}
	if len(unexpected) > 0 {
		t.Fatalf("%s: want no diagnostics, got:\n%s", name, unexpected.Error())
	}
	checkInvariants(t, r.prog)
	return r.prog
}

func checkSpecFile(dir, name string) specResult {
	src, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return specResult{err: err}
	}
	f, diags := dsl.Parse(name, src)
	if f == nil {
		return specResult{err: fmt.Errorf("%s does not parse:\n%v", name, diags.Error())}
	}
	prog, diags := ir.CheckWith(ir.Options{Dir: dir}, f)
	return specResult{prog: prog, diags: diags}
}

// checkSource checks a program written in the test, in a directory of its own.
func checkSource(t *testing.T, src string) (*ir.Program, dsl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test.mg"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	f, diags := dsl.Parse("test.mg", []byte(src))
	if f == nil {
		t.Fatalf("does not parse:\n%s", diags.Error())
	}
	prog, diags := ir.CheckWith(ir.Options{Dir: dir}, f)
	checkInvariants(t, prog)
	return prog, diags
}

// checkInvariants verifies that every graph is consistent: nodes numbered in
// order, every edge listed by both of its ends, every listed edge in Edges.
func checkInvariants(t *testing.T, prog *ir.Program) {
	t.Helper()
	for _, f := range prog.Files {
		for _, p := range f.Pipelines {
			g := p.Graph
			if g == nil {
				continue
			}
			inGraph := map[*ir.Node]bool{}
			for i, n := range g.Nodes {
				if n.Index != i {
					t.Errorf("%s: node %s has index %d at position %d", p.Name, n.Name, n.Index, i)
				}
				inGraph[n] = true
			}
			all := map[*ir.Edge]bool{}
			for _, e := range g.Edges {
				all[e] = true
				if !inGraph[e.From] || !inGraph[e.To] {
					t.Errorf("%s: edge %s -> %s has an end outside the graph", p.Name, e.From.Name, e.To.Name)
				}
				if !containsEdge(e.To.Ins, e) {
					t.Errorf("%s: edge %s -> %s is missing from %s.Ins", p.Name, e.From.Name, e.To.Name, e.To.Name)
				}
				if e.DeadLetter && e.From.DeadLetter != e || !e.DeadLetter && !containsEdge(e.From.Outs, e) {
					t.Errorf("%s: edge %s -> %s is missing from its sender", p.Name, e.From.Name, e.To.Name)
				}
			}
			for _, n := range g.Nodes {
				for _, e := range append(append([]*ir.Edge{}, n.Outs...), n.Ins...) {
					if !all[e] {
						t.Errorf("%s: edge %s -> %s of node %s is not in Graph.Edges", p.Name, e.From.Name, e.To.Name, n.Name)
					}
				}
			}
		}
	}
}

func containsEdge(es []*ir.Edge, e *ir.Edge) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

func pipeline(t *testing.T, prog *ir.Program, name string) *ir.Pipeline {
	t.Helper()
	for _, f := range prog.Files {
		for _, p := range f.Pipelines {
			if p.Name == name {
				return p
			}
		}
	}
	t.Fatalf("no pipeline %q", name)
	return nil
}

func node(t *testing.T, p *ir.Pipeline, name string) *ir.Node {
	t.Helper()
	if p.Graph == nil {
		t.Fatalf("pipeline %s has no graph", p.Name)
	}
	for _, n := range p.Graph.Nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("pipeline %s has no node %q (nodes: %v)", p.Name, name, nodeNames(p))
	return nil
}

func nodeNames(p *ir.Pipeline) []string {
	var out []string
	for _, n := range p.Graph.Nodes {
		out = append(out, n.Name)
	}
	return out
}

// edges lists a pipeline's edges as "from->to" ("from=>to" for a dead
// letter), sorted.
func edges(p *ir.Pipeline) []string {
	var out []string
	for _, e := range p.Graph.Edges {
		arrow := "->"
		if e.DeadLetter {
			arrow = "=>"
		}
		out = append(out, e.From.Name+arrow+e.To.Name)
	}
	sort.Strings(out)
	return out
}

func wantEdges(t *testing.T, p *ir.Pipeline, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := edges(p); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: edges\n got %q\nwant %q", p.Name, got, want)
	}
}

func wantNodes(t *testing.T, p *ir.Pipeline, want ...string) {
	t.Helper()
	if got := nodeNames(p); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: nodes\n got %q\nwant %q", p.Name, got, want)
	}
}

func outs(n *ir.Node) []string {
	var out []string
	for _, e := range n.Outs {
		out = append(out, e.To.Name)
	}
	return out
}

// wantDiags compares the diagnostics, one per line, sorted.
func wantDiags(t *testing.T, diags dsl.Diagnostics, want ...string) {
	t.Helper()
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	if !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
		t.Errorf("diagnostics\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestSpecCorpusChecksClean(t *testing.T) {
	dir := specDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.mg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .mg files in %s", dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { checkSpec(t, filepath.Base(f)) })
	}
}

func TestRoutingGraph(t *testing.T) {
	prog := checkSpec(t, "routing.mg")

	d := pipeline(t, prog, "Diamond")
	wantNodes(t, d, "source", "path_a", "path_b", "merge")
	// merge's from(path_a, path_b) repeats the to(merge) edges: one edge each.
	wantEdges(t, d, "source->path_a", "source->path_b", "path_a->merge", "path_b->merge")
	if got := outs(node(t, d, "source")); !reflect.DeepEqual(got, []string{"path_a", "path_b"}) {
		t.Errorf("source sends to %q, want to(...) order", got)
	}
	if n := node(t, d, "merge"); len(n.Ins) != 2 {
		t.Errorf("merge has %d inputs, want 2", len(n.Ins))
	}

	rr := pipeline(t, prog, "RoundRobin")
	src := node(t, rr, "source")
	if src.Decl.Routing != ir.RoundRobin {
		t.Errorf("source routing = %v, want round robin", src.Decl.Routing)
	}
	if got := outs(src); !reflect.DeepEqual(got, []string{"w1", "w2", "w3"}) {
		t.Errorf("round robin order %q, want w1, w2, w3 (to(...) order)", got)
	}

	dyn := pipeline(t, prog, "Dynamic")
	split := node(t, dyn, "split")
	if !split.Decl.UsesTo {
		t.Error("split calls to.evens: UsesTo should be set")
	}
	wantEdges(t, dyn, "numbers->split", "split->evens", "split->odds")
}

// UsesCtx is set for a body that names ctx anywhere (a call, a closure, a selector) and for
// a stage bound to Go code; a remote worker makes an item's context only for those.
func TestUsesCtx(t *testing.T) {
	prog, diags := checkSource(t, `package main

import "context"

go {
	func keyOf(ctx context.Context) string { return "" }

	func Plain(s string) string { return s }
}

pipeline P {
	producer gen() int { emit(1) }
	processor blind(n int) int remote(1) { emit(n * 2) }
	processor keyed(n int) string remote(1) { emit(keyOf(ctx)) }
	processor late(s string) string { go func() { _ = ctx.Err() }(); emit(s) }
	processor bound = Plain
	consumer sink(s string) {}
}
`)
	wantDiags(t, diags)
	p := pipeline(t, prog, "P")
	for name, want := range map[string]bool{"gen": false, "blind": false, "keyed": true, "late": true, "bound": true, "sink": false} {
		if got := node(t, p, name).Decl.UsesCtx; got != want {
			t.Errorf("%s: UsesCtx = %v, want %v", name, got, want)
		}
	}
}

// Locks is set for a body that may hold something across an emit: a Lock call, a channel
// send or a receive that is not a context's or timer's, or a call of a go { } function or a
// method of p that does one of those, directly or through another; not a call of a method of
// something else that shares a name with one (p.seen.Add and bag.Add).
func TestLocks(t *testing.T) {
	prog, diags := checkSource(t, `package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

go {
	func (p *P) acquire() { p.mu.Lock() }

	func (p *P) viaAcquire() { p.acquire() }

	func wait(c chan int) { <-c }

	func pure(n int) int { return n * 2 }

	type bag struct{ mu sync.Mutex }

	func (b *bag) Add(n int) { b.mu.Lock(); b.mu.Unlock() }
}

pipeline P {
	state {
		mu   sync.Mutex
		sem  chan int
		seen atomic.Int64
		w    interface {
			Acquire(context.Context, int64) error
			Release(int64)
		}
	}
	producer gen() int {
		for i := 0; i < 3; i++ {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Millisecond):
			}
			emit(pure(i))
		}
	}
	processor locks(n int) int { p.mu.Lock(); emit(n); p.mu.Unlock() }
	processor helper(n int) int { p.viaAcquire(); emit(n) }
	processor sends(n int) int { p.sem <- 1; emit(n) }
	processor waits(n int) int { wait(p.sem); emit(n) }
	processor receives(n int) int { v := <-p.sem; emit(n + v) }
	processor plain(n int) int { emit(pure(n)) }
	processor weighted(n int) int { _ = p.w.Acquire(ctx, 1); emit(n); p.w.Release(1) }
	processor counts(n int) int { p.seen.Add(1); emit(n) }
	consumer sink(n int) {}
}
`)
	wantDiags(t, diags)
	p := pipeline(t, prog, "P")
	for name, want := range map[string]bool{"gen": false, "locks": true, "helper": true, "sends": true, "waits": true, "receives": true, "plain": false, "weighted": true, "counts": false} {
		if got := node(t, p, name).Decl.Locks; got != want {
			t.Errorf("%s: Locks = %v, want %v", name, got, want)
		}
	}
}

// A lock taken by a method of the package's own Go files counts too.
func TestLocksInGoFiles(t *testing.T) {
	dir := t.TempDir()
	src := `package main

pipeline P {
	producer gen() int { emit(1) }
	processor a(n int) int { p.hold(); emit(n); p.drop() }
	processor b(n int) int { emit(n) }
	consumer sink(n int) {}
}
`
	goSrc := "package main\n\nfunc (p *P) hold() { p.mu.Lock() }\n\nfunc (p *P) drop() { p.mu.Unlock() }\n"
	for name, text := range map[string]string{"p.mg": src, "helpers.go": goSrc} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, diags := dsl.Parse("p.mg", []byte(src))
	if f == nil {
		t.Fatal(diags.Error())
	}
	prog, _ := ir.CheckWith(ir.Options{Dir: dir, NoTypes: true}, f)
	p := pipeline(t, prog, "P")
	if !node(t, p, "a").Decl.Locks || node(t, p, "b").Decl.Locks {
		t.Errorf("Locks: a %v, b %v; want a only (helpers.go: hold takes a lock)", node(t, p, "a").Decl.Locks, node(t, p, "b").Decl.Locks)
	}
}

func TestCompositionGraph(t *testing.T) {
	prog := checkSpec(t, "composition.mg")

	tr := pipeline(t, prog, "Transform")
	if tr.Runs {
		t.Error("Transform has no producer: Runs should be false")
	}
	main := pipeline(t, prog, "Main")
	if !main.Runs {
		t.Error("Main has a producer: Runs should be true")
	}
	wantNodes(t, main, "start", "transform.double", "transform.add", "collect")
	wantEdges(t, main, "start->transform.double", "transform.double->transform.add", "transform.add->collect")
	if got := node(t, main, "transform.double").Recv; got != ir.RecvVar+".mgNestedTransform" {
		t.Errorf("transform.double receiver = %q, want mgP.mgNestedTransform", got)
	}
	if got := node(t, main, "collect").Recv; got != ir.RecvVar {
		t.Errorf("collect receiver = %q, want mgP", got)
	}
	if len(main.Nested) != 1 || main.Nested[0].Type != tr {
		t.Errorf("Main.Nested = %v, want one field of type Transform", main.Nested)
	}

	skip := pipeline(t, prog, "Skip")
	if skip.Extends != main {
		t.Errorf("Skip extends %v, want Main", skip.Extends)
	}
	if !skip.Runs {
		t.Error("Skip inherits a producer: Runs should be true")
	}
	// reroute start -> collect: transform can no longer receive and is dropped.
	wantNodes(t, skip, "start", "collect")
	wantEdges(t, skip, "start->collect")
	if got := node(t, skip, "start").Recv; got != ir.RecvVar+".Main" {
		t.Errorf("inherited start receiver = %q, want mgP.Main", got)
	}

	// The child's redeclared parameter changes the default, not the owner,
	// and leaves the parent's default alone.
	if len(skip.Params) != 1 || len(main.Params) != 1 {
		t.Fatalf("params: Skip %d, Main %d, want 1 each", len(skip.Params), len(main.Params))
	}
	sp, mp := skip.Params[0], main.Params[0]
	if sp.Name != "Label" || sp.Default != `"Skip"` || sp.Owner != main || sp.DefaultFrom != skip || sp.Type.Go != "string" {
		t.Errorf("Skip.Label = %+v, want default \"Skip\" from Skip, owned by Main", *sp)
	}
	if mp.Default != `"Main"` || mp.DefaultFrom != main {
		t.Errorf("Main.Label default = %s from %s, want \"Main\" from Main", mp.Default, mp.DefaultFrom.Name)
	}
	if sp.Flag != "label" {
		t.Errorf("Label flag = %q, want label", sp.Flag)
	}
}

func TestQuickstartModel(t *testing.T) {
	prog := checkSpec(t, "quickstart.mg")
	q := pipeline(t, prog, "Quickstart")
	wantNodes(t, q, "generate", "double", "batch", "save")
	wantEdges(t, q, "generate->double", "double->batch", "batch->save")

	double := node(t, q, "double")
	if s := double.Decl.Strategy; s.String() != "threads(4)" || !double.Decl.OwnStrategy {
		t.Errorf("double strategy = %+v (own %v), want threads(4) of its own", s, double.Decl.OwnStrategy)
	}
	batch := node(t, q, "batch")
	if !batch.Decl.IsBatch || batch.Decl.BatchSize.Int() != 10 {
		t.Errorf("batch: IsBatch %v size %d, want a batch of 10", batch.Decl.IsBatch, batch.Decl.BatchSize.Int())
	}
	if batch.In.Go != "int" || batch.Out.Go != "[]int" {
		t.Errorf("batch typed %s -> %s, want int -> []int", batch.In.Go, batch.Out.Go)
	}
	if batch.Decl.Strategy.Kind != ir.Inline {
		t.Errorf("batch strategy = %v, want inline", batch.Decl.Strategy.Kind)
	}
	if save := node(t, q, "save"); save.In.Go != "[]int" || !save.Out.IsZero() {
		t.Errorf("save typed %q -> %q, want []int and no output", save.In.Go, save.Out.Go)
	}
	if gen := node(t, q, "generate"); gen.Decl.Kind != ir.Producer || !gen.In.IsZero() || gen.Out.Go != "int" {
		t.Errorf("generate: %v %q -> %q, want a producer of int", gen.Decl.Kind, gen.In.Go, gen.Out.Go)
	}
	if len(q.Params) != 1 || q.Params[0].Name != "Count" || q.Params[0].Flag != "count" || q.Params[0].Default != "100" {
		t.Errorf("params = %+v, want Count (flag count) = 100", q.Params)
	}
}

func TestProcessBatchModel(t *testing.T) {
	prog := checkSpec(t, "process_batch.mg")
	p := pipeline(t, prog, "BatchSquares")
	wantEdges(t, p, "generate->batch", "batch->square_sum", "square_sum->total")

	sq := node(t, p, "square_sum")
	if s := sq.Decl.Strategy; s.String() != "process_per_batch(max: 4)" || s.IPC != "pipe" || sq.Decl.OwnStrategy {
		t.Errorf("square_sum strategy = %+v (own %v), want process_per_batch(max: 4) inherited from its block", s, sq.Decl.OwnStrategy)
	}
	if sq.In.Go != "[]int" || sq.Out.Go != "int" {
		t.Errorf("square_sum typed %s -> %s, want []int -> int", sq.In.Go, sq.Out.Go)
	}
	for _, name := range []string{"generate", "batch", "total"} {
		if k := node(t, p, name).Decl.Strategy.Kind; k != ir.Inline {
			t.Errorf("%s strategy = %v, want inline", name, k)
		}
	}

	merges := map[string]ir.MergeKind{}
	for _, s := range p.State {
		merges[s.Name] = s.Merge
	}
	want := map[string]ir.MergeKind{"parentPID": ir.MergeNone, "batches": ir.MergeSum, "items": ir.MergeSum,
		"events": ir.MergeAppend, "pids": ir.MergeUnion, "beforeForks": ir.MergeNone, "total": ir.MergeNone}
	if !reflect.DeepEqual(merges, want) {
		t.Errorf("merge rules = %v, want %v", merges, want)
	}

	hooks := map[string]string{}
	for _, h := range p.Graph.Hooks {
		target := ""
		if h.Target != nil {
			target = h.Target.Name
			if h.Target != sq {
				t.Errorf("%s hook bound to a node other than the graph's square_sum", h.Hook.Kind)
			}
		}
		hooks[h.Hook.Kind.String()] = target
	}
	wantHooks := map[string]string{"before_run": "", "before_fork": "square_sum", "after_fork": "square_sum", "after_run": ""}
	if !reflect.DeepEqual(hooks, wantHooks) {
		t.Errorf("hooks = %v, want %v", hooks, wantHooks)
	}
}

func TestPoolModel(t *testing.T) {
	prog := checkSpec(t, "pool.mg")
	p := pipeline(t, prog, "Pool")
	if s := node(t, p, "double").Decl.Strategy; s.String() != "processes(4)" {
		t.Errorf("double strategy = %+v, want processes(4)", s)
	}
	if s := p.State[1]; s.Name != "pids" || s.Merge != ir.MergeUnion || s.Type.Go != "map[int]bool" {
		t.Errorf("state[1] = %+v, want pids map[int]bool merge(union)", *s)
	}
}

func TestBindingsModel(t *testing.T) {
	prog := checkSpec(t, "bindings.mg")
	p := pipeline(t, prog, "Bindings")
	for _, tc := range []struct {
		node    string
		shape   ir.ShapeKind
		in, out string
		method  bool
	}{
		{"words", ir.ShapeProducerSeq, "", "string", false},
		{"upper", ir.ShapeProcessorValue, "string", "string", false},
		{"length", ir.ShapeProcessorCtxValue, "string", "int", false},
		{"explode", ir.ShapeProcessorEmit, "int", "int", false},
		{"fail", ir.ShapeProcessorValueErr, "int", "int", false},
		{"sum", ir.ShapeConsumerErr, "int", "", true},
	} {
		n := node(t, p, tc.node)
		ref := n.Decl.Ref
		if ref == nil {
			t.Errorf("%s: no binding", tc.node)
			continue
		}
		if ref.Shape != tc.shape || n.In.Go != tc.in || n.Out.Go != tc.out || ref.Method != tc.method {
			t.Errorf("%s = %s: shape %d %q -> %q method %v, want shape %d %q -> %q method %v",
				tc.node, ref.Expr, ref.Shape, n.In.Go, n.Out.Go, ref.Method, tc.shape, tc.in, tc.out, tc.method)
		}
	}
	if sum := node(t, p, "sum").Decl.Ref; sum.Name != "add" || sum.Expr != "(*Bindings).add" {
		t.Errorf("sum binds %s (method %q), want (*Bindings).add", sum.Expr, sum.Name)
	}
	if s := node(t, p, "length").Decl.Strategy; s.String() != "threads(2)" {
		t.Errorf("length strategy = %+v, want threads(2)", s)
	}
	for _, n := range []string{"count_words", "count_upper"} {
		if node(t, p, n).Decl.Ref != nil || node(t, p, n).Decl.Body == nil {
			t.Errorf("%s has an inline body, not a binding", n)
		}
	}
	wantEdges(t, p, "words->count_words", "count_words->upper", "upper->count_upper",
		"count_upper->length", "length->explode", "explode->fail", "fail->sum")
}

func TestHooksModel(t *testing.T) {
	prog := checkSpec(t, "hooks.mg")
	p := pipeline(t, prog, "Hooks")
	var got []string
	for _, h := range p.Graph.Hooks {
		s := h.Hook.Kind.String()
		if h.Target != nil {
			s += "(" + h.Target.Name + ")"
			if node(t, p, h.Target.Name) != h.Target {
				t.Errorf("%s is not bound to the graph's node", s)
			}
		} else if h.Hook.Target != nil {
			t.Errorf("%s names a stage but is bound to none", s)
		}
		if h.Recv != ir.RecvVar {
			t.Errorf("%s receiver = %q, want mgP", s, h.Recv)
		}
		got = append(got, s+" "+h.Hook.Method)
	}
	want := []string{
		"before_run mgHookBeforeRun",
		"after_producer mgHookAfterProducer",
		"before(gen) mgHookBeforeGen",
		"after(gen) mgHookAfterGen",
		"before(work) mgHookBeforeWork",
		"after(work) mgHookAfterWork",
		"after_run mgHookAfterRun",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hooks\n got %q\nwant %q", got, want)
	}
	if s := node(t, p, "work").Decl.Strategy; s.String() != "threads(3)" {
		t.Errorf("work strategy = %+v, want threads(3)", s)
	}
}

func TestExported(t *testing.T) {
	for in, want := range map[string]string{
		"fetch_users":      "FetchUsers",
		"fetch_url":        "FetchURL",
		"save":             "Save",
		"ingest.parse":     "IngestParse",
		"ingest.parse_url": "IngestParseURL",
		"user_id":          "UserID",
		"http_api":         "HTTPAPI",
		"batch2":           "Batch2",
		"count":            "Count",
		"Count":            "Count",
		"maxItems":         "MaxItems",
		"json":             "JSON",
		"x":                "X",
		"":                 "X",
		"_":                "X",
	} {
		if got := ir.Exported(in); got != want {
			t.Errorf("Exported(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParamsAndFlags(t *testing.T) {
	prog, diags := checkSource(t, `package main

pipeline P {
	param count int = 3
	param MaxItems int
	param maxWait string = "1s"
	param http_port int = 8080
	param URL string
	param UserID int
	producer gen() int { emit(p.Count) }
	consumer sink(n int) {}
}
`)
	wantDiags(t, diags)
	p := pipeline(t, prog, "P")
	var got []string
	for _, prm := range p.Params {
		got = append(got, prm.Name+" -"+prm.Flag+" "+prm.Type.Go+" = "+prm.Default)
	}
	want := []string{
		"Count -count int = 3",
		"MaxItems -max-items int = ",
		`MaxWait -max-wait string = "1s"`,
		"HTTPPort -http-port int = 8080",
		"URL -url string = ",
		"UserID -user-id int = ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("params\n got %q\nwant %q", got, want)
	}
}

func TestParamRedeclaredSameType(t *testing.T) {
	prog, diags := checkSource(t, `package main

pipeline Main {
	param Count int = 10
	producer start() int { emit(p.Count) }
	consumer collect(n int) {}
}

pipeline Child extends Main {
	param Count int = 20
}
`)
	wantDiags(t, diags)
	main, child := pipeline(t, prog, "Main"), pipeline(t, prog, "Child")
	if d := main.Params[0].Default; d != "10" {
		t.Errorf("Main.Count default = %s, want 10", d)
	}
	if c := child.Params[0]; c.Default != "20" || c.Owner != main || c.DefaultFrom != child {
		t.Errorf("Child.Count = %+v, want default 20 from Child, owned by Main", *c)
	}
	wantEdges(t, child, "start->collect")
	if !child.Runs {
		t.Error("Child inherits a producer: Runs should be true")
	}
}

// The sequential rule and sub-pipelines (DESIGN 2.6 rule 1, 2.7).
func TestSequentialRule(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   string
		edges []string
		diags []string
	}{
		{
			name: "consumer then consumer",
			src: `
pipeline P {
	producer gen() int { emit(1) }
	consumer a(n int) {}
	consumer b(n int) {}
}`,
			edges: []string{"gen->a"},
			diags: []string{`test.mg:6:11: stage "b" can never receive items: no stage sends to it`},
		},
		{
			name: "consumer then processor",
			src: `
pipeline P {
	producer gen() int to(a, b) { emit(1) }
	consumer a(n int) {}
	processor b(n int) int { emit(n) }
	consumer c(n int) {}
}`,
			edges: []string{"gen->a", "gen->b", "b->c"},
		},
		{
			name: "stage with from is skipped",
			src: `
pipeline P {
	producer gen() int { emit(1) }
	processor side(n int) int from(gen) to(sink) { emit(n) }
	processor main(n int) int { emit(n) }
	consumer sink(n int) {}
}`,
			edges: []string{"gen->side", "gen->main", "side->sink", "main->sink"},
		},
		{
			name: "producers never receive",
			src: `
pipeline P {
	producer a() int { emit(1) }
	producer b() int { emit(2) }
	consumer sink(n int) {}
}`,
			edges: []string{"a->sink", "b->sink"},
		},
		{
			name: "to and from declare one edge",
			src: `
pipeline P {
	producer gen() int to(sink) { emit(1) }
	processor skipped(n int) int from(gen) to(sink) { emit(n) }
	consumer sink(n int) from(gen, skipped) {}
}`,
			edges: []string{"gen->sink", "gen->skipped", "skipped->sink"},
		},
		{
			name: "sub-pipeline with its own producer keeps its upstream",
			src: `
pipeline P {
	producer gen() int { emit(1) }
	pipeline more {
		producer extra() int { emit(2) }
		processor work(n int) int { emit(n) }
	}
	consumer sink(n int) {}
}`,
			edges: []string{"gen->more.work", "more.extra->more.work", "more.work->sink"},
		},
		{
			name: "sub-pipeline exits fan in to the next stage",
			src: `
pipeline P {
	producer gen() int { emit(1) }
	pipeline split {
		processor a(n int) int to(b, c) { emit(n) }
		processor b(n int) int from(a) { emit(n) }
		processor c(n int) int from(a) { emit(n) }
	}
	consumer sink(n int) {}
}`,
			edges: []string{"gen->split.a", "split.a->split.b", "split.a->split.c", "split.b->sink", "split.c->sink"},
		},
		{
			name: "every exit goes to every target of the sub-pipeline",
			src: `
pipeline P {
	producer gen() int { emit(1) }
	pipeline split to(x, y) {
		processor a(n int) int to(b, c) { emit(n) }
		processor b(n int) int from(a) { emit(n) }
		processor c(n int) int from(a) { emit(n) }
	}
	consumer x(n int) {}
	consumer y(n int) {}
}`,
			edges: []string{"gen->split.a", "split.a->split.b", "split.a->split.c",
				"split.b->x", "split.b->y", "split.c->x", "split.c->y"},
		},
		{
			name: "one sub-pipeline to several",
			src: `
pipeline P {
	pipeline ingest to(fast, slow) {
		producer gen() int { emit(1) }
		processor clean(n int) int { emit(n) }
	}
	pipeline fast to(out) {
		processor f(n int) int { emit(n) }
	}
	pipeline slow to(out) {
		processor s1(n int) int { emit(n) }
		processor s2(n int) int { emit(n) }
	}
	pipeline out {
		consumer o(n int) {}
	}
}`,
			// Only the exit of ingest (clean) leaves it, to both targets; gen feeds clean.
			edges: []string{"ingest.gen->ingest.clean", "ingest.clean->fast.f", "ingest.clean->slow.s1",
				"slow.s1->slow.s2", "fast.f->out.o", "slow.s2->out.o"},
		},
		{
			name: "several sub-pipelines to one",
			src: `
pipeline P {
	pipeline s1 to(sink) {
		producer g1() int { emit(1) }
	}
	pipeline s2 to(sink) {
		producer g2() int { emit(2) }
	}
	pipeline sink {
		processor first(n int) int { emit(n) }
		consumer last(n int) {}
	}
}`,
			edges: []string{"s1.g1->sink.first", "s2.g2->sink.first", "sink.first->sink.last"},
		},
		{
			name: "from a sub-pipeline declared later",
			src: `
pipeline P {
	producer gen() int to(a) { emit(1) }
	pipeline early {
		consumer sink(n int) from(a) {}
	}
	pipeline a to(nothing) {
		processor a1(n int) int { emit(n) }
		processor a2(n int) int { emit(n) }
	}
	consumer nothing(n int) from(a.a2) {}
}`,
			edges: []string{"gen->a.a1", "a.a1->a.a2", "a.a2->early.sink", "a.a2->nothing"},
		},
		{
			name: "nested pipeline in the sequence",
			src: `
pipeline T {
	processor double(n int) int { emit(n * 2) }
	processor add(n int) int { emit(n + 1) }
}

pipeline P {
	producer gen() int { emit(1) }
	nested t = T
	nested u = T
	consumer sink(n int) {}
}`,
			edges: []string{"gen->t.double", "t.double->t.add", "t.add->u.double", "u.double->u.add", "u.add->sink"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, diags := checkSource(t, "package main\n"+tc.src+"\n")
			wantDiags(t, diags, tc.diags...)
			ps := prog.Files[0].Pipelines
			wantEdges(t, ps[len(ps)-1], tc.edges...)
		})
	}
}

// An edge made by the sequential rule carries its sender's position; an
// explicit edge the position of the name in to(...) or from(...).
func TestEdgePositions(t *testing.T) {
	prog, diags := checkSource(t, `package main

pipeline P {
	producer gen() int to(a) { emit(1) }
	processor a(n int) int { emit(n) }
	consumer b(n int) {}
}
`)
	wantDiags(t, diags)
	p := pipeline(t, prog, "P")
	var got []string
	for _, e := range p.Graph.Edges {
		got = append(got, e.From.Name+"->"+e.To.Name+" "+e.Pos.String())
	}
	want := []string{"gen->a test.mg:4:24", "a->b test.mg:5:12"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("edges\n got %q\nwant %q", got, want)
	}
}

func TestStrategies(t *testing.T) {
	prog, diags := checkSource(t, `package main

pipeline P {
	execution threads(2)
	context io = threads(50)
	producer gen() int { emit(1) }
	processor a(n int) int { emit(n) }
	processor b(n int) int context(io) { emit(n) }
	processes(3, recycle: 100) {
		processor c(n int) int { emit(n) }
		processor d(n int) int inline { emit(n) }
		batch 10
		consumer e(b []int) cow_fork(2) {}
	}
}

pipeline Child extends P {
	processor f(n int) []int context(io) to(e) { emit([]int{n}) }
	reroute d -> f
}
`)
	wantDiags(t, diags, `test.mg:19:10: warning: "batch" can no longer receive items after this reroute: dropped from "Child"`)
	p := pipeline(t, prog, "P")
	for _, tc := range []struct {
		node string
		want string
		own  bool
	}{
		{"gen", "inline", false},
		{"a", "threads(2)", false},
		{"b", "threads(50)", true},
		{"c", "processes(3, recycle: 100)", false},
		{"d", "inline", true},
		{"batch", "inline", false},
		{"e", "process_per_batch(max: 2)", true},
	} {
		st := node(t, p, tc.node).Decl
		got := st.Strategy.String()
		if got != tc.want || st.OwnStrategy != tc.own {
			t.Errorf("%s strategy = %+v (own %v), want %+v (own %v)", tc.node, got, st.OwnStrategy, tc.want, tc.own)
		}
	}
	child := pipeline(t, prog, "Child")
	if s := node(t, child, "f").Decl.Strategy; s.String() != "threads(50)" {
		t.Errorf("child's f with the parent's context(io) = %+v, want threads(50)", s)
	}
	wantEdges(t, child, "gen->a", "a->b", "b->c", "c->d", "d->f", "f->e")
	// batch lost its input (d now sends to f only) and is dropped from the child.
	for _, n := range child.Graph.Nodes {
		if n.Name == "batch" {
			t.Errorf("batch still in the child's graph")
		}
	}
}

// Every option, with every kind of argument, on every kind of declaration
// that takes options: the checker reports, it never panics (DESIGN 3.6).
func TestOptionsNeverPanic(t *testing.T) {
	t.Parallel()
	names := []string{"threads", "thread_pool", "process_per_batch", "cow_fork", "processes", "ipc_fork", "inline",
		"context", "to", "from", "routing", "queue_size", "ordered", "retry", "dead_letter", "timeout", "await",
		"max_size", "max_wait", "bogus"}
	args := []string{"", "()", "(x)", "(3)", "(250ms)", `("s")`, "(x, y)", "(max: 2, ipc: tempfile)",
		"(3, recycle: 2)", "(backoff: 1s)"}
	templates := []string{
		"pipeline P {\n producer gen() int %s { emit(1) }\n processor x(n int) int %[1]s { emit(n) }\n consumer sink(n int) %[1]s {}\n}\n",
		"pipeline P {\n producer gen() int { emit(1) }\n accumulator acc(b []int) %s\n batch 3 %[1]s\n consumer sink(n [][]int) {}\n}\n",
		"pipeline P {\n execution %s\n context c = %[1]s\n producer gen() int { emit(1) }\n %[1]s {\n  consumer sink(n int) {}\n }\n}\n",
		"pipeline P {\n producer gen() int { emit(1) }\n pipeline s %s {\n  consumer sink(n int) {}\n }\n nested t %[1]s = P\n}\n",
	}
	for _, name := range names {
		for _, a := range args {
			for _, tmpl := range templates {
				src := "package main\n" + fmt.Sprintf(tmpl, name+a)
				f, _ := dsl.Parse("f.mg", []byte(src))
				if f == nil {
					continue
				}
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("panic: %v\n%s", r, src)
						}
					}()
					ir.CheckWith(ir.Options{NoTypes: true}, f)
				}()
			}
		}
	}
}

// FuzzCheck checks whatever parses; seeds are the .mg files of the
// diagnostic goldens and of the corpus. The checker must never panic.
func FuzzCheck(f *testing.F) {
	cases, _ := filepath.Glob(filepath.Join("..", "testdata", "errors", "*.txtar"))
	for _, c := range cases {
		ar, err := txtar.ParseFile(c)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if strings.HasSuffix(file.Name, ".mg") {
				f.Add(file.Data)
			}
		}
	}
	specs, _ := filepath.Glob(filepath.Join("..", "..", "shared", "spec", "*.mg"))
	for _, s := range specs {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, _ := dsl.Parse("fuzz.mg", src)
		if file == nil {
			return
		}
		ir.CheckWith(ir.Options{NoTypes: true}, file)
	})
}

func TestChains(t *testing.T) {
	prog, diags := checkSource(t, `package main

import mgrt "github.com/minigun-go/minigun/runtime"

pipeline P {
	producer gen() int { emit(1) }
	processor a(n int) int { emit(n) }
	processor b(n int) int { emit(n) }
	processor c(n int) int threads(2) { emit(n) }
	processor d(n int) int { emit(n) }
	processor e(n int) int queue_size(10) { emit(n) }
	processor f(n int) int to(g, h) { emit(n) }
	consumer g(n int) {}
	consumer h(n int) {}
}

pipeline Q {
	producer gen() int { emit(1) }
	processor a(n int) int dead_letter(dl) { emit(n) }
	processor b(n int) int { emit(n) }
	batch 2
	consumer c(b []int) {}
	consumer dl(f mgrt.Failed[int]) {}
}
`)
	wantDiags(t, diags)
	chainsOf := func(p *ir.Pipeline) []string {
		var out []string
		for _, c := range p.Graph.Chains {
			var names []string
			for _, n := range c.Nodes {
				if n.Chain != c {
					t.Errorf("%s: Node.Chain is not its chain", n.Name)
				}
				names = append(names, n.Name)
			}
			out = append(out, strings.Join(names, "->"))
		}
		return out
	}
	// c runs on threads: it neither continues a chain nor starts one, and d
	// after it is not fed by a chain stage; e keeps its own queue, so it does
	// not continue one, but it may start one (f, which fans out, ends it).
	if got := chainsOf(pipeline(t, prog, "P")); strings.Join(got, " ") != "gen->a->b e->f" {
		t.Errorf("P chains = %q, want gen->a->b and e->f", got)
	}
	for _, name := range []string{"c", "d", "g", "h"} {
		if n := node(t, pipeline(t, prog, "P"), name); n.Chain != nil {
			t.Errorf("P.%s is in a chain, want none", name)
		}
	}
	// a has a dead letter: its failed items go to a queue, so no chain holds it, and gen
	// alone is none; a batch is no chain stage.
	if got := chainsOf(pipeline(t, prog, "Q")); len(got) != 0 {
		t.Errorf("Q chains = %q, want none", got)
	}
}

func TestVocabulary(t *testing.T) {
	for _, a := range ir.Aliases {
		spec, alias := ir.LookupOption(a.Name)
		if spec == nil || spec.Name != a.Of || alias == nil || !spec.Strategy {
			t.Errorf("alias %s does not resolve to the strategy %s", a.Name, a.Of)
		}
	}
	if got := (ir.Alias{Name: "cow_fork", Of: "process_per_batch", Key: "max"}).Rewrite("4"); got != "process_per_batch(max: 4)" {
		t.Errorf("cow_fork(4) rewrites to %s", got)
	}
	prog, diags := checkSource(t, `package main

import "time"

pipeline P {
	param Count int = 10
	param Wait time.Duration = time.Second
	max_failures 3
	producer gen() int total(Count) { emit(1) }
	processor a(n int) int remote(3, chunk: 100, ack_wait: Wait) { emit(n) }
	processor b(n int) int ipc_fork(Count) { emit(n) }
	consumer sink(n int) {}
}
`)
	wantDiags(t, diags)
	p := pipeline(t, prog, "P")
	if p.MaxFailures == nil || p.MaxFailures.Int() != 3 {
		t.Errorf("max_failures = %v, want 3", p.MaxFailures)
	}
	if v := node(t, p, "gen").Decl.Total; v.Param == nil || v.Param.Name != "Count" {
		t.Errorf("total = %+v, want the param Count", v)
	}
	if s := node(t, p, "a").Decl.Strategy; s.Kind != ir.Remote || s.String() != "remote(3, chunk: 100, ack_wait: Wait)" || !s.IsProcess() {
		t.Errorf("a strategy = %s, want remote(3, chunk: 100, ack_wait: Wait)", s)
	}
	if s := node(t, p, "b").Decl.Strategy; s.String() != "processes(Count)" {
		t.Errorf("b strategy = %s, want processes(Count)", s)
	}
}
