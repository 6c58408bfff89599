package behavior

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// | sequential default | stages connect in order | also chains consumers to later consumers
// (end signals only) | next stage with an input (DESIGN 2.6) |
func TestRouting_SequentialDefault(t *testing.T) {
	noLeaks(t)
	p := NewSequential()
	want := []string{"a->b", "b->c1", "b->c2", "gen->a", "gen->side"}
	if got := edges(p.Graph()); !slices.Equal(got, want) {
		t.Errorf("edges %v, want %v (no a->side: side takes from(gen); no c1->c2: a consumer sends nothing)", got, want)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	side, c1, c2 := p.Got()
	if got := sorted(side); !slices.Equal(got, []int{1, 2, 3, 4, 5}) {
		t.Errorf("side got %v, want 1..5", got)
	}
	wantB := []int{11, 21, 31, 41, 51}
	if !slices.Equal(c1, wantB) || !slices.Equal(c2, wantB) {
		t.Errorf("c1 %v, c2 %v, want both %v", c1, c2, wantB)
	}
	if st := stage(t, res, "c1"); st.Out != 0 {
		t.Errorf("consumer c1 emitted %d values", st.Out)
	}

	// Without from(...), a consumer after a consumer gets no edge: it can never receive.
	code, stderr := check(t, `package main

pipeline P {
	producer gen() int {
		emit(1)
	}
	consumer c1(n int) {}
	consumer c2(n int) {}
}
`)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 8, `stage "c2" can never receive items`)
}

// | `to:` / `from:` | explicit edges | works; unresolved names fail at run time | checked
// before code is written |
func TestRouting_ToFrom(t *testing.T) {
	noLeaks(t)
	p := NewExplicit()
	want := []string{"path_a->merge", "path_b->merge", "source->path_a", "source->path_b"}
	if got := edges(p.Graph()); !slices.Equal(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got, want := sorted(p.Merged()), []int{2, 3, 4, 6, 6, 8, 9, 10, 12, 15}; !slices.Equal(got, want) {
		t.Errorf("merged %v, want %v", got, want)
	}

	// Unknown names in to(...) and from(...) are diagnostics with a suggestion, and
	// generate writes no code.
	src := `package main

pipeline P {
	producer gen() int to(doubel) {
		emit(1)
	}
	processor double(n int) int { emit(n * 2) }
	consumer collect(n int) from(dubble) {}
}
`
	code, stderr := check(t, src)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 4, `unknown stage "doubel" (did you mean "double"?)`)
	wantDiag(t, stderr, 8, `unknown stage "dubble" (did you mean "double"?)`)
	code, dir, _, _ := mgTool(t, "bad.mg", src, []string{"generate"})
	if m, _ := filepath.Glob(filepath.Join(dir, "*.go")); code != 1 || len(m) != 0 {
		t.Errorf("generate: exit %d, wrote %v; want 1 and nothing", code, m)
	}
}

// | fan-out | broadcast (one doc says round robin) | broadcast through an inserted router
// thread | broadcast default, ... |
func TestRouting_BroadcastDefault(t *testing.T) {
	noLeaks(t)
	p := NewBroadcast()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	a, b, c := p.Got()
	all := seq(0, 100)
	if !slices.Equal(a, all) || !slices.Equal(b, all) {
		t.Errorf("a got %d items, b %d, want each 0..99 in order", len(a), len(b))
	}
	if got := sorted(c); !slices.Equal(got, all) {
		t.Errorf("c (threads(3)) got %d items, want each of 0..99 once", len(got))
	}
	// Out counts each emitted value once whatever the fan-out.
	if st := stage(t, res, "source"); st.Out != 100 {
		t.Errorf("source.Out = %d, want 100", st.Out)
	}
	if len(res.Stages) != 4 {
		t.Errorf("%d stages in the result, want 4 (no router stage)", len(res.Stages))
	}
}

