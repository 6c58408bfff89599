package behavior

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// | producer | `producer :gen do |output| output << x end` | own thread; strategies ignored
// for producers | `producer gen() T { emit(x) }`, or a bound Go func / `iter.Seq` |
func TestStages_ProducerForms(t *testing.T) {
	noLeaks(t)
	p := NewProducerForms()
	if p.Base != 40 {
		t.Fatalf("Base default = %d, want 40", p.Base)
	}
	p.Base = 7
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)

	want := []int{0, 1, 2, 7, 10, 11, 20, 30, 31, 32}
	if got := sorted(p.Got()); !slices.Equal(got, want) {
		t.Errorf("collected %v, want %v", got, want)
	}
	for name, out := range map[string]int64{"body": 3, "plain": 2, "withctx": 1, "seq": 3, "method": 1} {
		st := stage(t, res, name)
		if st.Kind != mgrt.KindProducer || st.Out != out {
			t.Errorf("stage %s: kind %v out %d, want producer out %d", name, st.Kind, st.Out, out)
		}
	}
	if st := stage(t, res, "collect"); st.In != int64(len(want)) {
		t.Errorf("collect.In = %d, want %d", st.In, len(want))
	}

	// Ruby ignores a strategy on a producer; here it is an error (one inherited from
	// execution does not apply to producers, TestExecution_ExecutionDefault).
	code, stderr := check(t, `package main

pipeline P {
	producer gen() int threads(4) {
		emit(1)
	}
	consumer sink(n int) {}
}
`)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 4, `producer "gen" always runs once on one goroutine; it takes no strategy`)
}

// | processor, consumer | item in, 0..n out / item in, nothing out | the same class; a
// consumer may emit | typed: a consumer has no output |
// and | `yield` syntax in stage classes | `yield(x)`, `yield(x, to: :s)` | `to:` ignored inside
// forks | Go iterators and `emit` funcs cover it | (twice is bound to func(T, emit func(U)); the
// iter.Seq producer is in TestStages_ProducerForms, to.x in the Routing tests)
func TestStages_ConsumerHasNoOutput(t *testing.T) {
	noLeaks(t)
	p := NewBoundStages()
	g := p.Graph()
	for _, e := range g.Edges {
		if e.From == "store" {
			t.Errorf("consumer store has an outgoing edge to %s", e.To)
		}
	}
	if want := []string{"twice->store", "upper->twice", "words->upper"}; !slices.Equal(edges(g), want) {
		t.Errorf("edges %v, want %v", edges(g), want)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	// a, b, "" -> upper -> twice emits each word and word+"'" -> store fails on "" only.
	if got, want := sorted(p.Got()), []string{"'", "A", "A'", "B", "B'"}; !slices.Equal(got, want) {
		t.Errorf("stored %q, want %q", got, want)
	}
	if st := stage(t, res, "store"); st.Kind != mgrt.KindConsumer || st.In != 6 || st.Out != 0 || st.Failed != 1 {
		t.Errorf("store stats %+v, want consumer in 6 out 0 failed 1", st)
	}
	if st := stage(t, res, "twice"); st.In != 3 || st.Out != 6 {
		t.Errorf("twice stats in %d out %d, want 3 6", st.In, st.Out)
	}

	// A consumer that declares an output type is refused by the checker...
	code, stderr := check(t, `package main

pipeline P {
	producer gen() int {
		emit(1)
	}
	consumer sink(n int) int {
	}
}
`)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 7, `consumer "sink" has no output`)

	// ...and a consumer body has no emit: calling it is a Go compile error at the .mg line.
	code, _, _, stderr = mgTool(t, "bad.mg", `package main

pipeline P {
	producer gen() int {
		emit(1)
	}
	consumer sink(n int) {
		emit(n)
	}
}
`, []string{"build"}, "-o", filepath.Join(t.TempDir(), "out"))
	if code != 1 {
		t.Errorf("build exit %d, want 1", code)
	}
	wantDiag(t, stderr, 8, "undefined: emit")
}

// | accumulator | `max_size:` (default 100), `max_wait:` | size only; `max_wait` stored,
// unused; partial batch flushed at end | size and time; flushed at end; optional body |
// (size, flush at end, no body)
func TestStages_AccumulatorSize(t *testing.T) {
	noLeaks(t)
	for _, tc := range []struct {
		count int
		want  [][]int
	}{
		{10, [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}},
		{8, [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}}}, // no empty batch at the end
		{1, [][]int{{0}}},
		{0, nil},
	} {
		p := NewAccSize()
		p.Count = tc.count
		res, err := p.Run(runCtx(t))
		mustSucceed(t, res, err)
		got := p.Batches()
		if len(got) != len(tc.want) {
			t.Errorf("count %d: batches %v, want %v", tc.count, got, tc.want)
			continue
		}
		for i := range got {
			if !slices.Equal(got[i], tc.want[i]) {
				t.Errorf("count %d: batches %v, want %v", tc.count, got, tc.want)
				break
			}
		}
		if st := stage(t, res, "group"); st.Kind != mgrt.KindAccumulator || st.In != int64(tc.count) || st.Out != int64(len(tc.want)) {
			t.Errorf("count %d: group stats kind %v in %d out %d", tc.count, st.Kind, st.In, st.Out)
		}
	}
}

// | accumulator | ... | size and time; flushed at end; optional body | (the body)
func TestStages_AccumulatorBody(t *testing.T) {
	noLeaks(t)
	p := NewAccBody()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	// 0..9, 10..19, then the partial 20..24 flushed at the end.
	if got, want := p.Sums(), []int{45, 145, 110}; !slices.Equal(got, want) {
		t.Errorf("sums %v, want %v", got, want)
	}
	if st := stage(t, res, "sums"); st.In != 25 || st.Out != 3 {
		t.Errorf("sums stats in %d out %d, want 25 3", st.In, st.Out)
	}
}

