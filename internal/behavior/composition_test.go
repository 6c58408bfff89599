package behavior

import (
	"slices"
	"strings"
	"testing"
)

// | nested pipeline | `nested_pipeline Class, :name` | only inline `pipeline :name do` works;
// instance state not visible inside | `nested x = Pipeline`, and inline sub-pipelines |
func TestComposition_NestedPipelineOwnParamsAndState(t *testing.T) {
	noLeaks(t)
	p := NewUsesNested()
	first, second := p.Nested()
	if first == nil || second == nil || first == second {
		t.Fatalf("nested values %p %p: want two distinct values", first, second)
	}
	if first.Factor != 2 || second.Factor != 2 || p.Factor != 100 {
		t.Fatalf("defaults: first %d second %d host %d, want 2 2 100", first.Factor, second.Factor, p.Factor)
	}
	want := []string{"first.inc->second.mul", "first.mul->first.inc", "second.inc->collect", "second.mul->second.inc", "start->first.mul"}
	if got := edges(p.Graph()); !slices.Equal(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	// (n*2+1)*2+1: each copy uses its own Factor (2), not the host's (100).
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{7, 11, 15, 19, 23}) {
		t.Errorf("collected %v, want [7 11 15 19 23]", got)
	}
	if a, b := first.seen.Load(), second.seen.Load(); a != 5 || b != 5 {
		t.Errorf("nested state: first saw %d, second %d, want 5 each", a, b)
	}

	// Each nested value keeps its own parameters.
	p = NewUsesNested()
	first, _ = p.Nested()
	first.Factor = 10
	res, err = p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{23, 43, 63, 83, 103}) {
		t.Errorf("with first.Factor=10 collected %v, want [23 43 63 83 103]", got)
	}
	if st := stage(t, res, "second.mul"); st.In != 5 || st.Out != 5 {
		t.Errorf("second.mul stats in %d out %d", st.In, st.Out)
	}
}

// | several named pipelines, pipeline → pipeline routing | `pipeline :a, to: :b` | works; ...
// | both inputs kept | (1–1, 1–n, n–1)
func TestComposition_NamedSubPipelinesRouted(t *testing.T) {
	noLeaks(t)
	p := NewFlow()
	want := []string{
		"fast.f->report.r", "ingest.parse->validate.check", "ingest.read->ingest.parse",
		"slow.s->report.r", "validate.check->fast.f", "validate.check->slow.s",
	}
	if got := edges(p.Graph()); !slices.Equal(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	all := seq(1, 11)
	if got := sorted(p.fast.Items()); !slices.Equal(got, all) {
		t.Errorf("fast got %v, want 1..10", got)
	}
	if got := sorted(p.slow.Items()); !slices.Equal(got, all) {
		t.Errorf("slow got %v, want 1..10", got)
	}
	if got, want := sorted(p.report.Items()), append(seq(1, 11), seq(101, 111)...); !slices.Equal(got, want) {
		t.Errorf("report got %v, want %v", got, want)
	}

	// Dynamic routing into sub-pipelines.
	s := NewSplit()
	res, err = s.Run(runCtx(t))
	mustSucceed(t, res, err)
	if small, large := sorted(s.small.Items()), sorted(s.large.Items()); !slices.Equal(small, []int{1, 2, 3}) || !slices.Equal(large, seq(4, 11)) {
		t.Errorf("small %v large %v", small, large)
	}
}

// | several named pipelines, ... | works; a sub-pipeline with its own producers drops its
// upstream's items | both inputs kept |
func TestComposition_SubPipelineKeepsBothInputs(t *testing.T) {
	noLeaks(t)
	p := NewBothInputs()
	want := []string{"down.b->down.pass", "down.pass->down.keep", "up.a->down.pass"}
	if got := edges(p.Graph()); !slices.Equal(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{1, 2, 3, 100, 101}) {
		t.Errorf("keep got %v, want [1 2 3 100 101]: both the upstream and the own producer", got)
	}
}

// | inheritance | subclass adds stages, hooks, reroutes | works; can't redefine a parent stage
// | `pipeline B extends A` | (parent members, then the child's; hooks parent first)
func TestComposition_ExtendsParentThenChild(t *testing.T) {
	noLeaks(t)
	p := NewChild()
	if got, want := stageNames(p.Graph()), []string{"start", "square", "collect", "audit"}; !slices.Equal(got, want) {
		t.Errorf("stages %v, want %v", got, want)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{1, 4, 9}) {
		t.Errorf("collect got %v, want [1 4 9]", got)
	}
	log := p.log.Items()
	var audits []string
	for _, l := range log {
		if strings.HasPrefix(l, "audit ") {
			audits = append(audits, l)
		}
	}
	if got := sorted(audits); !slices.Equal(got, []string{"audit 1", "audit 4", "audit 9"}) {
		t.Errorf("audit saw %v", got)
	}
	n := len(log)
	if n < 2 || log[n-2] != "Base after_run child" || log[n-1] != "Child after_run child" {
		t.Errorf("log %q: want the parent's after_run, then the child's, last", log)
	}
	if count(log, "before(square)") != 1 || count(log, "child before(square)") != 1 {
		t.Errorf("log %q: want the inherited before(square) and the child's once each", log)
	}
	if pb, cb := first(log, "before(square)"), first(log, "child before(square)"); pb > cb {
		t.Errorf("log %q: the child's before(square) ran before its parent's", log)
	}

	// The parent is unchanged by its child.
	b := NewBase()
	if got := stageNames(b.Graph()); !slices.Equal(got, []string{"start", "square", "collect"}) {
		t.Errorf("Base stages %v", got)
	}

	// A child cannot redefine a parent's stage.
	code, stderr := check(t, `package main

pipeline Main {
	producer start() int {
		emit(1)
	}
	consumer collect(n int) {}
}

pipeline Child extends Main {
	consumer collect(n int) {}
}
`)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 11, `stage "collect" is already declared by parent pipeline "Main"`)
}