// | fan-out | ... | `routing: :round_robin` | ..., `routing(round_robin)` |
func TestRouting_RoundRobin(t *testing.T) {
	noLeaks(t)
	for range 3 {
		p := NewRoundRobin()
		res, err := p.Run(runCtx(t))
		mustSucceed(t, res, err)
		w1, w2, w3 := p.Got()
		if !slices.Equal(w1, []int{0, 3, 6, 9}) || !slices.Equal(w2, []int{1, 4, 7}) || !slices.Equal(w3, []int{2, 5, 8}) {
			t.Fatalf("w1 %v w2 %v w3 %v, want [0 3 6 9] [1 4 7] [2 5 8]", w1, w2, w3)
		}
	}
}

// | fan-in | merge | works | works |
func TestRouting_FanIn(t *testing.T) {
	noLeaks(t)
	p := NewFanIn()
	if got, want := edges(p.Graph()), []string{"double->merge", "evens->double", "odds->merge"}; !slices.Equal(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	var want []int
	for i := 1; i < 2000; i += 2 {
		want = append(want, i)
	}
	for i := 0; i < 1000; i += 2 {
		want = append(want, i+1000)
	}
	slices.Sort(want)
	if got := sorted(p.Got()); !slices.Equal(got, want) {
		t.Errorf("merge got %d items, want %d (every item of both upstreams once)", len(got), len(want))
	}
	if st := stage(t, res, "merge"); st.In != int64(len(want)) {
		t.Errorf("merge.In = %d, want %d", st.In, len(want))
	}
}

// | dynamic routing | `output.to(:stage) << x` | works in-process; unknown name = item
// error at run time | `to.stage(x)`, compile-checked |
func TestRouting_DynamicRoutingCompileChecked(t *testing.T) {
	noLeaks(t)
	p := NewDynamic()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	even, odd := p.Got()
	if !slices.Equal(even, []int{0, 4, 8, 12, 16}) || !slices.Equal(odd, []int{3, 9, 15, 21, 27}) {
		t.Errorf("even %v odd %v", even, odd)
	}
	if st := stage(t, res, "split"); st.In != 10 || st.Out != 10 {
		t.Errorf("split in %d out %d, want 10 10", st.In, st.Out)
	}

	// A misspelt target fails the build at the .mg line: never a lost item.
	code, _, _, stderr := mgTool(t, "bad.mg", `package main

pipeline P {
	producer gen() int {
		emit(1)
	}
	processor split(n int) int to(evens, odds) {
		if n%2 == 0 {
			to.evnes(n)
		} else {
			to.odds(n)
		}
	}
	consumer evens(n int) {}
	consumer odds(n int) {}
}
`, []string{"build"}, "-o", filepath.Join(t.TempDir(), "out"))
	if code != 1 {
		t.Errorf("build exit %d, want 1", code)
	}
	wantDiag(t, stderr, 9, "evnes")
	if strings.Contains(stderr, "_mg.go") {
		t.Errorf("the error names the generated file, not the .mg:\n%s", stderr)
	}
}

// | named queues | `queues: [:high]` + `output.to(:high)` | not implemented | in scope:
// several subscribers share a named queue |
func TestRouting_NamedQueueShared(t *testing.T) {
	noLeaks(t)
	p := NewJobs()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	normal, fast1, fast2 := p.Got()
	if len(normal) != 90 {
		t.Errorf("normal got %d items, want 90", len(normal))
	}
	// triage sends 0, 10, ..., 90; escalate sends 1001, 1026, 1051, 1076.
	want := []int{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 1001, 1026, 1051, 1076}
	if got := sorted(append(slices.Clone(fast1), fast2...)); !slices.Equal(got, want) {
		t.Errorf("subscribers got %v together, want each urgent item exactly once: %v", got, want)
	}
	if len(fast1) == 0 || len(fast2) == 0 {
		t.Errorf("fast1 got %d, fast2 %d: the subscribers do not share the queue", len(fast1), len(fast2))
	}
}

// | end of stream with dynamic senders | — | a stage ends at the first sender's end signal:
// items of slower senders are lost | exact: every possible sender is known |
func TestRouting_ExactEndOfStream(t *testing.T) {
	noLeaks(t)
	for range 3 {
		p := NewEndOfStream()
		res, err := p.Run(runCtx(t))
		mustSucceed(t, res, err)
		got, timedOut := p.Got()
		if timedOut {
			t.Fatalf("slow waited 5 s for fast to end (after(fast) never ran while slow was busy)")
		}
		var want []int
		for i := 0; i < p.Count; i++ {
			want = append(want, i, 1000+i)
		}
		slices.Sort(want)
		if got := sorted(got); !slices.Equal(got, want) {
			t.Fatalf("sink got %d items, want %d: the slow sender's items were lost", len(got), len(want))
		}
		if st := stage(t, res, "sink"); st.In != int64(2*p.Count) || st.Dropped != 0 {
			t.Fatalf("sink in %d dropped %d", st.In, st.Dropped)
		}
	}
}

// | `await: true/false/seconds` | wait for dynamic senders | polls; needed because of the
// above | unnecessary; accepted as a no-op |
func TestRouting_AwaitIsNoOp(t *testing.T) {
	noLeaks(t)
	p := NewAwait()
	start := time.Now()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("run took %v: await(5s) waited", d)
	}
	if got := p.Got(); !slices.Equal(got, seq(0, 10)) {
		t.Errorf("sink got %v, want 0..9", got)
	}
	// check accepts it with a note at each await.
	code, stderr := check(t, `package main

pipeline P {
	producer gen() int {
		emit(1)
	}
	processor a(n int) int await {
		emit(n)
	}
	consumer sink(n int) await(5s) {}
}
`)
	if code != 0 {
		t.Errorf("check exit %d, want 0:\n%s", code, stderr)
	}
	wantDiag(t, stderr, 7, "note: await has no effect")
	wantDiag(t, stderr, 10, "note: await has no effect")
}

