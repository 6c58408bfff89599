package behavior

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"testing"
)

func TestRegression_ToWithFromDelivers(t *testing.T) {
	p := NewToWithFrom()
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.got, []int{0, 1, 2}) {
		t.Errorf("sink got %v, want [0 1 2]", p.got)
	}
}

func TestRegression_ToAfterRerouteDelivers(t *testing.T) {
	p := NewRouteChild()
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.a != 4 || p.b != 0 {
		t.Errorf("left got %d, right %d; want 4 and 0 (right is rerouted away)", p.a, p.b)
	}
}

func TestRegression_ChildMergesInheritedState(t *testing.T) {
	p := NewMergeChild()
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.n != 20 {
		t.Errorf("n = %d, want 20 (10 from work, 10 from the child's work2)", p.n)
	}
	if p.counts["work"] != 10 || p.counts["work2"] != 10 {
		t.Errorf("counts = %v, want work:10 work2:10", p.counts)
	}
}

func TestRegression_RedeclaredParamWithoutDefault(t *testing.T) {
	if got := NewParamChild().Label; got != "" {
		t.Errorf("child's Label = %q, want the zero value", got)
	}
	if got := NewParamBase().Label; got != "base" {
		t.Errorf("base's Label = %q, want base", got)
	}
}

func TestRegression_DeadLetterStageIsNotSequential(t *testing.T) {
	p := NewDeadLetterInline()
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.dead, []int{0, 3}) || !slices.Equal(p.kept, []int{1, 2, 4, 5}) {
		t.Errorf("dead %v kept %v, want [0 3] and [1 2 4 5]", p.dead, p.kept)
	}
}

func TestRegression_NamedMapUnion(t *testing.T) {
	p := NewNamedUnion()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := res.Stage("mark"); st.Retried != 5 || st.Failed != 0 {
		t.Errorf("mark: retried %d, failed %d; want 5 and 0", st.Retried, st.Failed)
	}
	want := Seen{}
	for i := 1; i <= 20; i++ {
		want[i] = true
	}
	if !maps.Equal(p.seen, want) {
		t.Errorf("seen = %v, want 1..20 and no failed attempt's write", p.seen)
	}
}

func TestRegression_NonASCIIPipelineName(t *testing.T) {
	p := NewÜnïcode()
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.got, []int{1, 2}) {
		t.Errorf("got %v, want [1 2]", p.got)
	}
}

func TestRegression_DroppedStageHooksDoNotFire(t *testing.T) {
	p := NewAuditedChild()
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if audit := p.mgNestedAudit.events; len(audit) != 0 {
		t.Errorf("hooks of the dropped nested pipeline fired: %q", audit)
	}
	if !slices.Equal(p.got, []int{1}) {
		t.Errorf("sink got %v, want [1]", p.got)
	}
	base := NewAuditedBase()
	if _, err := base.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"audit before_run", "audit before(stamp)", "audit after(sink)"}
	if got := base.mgNestedAudit.events; !slices.Equal(got, want) {
		t.Errorf("in the base pipeline the nested hooks fired %q, want %q", got, want)
	}
}

func TestRegression_NestedBatchEntrance(t *testing.T) {
	p := NewBatchedHost()
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := p.mgNestedBatcher.batches; len(got) != 3 || !slices.Equal(got[0], []int{0, 1, 2}) || !slices.Equal(got[2], []int{6}) {
		t.Errorf("batches %v, want [[0 1 2] [3 4 5] [6]]", got)
	}
}

func TestRegression_ChainPanicsInTheirStage(t *testing.T) {
	p := NewChainPanics()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type failure struct {
		stage string
		item  int
		msg   string
	}
	var got []failure
	for _, f := range res.Failures {
		got = append(got, failure{f.Stage, f.Item.(int), f.Err.Error()})
	}
	// Sorted: stages on goroutines of their own (without fusion) fail in any order.
	slices.SortFunc(got, func(x, y failure) int { return cmp.Or(cmp.Compare(x.stage, y.stage), cmp.Compare(x.item, y.item)) })
	want := []failure{
		{"b", 50, "panic: b (panicked at regressions.mg:231)"}, {"b", 100, "panic: b (panicked at regressions.mg:231)"},
		{"b", 150, "panic: b (panicked at regressions.mg:231)"}, {"b", 200, "panic: b (panicked at regressions.mg:231)"},
		{"c", 7, "panic: c after emit (panicked at regressions.mg:239)"}, {"e", 11, "panic: e (panicked at regressions.mg:245)"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("failures\n got %v\nwant %v", got, want)
	}
	var kept []int
	for i := 1; i <= 20; i++ {
		if i%5 != 0 && i != 11 {
			kept = append(kept, i)
		}
	}
	if !slices.Equal(p.got, kept) {
		t.Errorf("e got %v, want %v", p.got, kept)
	}
	if p.afterEmit != 16 {
		t.Errorf("c ran after its emit %d times, want 16 (e's panic must not unwind c)", p.afterEmit)
	}
	for _, w := range []struct {
		stage           string
		in, out, failed int64
	}{{"a", 20, 20, 0}, {"b", 20, 16, 4}, {"c", 16, 16, 1}, {"d", 16, 16, 0}, {"e", 16, 0, 1}} {
		s, _ := res.Stage(w.stage)
		if s.In != w.in || s.Out != w.out || s.Failed != w.failed {
			t.Errorf("stage %s: in %d out %d failed %d, want %d %d %d", w.stage, s.In, s.Out, s.Failed, w.in, w.out, w.failed)
		}
	}
}