// | accumulator | `max_size:`, `max_wait:` | `max_wait` stored, unused | size and time |
func TestStages_AccumulatorMaxWait(t *testing.T) {
	noLeaks(t)
	p := NewAccTime()
	start := time.Now()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	batches, sawFlush := p.Batches()
	if !sawFlush {
		t.Errorf("the partial batch [1 2 3] was not flushed by max_wait(30ms) while the producer waited (5 s)")
	}
	if len(batches) != 2 || !slices.Equal(batches[0], []int{1, 2, 3}) || !slices.Equal(batches[1], []int{4}) {
		t.Errorf("batches %v, want [[1 2 3] [4]]", batches)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("run took %v: the time flush did not happen", d)
	}
}

// | `batch N` | shorthand accumulator | ... | works in every strategy | (with `every D`)
func TestStages_BatchEvery(t *testing.T) {
	noLeaks(t)
	p := NewBatchEvery()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	batches, sawFlush := p.Batches()
	if !sawFlush {
		t.Errorf("batch 100 every 30ms did not flush [1 2 3] while the producer waited")
	}
	if len(batches) != 2 || !slices.Equal(batches[0], []int{1, 2, 3}) || !slices.Equal(batches[1], []int{4}) {
		t.Errorf("batches %v, want [[1 2 3] [4]]", batches)
	}
	if st := stage(t, res, "batch"); st.Kind != mgrt.KindAccumulator || st.In != 4 || st.Out != 2 {
		t.Errorf("batch stats %+v", st)
	}
}

// | `batch N` | shorthand accumulator | inside a `cow_fork` block it drops every item |
// works in every strategy |
func TestStages_BatchInEveryStrategy(t *testing.T) {
	noLeaks(t)
	p := NewBatchThreads()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	batches := p.Batches()
	var all []int
	partial := 0
	for _, b := range batches {
		all = append(all, b...)
		if len(b) != 3 {
			partial++
			if len(b) > 3 || len(b) == 0 {
				t.Errorf("batch of %d items", len(b))
			}
		}
	}
	if got := sorted(all); !slices.Equal(got, seq(0, 1000)) {
		t.Errorf("items through batch 3: %d, want 0..999 exactly once", len(got))
	}
	// 1000 = 333*3 + 1: exactly one partial batch, flushed at the end.
	if len(batches) != 334 || partial != 1 {
		t.Errorf("%d batches, %d partial; want 334, 1", len(batches), partial)
	}
	if s := stageInfo(t, p.Graph(), "pass").Strategy; s.Kind != mgrt.Threads || s.N != 4 {
		t.Errorf("pass strategy %v, want threads(4)", s)
	}
}

// | generic / custom stage | `stage`, `custom_stage(Class, :name)` | subclass hooks into
// queues | `stage x = GoValue` implementing `mgrt.Stage[In, Out]` |
func TestStages_CustomStage(t *testing.T) {
	noLeaks(t)
	var _ mgrt.Stage[string, string] = suffixStage // the bound value is a mgrt.Stage
	before := suffixStage.calls.Load()
	p := NewCustomStage()
	if s := stageInfo(t, p.Graph(), "shout").Strategy; s.Kind != mgrt.Threads || s.N != 2 {
		t.Errorf("shout strategy %v, want threads(2)", s)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got, want := sorted(p.Got()), []string{"a!", "b!", "c!"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if n := suffixStage.calls.Load() - before; n != 4 {
		t.Errorf("Process called %d times, want 4", n)
	}
	if len(res.Failures) != 1 {
		t.Fatalf("failures %v, want the item \"bad\"", res.Failures)
	}
	f := res.Failures[0]
	if f.Stage != "shout" || f.Item != "bad" || f.Err == nil || f.Err.Error() != "bad item" || f.Attempts != 1 {
		t.Errorf("failure %+v", f)
	}
	if f.Pos.Line != lineOf(t, "stages.mg", "stage shout") {
		t.Errorf("failure at %v, want stages.mg:%d", f.Pos, lineOf(t, "stages.mg", "stage shout"))
	}
	if st := stage(t, res, "shout"); st.In != 4 || st.Out != 3 || st.Failed != 1 {
		t.Errorf("shout stats in %d out %d failed %d, want 4 3 1", st.In, st.Out, st.Failed)
	}
}

// | stage names | unique | checked at first `run` | checked at generate time |
func TestStages_NamesUnique(t *testing.T) {
	src := `package main

pipeline P {
	producer gen() int {
		emit(1)
	}
	processor work(n int) int { emit(n) }
	consumer sink(n int) {}
	consumer work(n int) {}
}

pipeline Q {
	producer gen() int {
		emit(1)
	}
	consumer work(n int) {}
}
`
	code, stderr := check(t, src)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 9, `duplicate stage "work" (first declared at bad.mg:7:`)
	if n := strings.Count(strings.TrimSpace(stderr), "\n") + 1; n != 1 {
		t.Errorf("want one diagnostic (the same name in another pipeline is fine), got:\n%s", stderr)
	}

	// generate refuses it and writes nothing.
	code, dir, _, _ := mgTool(t, "bad.mg", src, []string{"generate"})
	if code != 1 {
		t.Errorf("generate exit %d, want 1", code)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(m) != 0 {
		t.Errorf("generate wrote %v for a file with a duplicate stage", m)
	}
}