// | cycles | error | error while edges are added | error with the path |
func TestRouting_Cycles(t *testing.T) {
	code, stderr := check(t, `package main

pipeline Explicit {
	producer gen() int to(a) {
		emit(1)
	}
	processor a(n int) int to(b) { emit(n) }
	processor b(n int) int to(a) { emit(n) }
}

pipeline Sequential {
	producer gen() int {
		emit(1)
	}
	processor a(n int) int { emit(n) }
	processor b(n int) int { emit(n) }
	processor c(n int) int to(a) { emit(n) }
}
`)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 8, "cycle: a -> b -> a")
	wantDiag(t, stderr, 17, "cycle: a -> b -> c -> a")
}

// | unreachable stage | "warning" | silently shut down | error (warning after a reroute) |
func TestRouting_UnreachableStage(t *testing.T) {
	code, stderr := check(t, `package main

pipeline P {
	producer gen() int to(sink) {
		emit(1)
	}
	consumer sink(n int) {}

	processor orphan(n int) int { emit(n) }
	consumer after_orphan(n int) {}
}
`)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 9, `stage "orphan" can never receive items`)
}

// | fan-out | ... | `routing(round_robin)` | (from a stage on several goroutines, the turn
// is the stage's, not each goroutine's)
func TestRouting_RoundRobinFromThreads(t *testing.T) {
	noLeaks(t)
	p := NewRoundRobinThreads()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	w1, w2, w3 := p.w1.Items(), p.w2.Items(), p.w3.Items()
	if len(w1) != 100 || len(w2) != 100 || len(w3) != 100 {
		t.Errorf("w1 %d w2 %d w3 %d items, want 100 each", len(w1), len(w2), len(w3))
	}
	all := append(append(slices.Clone(w1), w2...), w3...)
	if got := sorted(all); !slices.Equal(got, seq(0, 300)) {
		t.Errorf("together %d items, want 0..299 once each", len(got))
	}
}

// | `to:` / `from:` | explicit edges | ... | (DESIGN 2.6: an edge declared on both sides is
// one edge; a producer routes with to.x too)
func TestRouting_EdgeDeclaredTwiceIsOne(t *testing.T) {
	noLeaks(t)
	p := NewEdgeSet()
	if got := edges(p.Graph()); !slices.Equal(got, []string{"gen->keep", "gen->odd"}) {
		t.Errorf("edges %v", got)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := p.got.Items(); !slices.Equal(got, []int{0, 2, 4, 6, 8}) {
		t.Errorf("keep got %v, want [0 2 4 6 8] once each", got)
	}
	if got := p.odd.Items(); !slices.Equal(got, []int{1, 3, 5, 7, 9}) {
		t.Errorf("odd got %v", got)
	}
}