// | inheritance | ... | `pipeline B extends A` | (a child redeclares a param's default,
// DESIGN 2.7)
func TestComposition_RedeclaredParamDefault(t *testing.T) {
	noLeaks(t)
	if c, b := NewChild(), NewBase(); c.Label != "child" || b.Label != "base" || c.Count != 3 {
		t.Errorf("Child.Label %q Base.Label %q Child.Count %d, want child base 3", c.Label, b.Label, c.Count)
	}
	p := NewChild()
	p.Count = 2
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{1, 4}) {
		t.Errorf("with Count=2 collect got %v", got)
	}
	if log := p.log.Items(); !slices.Contains(log, "Base after_run child") {
		t.Errorf("the parent's hook saw Label %q, want the child's default", log)
	}
	b := NewBase()
	res, err = b.Run(runCtx(t))
	mustSucceed(t, res, err)
	if log := b.log.Items(); !slices.Contains(log, "Base after_run base") {
		t.Errorf("Base log %q", log)
	}
}

// | `reroute_stage :a, to: :c` | replaces a's outgoing edges | works | `reroute a -> c` |
// (stages left unable to receive are dropped, DESIGN 2.7)
func TestComposition_RerouteDropsStages(t *testing.T) {
	noLeaks(t)
	p := NewSkip()
	g := p.Graph()
	if got := stageNames(g); !slices.Equal(got, []string{"start", "collect"}) {
		t.Errorf("stages %v, want [start collect]: square dropped", got)
	}
	if got := edges(g); !slices.Equal(got, []string{"start->collect"}) {
		t.Errorf("edges %v", got)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("collect got %v, want [1 2 3]", got)
	}
	if slices.Contains(p.log.Items(), "before(square)") {
		t.Errorf("the hook of the dropped stage ran")
	}
	if _, ok := res.Stage("square"); ok {
		t.Errorf("the dropped stage has stats")
	}

	// Dropping cascades along a chain; a reroute inside the chain drops only what it bypasses.
	l := NewLongSkip()
	if got := stageNames(l.Graph()); !slices.Equal(got, []string{"start", "collect"}) {
		t.Errorf("LongSkip stages %v, want [start collect]", got)
	}
	res, err = l.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(l.got.Items()); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("LongSkip collect got %v", got)
	}
	s := NewShortCut()
	if got := edges(s.Graph()); !slices.Equal(got, []string{"a->c", "c->collect", "start->a"}) {
		t.Errorf("ShortCut edges %v, want [a->c c->collect start->a]", got)
	}
	res, err = s.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(s.got.Items()); !slices.Equal(got, []int{100, 200, 300}) {
		t.Errorf("ShortCut collect got %v, want [100 200 300]", got)
	}

	// In a base pipeline, a stage a reroute leaves without input is an error.
	code, stderr := check(t, `package main

pipeline Main {
	producer start() int {
		emit(1)
	}
	processor square(n int) int { emit(n * n) }
	consumer collect(n int) {}
	reroute start -> collect
}
`)
	if code != 1 {
		t.Errorf("check exit %d, want 1:\n%s", code, stderr)
	}
	wantDiag(t, stderr, 7, `stage "square" can never receive items`)
}

// | several named pipelines, pipeline → pipeline routing | ... | (DESIGN 2.7: a sub-pipeline's
// exit is every stage whose output goes nowhere inside it)
func TestComposition_SubPipelineWithTwoExits(t *testing.T) {
	noLeaks(t)
	p := NewTwoExits()
	want := []string{"fan.high->sink.keep", "fan.low->sink.keep", "fan.split->fan.high", "fan.split->fan.low", "source.gen->fan.split"}
	if got := edges(p.Graph()); !slices.Equal(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{1, 2, 3, 4, 100, 200, 300, 400}) {
		t.Errorf("keep got %v", got)
	}
}
