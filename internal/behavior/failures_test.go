package behavior

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// failuresByItem returns the failures of a result sorted by their item's text.
func failuresByItem(res mgrt.Result) []mgrt.Failure {
	fs := slices.Clone(res.Failures)
	slices.SortFunc(fs, func(a, b mgrt.Failure) int {
		return strings.Compare(fmt.Sprint(a.Item), fmt.Sprint(b.Item))
	})
	return fs
}

// | item error | strategies in the error guide | logged, item dropped, not counted | counted,
// retried, dead-lettered, `on_error` | (counted, reported)
func TestFailures_ItemErrorCounted(t *testing.T) {
	noLeaks(t)
	p := NewItemErrors()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err) // failed items do not fail the run
	if got, want := sorted(p.got.Items()), []int{0, 1, 2, 4, 5, 6, 8, 9}; !slices.Equal(got, want) {
		t.Errorf("keep got %v, want %v", got, want)
	}
	if st := stage(t, res, "check"); st.In != 10 || st.Out != 8 || st.Failed != 2 || st.Retried != 0 {
		t.Errorf("check stats in %d out %d failed %d retried %d, want 10 8 2 0", st.In, st.Out, st.Failed, st.Retried)
	}
	line := lineOf(t, "failures.mg", "pipeline ItemErrors", "processor check(")
	fs := failuresByItem(res)
	if len(fs) != 2 {
		t.Fatalf("failures %v, want 2", fs)
	}
	for i, item := range []int{3, 7} {
		f := fs[i]
		if f.Stage != "check" || f.Item != item || f.Attempts != 1 {
			t.Errorf("failure %d: stage %q item %v attempts %d", i, f.Stage, f.Item, f.Attempts)
		}
		if f.Pos.File != "failures.mg" || f.Pos.Line != line {
			t.Errorf("failure %d at %v, want failures.mg:%d", i, f.Pos, line)
		}
		if !errors.Is(f.Err, ErrOdd) || f.Err.Error() != fmt.Sprintf("check %d: odd item", item) {
			t.Errorf("failure %d: err %v, want the body's error wrapping ErrOdd", i, f.Err)
		}
		if msg := f.Error(); !strings.Contains(msg, fmt.Sprintf("failures.mg:%d:", line)) || !strings.Contains(msg, `"check"`) {
			t.Errorf("Failure.Error() = %q: want the .mg position and the stage", msg)
		}
	}
}

// | retries | `max_retries 3` | never used | `retry(N, backoff: D)` | (and a retried item
// never duplicates output, DESIGN 3.3)
func TestFailures_RetryNoDuplicatedOutput(t *testing.T) {
	noLeaks(t)
	p := NewRetries()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	var want []int
	for i := 0; i < 20; i++ {
		if i != 5 {
			want = append(want, i)
		}
	}
	// Every attempt emits before it fails: only the successful attempt's emit gets out.
	if got := sorted(p.got.Items()); !slices.Equal(got, want) {
		t.Errorf("keep got %v, want each of %v once", got, want)
	}
	for i := 0; i < 20; i++ {
		wantA := 3
		if i == 5 {
			wantA = 4 // retry(3): one attempt and three retries
		}
		if a := p.Attempts(i); a != wantA {
			t.Errorf("item %d ran %d times, want %d", i, a, wantA)
		}
	}
	st := stage(t, res, "flaky")
	if st.In != 20 || st.Out != 19 || st.Failed != 1 || st.Retried != 19*2+3 {
		t.Errorf("flaky stats in %d out %d failed %d retried %d, want 20 19 1 41", st.In, st.Out, st.Failed, st.Retried)
	}
	if len(res.Failures) != 1 || res.Failures[0].Item != 5 || res.Failures[0].Attempts != 4 ||
		res.Failures[0].Err == nil || res.Failures[0].Err.Error() != "attempt 4 of 5" {
		t.Errorf("failures %+v, want item 5 after 4 attempts with the last attempt's error", res.Failures)
	}
}

// | retries | ... | `retry(N, backoff: D)` | (the backoff)
func TestFailures_RetryBackoff(t *testing.T) {
	noLeaks(t)
	p := NewBackoff()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	ts := p.Times()
	if len(ts) != 3 {
		t.Fatalf("%d attempts, want 3", len(ts))
	}
	// Exponential from 20ms: 20ms before the first retry, 40ms before the second.
	if d := ts[1].Sub(ts[0]); d < 20*time.Millisecond {
		t.Errorf("first retry after %v, want >= 20ms", d)
	}
	if d := ts[2].Sub(ts[1]); d < 40*time.Millisecond {
		t.Errorf("second retry after %v, want >= 40ms", d)
	}
	if len(res.Failures) != 1 || res.Failures[0].Attempts != 3 {
		t.Errorf("failures %+v", res.Failures)
	}
}

// | item error | ... | counted, retried, dead-lettered, `on_error` | (dead_letter receiving
// mgrt.Failed[T], DESIGN 2.4)
func TestFailures_DeadLetter(t *testing.T) {
	noLeaks(t)
	p := NewDeadLetters()
	if got := edges(p.Graph()); !slices.Contains(got, "check-dl->dead") || slices.Contains(got, "check->dead") {
		t.Errorf("edges %v, want the dead-letter edge check-dl->dead only", got)
	}
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if len(res.Failures) != 0 {
		t.Errorf("dead-lettered items are listed as failures: %v", res.Failures)
	}
	dead := p.dead.Items()
	slices.SortFunc(dead, func(a, b mgrt.Failed[int]) int { return a.Item - b.Item })
	if len(dead) != 3 {
		t.Fatalf("dead got %+v, want items 0, 4, 8", dead)
	}
	for i, item := range []int{0, 4, 8} {
		f := dead[i]
		if f.Item != item || f.Stage != "check" || f.Attempts != 2 || f.Err == nil ||
			f.Err.Error() != fmt.Sprintf("multiple of four: %d", item) {
			t.Errorf("dead letter %d: %+v", i, f)
		}
	}
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{1, 2, 3, 5, 6, 7, 9}) {
		t.Errorf("keep got %v", got)
	}
	if st := stage(t, res, "check"); st.DeadLettered != 3 || st.Retried != 3 {
		t.Errorf("check stats dead-lettered %d retried %d, want 3 3", st.DeadLettered, st.Retried)
	}
	if st := stage(t, res, "dead"); st.In != 3 {
		t.Errorf("dead.In = %d, want 3", st.In)
	}
	// DESIGN 3.6: dead-lettered, else counted as failed and passed to on_error.
	if got := p.onError.Items(); len(got) != 0 {
		t.Errorf("on_error ran for dead-lettered items %v", got)
	}
}

// | producer error | "fails the entire pipeline" | logged; run returns normally | run fails
// after draining |
func TestFailures_ProducerErrorFailsRunAfterDraining(t *testing.T) {
	noLeaks(t)
	p := NewProducerError()
	res, err := p.Run(runCtx(t))
	if err == nil || res.Status != mgrt.StatusFailed {
		t.Fatalf("status %q err %v, want failed with an error", res.Status, err)
	}
	if res.Err == nil || res.Err.Error() != err.Error() {
		t.Errorf("Result.Err %v, Run's error %v: want the same", res.Err, err)
	}
	line := lineOf(t, "failures.mg", "pipeline ProducerError", "producer gen(")
	var se *mgrt.StageError
	if !errors.As(err, &se) || se.Stage != "gen" || se.Pos.File != "failures.mg" || se.Pos.Line != line {
		t.Errorf("err %#v, want a *mgrt.StageError of gen at failures.mg:%d", err, line)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("failures.mg:%d:", line)) || !strings.Contains(err.Error(), "source closed") {
		t.Errorf("err %q: want the .mg position and the producer's error", err)
	}
	// Everything the producer emitted before its error went through.
	if got := sorted(p.got.Items()); !slices.Equal(got, seq(0, 100)) {
		t.Errorf("keep got %d items, want all 100 (drained)", len(got))
	}
	if st := stage(t, res, "keep"); st.In != 100 || st.Dropped != 0 {
		t.Errorf("keep in %d dropped %d", st.In, st.Dropped)
	}
}

// | (DESIGN 3.6) `fail_fast` on the pipeline turns any item failure into a run failure with
// cancellation |
func TestFailures_FailFast(t *testing.T) {
	noLeaks(t)
	p := NewFailFast()
	start := time.Now()
	res, err := p.Run(runCtx(t))
	if err == nil || res.Status != mgrt.StatusFailed {
		t.Fatalf("status %q err %v, want failed", res.Status, err)
	}
	if !strings.Contains(err.Error(), "zero") {
		t.Errorf("err %q: want the item's error", err)
	}
	if !p.canceled.Load() {
		t.Errorf("the producer's context was not canceled by the failure")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("run took %v: not canceled", d)
	}
	if len(res.Failures) != 1 || res.Failures[0].Item != 0 {
		t.Errorf("failures %v, want item 0", res.Failures)
	}

	// Without fail_fast the same failure leaves the run succeeded (TestFailures_ItemErrorCounted).
}

// | (DESIGN 2.2) a panic is recovered and reported as that item's failure with the stage's
// .mg position | (and the stack)
func TestFailures_PanicReported(t *testing.T) {
	noLeaks(t)
	p := NewPanics()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{0, 1, 3, 4}) {
		t.Errorf("keep got %v, want [0 1 3 4]", got)
	}
	if len(res.Failures) != 1 {
		t.Fatalf("failures %v, want one", res.Failures)
	}
	f := res.Failures[0]
	stageLine := lineOf(t, "failures.mg", "pipeline Panics", "processor boom(")
	if f.Stage != "boom" || f.Item != 2 || f.Attempts != 1 || f.Pos.File != "failures.mg" || f.Pos.Line != stageLine {
		t.Errorf("failure %+v, want boom item 2 at failures.mg:%d", f, stageLine)
	}
	var pe *mgrt.PanicError
	if !errors.As(f.Err, &pe) {
		t.Fatalf("err %T %v, want *mgrt.PanicError", f.Err, f.Err)
	}
	if !strings.Contains(fmt.Sprint(pe.Value), "assignment to entry in nil map") {
		t.Errorf("panic value %v", pe.Value)
	}
	// The stack names the body's line in the .mg file (//line directives).
	panicLine := lineOf(t, "failures.mg", "pipeline Panics", `m["x"] = n`)
	if !regexp.MustCompile(fmt.Sprintf(`failures\.mg:%d\b`, panicLine)).Match(pe.Stack) {
		t.Errorf("stack does not name failures.mg:%d:\n%s", panicLine, pe.Stack)
	}
	// The failure names the line that panicked, not only the stage.
	at := fmt.Sprintf("failures.mg:%d", panicLine)
	if pe.At.String() != at || f.PanickedAt() != pe.At || !strings.HasSuffix(f.Error(), "(panicked at "+at+")") {
		t.Errorf("panic at %v, failure %q: want %s", pe.At, f.Error(), at)
	}
	if st := stage(t, res, "boom"); st.Failed != 1 {
		t.Errorf("boom.Failed = %d", st.Failed)
	}
}

// | `run` result | hash: status, duration, stats | an Integer (items produced) | `mgrt.Result` |
// and | job id | in logs | debug log only | in `Result` and every log line |
func TestFailures_RunResult(t *testing.T) {
	noLeaks(t)
	p := NewTimed()
	before := time.Now()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if !regexp.MustCompile(`^[0-9a-f]{8,}$`).MatchString(res.JobID) {
		t.Errorf("JobID %q, want hex", res.JobID)
	}
	if res.Pipeline != "Timed" {
		t.Errorf("Pipeline %q", res.Pipeline)
	}
	if res.Duration < 30*time.Millisecond || res.Duration > 5*time.Second {
		t.Errorf("Duration %v, want >= 30ms (three items of 10ms)", res.Duration)
	}
	if res.Started.Before(before.Add(-time.Second)) || res.Started.After(time.Now()) {
		t.Errorf("Started %v, not during the run", res.Started)
	}
	var names []string
	for _, s := range res.Stages {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"gen", "wait", "keep"}) {
		t.Errorf("stages %v", names)
	}
	st := stage(t, res, "wait")
	if st.In != 3 || st.Out != 3 || st.Kind != mgrt.KindProcessor || st.Pos.Line != lineOf(t, "failures.mg", "pipeline Timed", "processor wait(") {
		t.Errorf("wait stats %+v", st)
	}
	if st.P50 < 5*time.Millisecond || st.P99 < st.P50 || st.Throughput <= 0 {
		t.Errorf("wait latency p50 %v p99 %v throughput %v, want p50 about 10ms", st.P50, st.P99, st.Throughput)
	}
	if k := stage(t, res, "keep"); k.BlockedIn < 10*time.Millisecond {
		t.Errorf("keep waited %v for input, want >= 10ms (it waits on wait)", k.BlockedIn)
	}

	res2, err := p.Run(runCtx(t))
	mustSucceed(t, res2, err)
	if res2.JobID == res.JobID {
		t.Errorf("two runs share the job id %q", res.JobID)
	}
}

// | background run | `run(background: true)`, `stop`, `wait`, `running?` | `stop` leaves stage
// threads running | `Start` → `Handle` whose `Stop` stops |
func TestFailures_StartStopReallyStops(t *testing.T) {
	noLeaks(t)
	p := NewEndless()
	started := p.Started()
	h := p.Start(context.Background())
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		h.Stop()
		t.Fatal("the consumer got nothing in 10 s")
	}
	if !h.Running() {
		t.Errorf("Running() = false while the producer is endless")
	}
	if len(h.Stats()) != 4 {
		t.Errorf("Stats() during the run: %d stages, want 4", len(h.Stats()))
	}
	h.Stop()
	res, err := h.Wait()
	if res.Status != mgrt.StatusCanceled {
		t.Errorf("status %q, want canceled", res.Status)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want nil or context.Canceled", err)
	}
	if h.Running() {
		t.Errorf("Running() = true after Wait")
	}
	select {
	case <-h.Done():
	default:
		t.Errorf("Done() not closed after Wait")
	}
	emitted, _ := p.Counts()
	time.Sleep(20 * time.Millisecond)
	if again, _ := p.Counts(); again != emitted {
		t.Errorf("the producer went on emitting after Stop: %d then %d", emitted, again)
	}
	checkAccounting(t, res)
}

// checkAccounting checks that every value a stage emitted was either processed or counted
// as dropped by the next stage of the Endless pipeline.
func checkAccounting(t *testing.T, res mgrt.Result) {
	t.Helper()
	gen, work, batch, keep := stage(t, res, "gen"), stage(t, res, "work"), stage(t, res, "batch"), stage(t, res, "keep")
	if gen.Out != work.In+work.Dropped || work.Out != batch.In+batch.Dropped || batch.Out != keep.In+keep.Dropped {
		t.Errorf("values lost without being counted: gen out %d; work in %d dropped %d out %d; batch in %d dropped %d out %d; keep in %d dropped %d",
			gen.Out, work.In, work.Dropped, work.Out, batch.In, batch.Dropped, batch.Out, keep.In, keep.Dropped)
	}
}

// | signals | graceful shutdown | INT/TERM trapped; children not signalled | drain, ... |
// (in process: cancellation of the run's context gives status canceled, DESIGN 3.4)
func TestFailures_ContextCancelCanceled(t *testing.T) {
	noLeaks(t)
	p := NewEndless()
	started := p.Started()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
		}
		cancel()
	}()
	res, err := p.Run(ctx)
	if res.Status != mgrt.StatusCanceled {
		t.Errorf("status %q, want canceled", res.Status)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want nil or context.Canceled", err)
	}
	checkAccounting(t, res)

	// What an accumulator holds is flushed on cancellation; downstream it is counted as
	// dropped, never lost silently.
	c := NewCancelFlush()
	h := c.Start(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, ok := statsOf(h.Stats(), "batch"); ok && st.In == 3 {
			break
		}
		if time.Now().After(deadline) {
			h.Stop()
			t.Fatal("batch did not collect 3 items in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	h.Stop()
	res, _ = h.Wait()
	if res.Status != mgrt.StatusCanceled {
		t.Errorf("status %q, want canceled", res.Status)
	}
	batch, keep := stage(t, res, "batch"), stage(t, res, "keep")
	if batch.Out != 1 || keep.In+keep.Dropped != 1 {
		t.Errorf("batch out %d, keep in %d dropped %d: the partial batch was not flushed and accounted for", batch.Out, keep.In, keep.Dropped)
	}
}

func statsOf(sts []mgrt.StageStats, name string) (mgrt.StageStats, bool) {
	for _, s := range sts {
		if s.Name == name {
			return s, true
		}
	}
	return mgrt.StageStats{}, false
}

// | retries | `max_retries 3` | never used | `retry(N, backoff: D)` | (no duplicated output
// when the failed attempt sent with to.x, emitted from an ordered stage, or was a batch; a
// batch that fails for good goes to its dead letter item by item)
func TestFailures_RetryNoDuplicateRoutedOrderedBatch(t *testing.T) {
	noLeaks(t)
	p := NewRetryRouted()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	var evens, odds []int
	for i := 0; i < 30; i++ {
		if i%2 == 0 {
			evens = append(evens, i)
		} else {
			odds = append(odds, i)
		}
	}
	if got := sorted(p.evens.Items()); !slices.Equal(got, evens) {
		t.Errorf("evens got %v, want %v once each", got, evens)
	}
	if got := sorted(p.odds.Items()); !slices.Equal(got, odds) {
		t.Errorf("odds got %v, want %v once each", got, odds)
	}
	if got := p.ordered.Items(); !slices.Equal(got, seq(0, 30)) {
		t.Errorf("ordered stage with retries gave %v, want 0..29 once each, in order", got)
	}
	if got := sorted(p.sums.Items()); !slices.Equal(got, []int{45, 245}) {
		t.Errorf("sums %v, want [45 245]: the batch 10..19 failed for good", got)
	}
	dead := p.dead.Items()
	slices.SortFunc(dead, func(a, b mgrt.Failed[int]) int { return a.Item - b.Item })
	var items []int
	for _, f := range dead {
		items = append(items, f.Item)
		if f.Stage != "group" || f.Attempts != 2 || f.Err == nil || f.Err.Error() != "batch failed" {
			t.Errorf("dead letter %+v", f)
		}
	}
	if !slices.Equal(items, seq(10, 20)) {
		t.Errorf("dead letters %v, want the items 10..19 of the failed batch", items)
	}
	if st := stage(t, res, "split"); st.Retried != 30 || st.Out != 30 || st.Failed != 0 {
		t.Errorf("split retried %d out %d failed %d, want 30 30 0", st.Retried, st.Out, st.Failed)
	}
}

// | producer error | "fails the entire pipeline" | ... | run fails after draining | (a panic)
func TestFailures_ProducerPanicFailsRun(t *testing.T) {
	noLeaks(t)
	p := NewProducerPanic()
	res, err := p.Run(runCtx(t))
	if err == nil || res.Status != mgrt.StatusFailed {
		t.Fatalf("status %q err %v, want failed", res.Status, err)
	}
	var se *mgrt.StageError
	var pe *mgrt.PanicError
	line := lineOf(t, "failures.mg", "pipeline ProducerPanic", "producer gen(")
	if !errors.As(err, &se) || se.Stage != "gen" || se.Pos.Line != line || !errors.As(err, &pe) || pe.Value != "producer exploded" {
		t.Errorf("err %#v, want a StageError of gen at line %d holding the PanicError", err, line)
	}
	if got := p.got.Items(); !slices.Equal(got, []int{1}) {
		t.Errorf("keep got %v, want [1]", got)
	}
}

// | (DESIGN 3.6) fail_fast | ... | an item that goes to a dead letter is no run failure
// (GraphConfig.FailFast: "fails for good (not dead-lettered)")
func TestFailures_FailFastIgnoresDeadLettered(t *testing.T) {
	noLeaks(t)
	p := NewFailFastDead()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if d := p.dead.Items(); len(d) != 1 || d[0].Item != 4 {
		t.Errorf("dead got %+v, want item 4", d)
	}
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{0, 1, 2, 3, 5, 6, 7, 8, 9}) {
		t.Errorf("keep got %v", got)
	}
}

// max_failures N: N items may fail and the run succeeds; one more fails it with a
// *mgrt.BudgetError and cancels it, as fail_fast does. The budget may be a param.
func TestFailures_Budget(t *testing.T) {
	noLeaks(t)
	for _, tc := range []struct {
		budget int
		want   mgrt.Status
	}{{3, mgrt.StatusSucceeded}, {2, mgrt.StatusFailed}, {0, mgrt.StatusFailed}} {
		p := NewBudgeted()
		p.Budget = tc.budget
		res, err := p.Run(runCtx(t))
		if res.Status != tc.want {
			t.Fatalf("budget %d: status %s, want %s (err %v)", tc.budget, res.Status, tc.want, err)
		}
		var be *mgrt.BudgetError
		switch {
		case tc.want == mgrt.StatusSucceeded && (err != nil || res.FailedItems != 3):
			t.Errorf("budget %d: err %v, %d failed", tc.budget, err, res.FailedItems)
		case tc.want == mgrt.StatusFailed && (!errors.As(err, &be) || be.MaxFailures != tc.budget || be.Failed != int64(tc.budget)+1):
			t.Errorf("budget %d: err %v, want a *mgrt.BudgetError", tc.budget, err)
		}
	}
	if s := stageInfo(t, NewBudgeted().Graph(), "gen"); s.Total != 10 {
		t.Errorf("total(10) gives Total %d", s.Total)
	}
	po := NewParamOptions()
	po.Size = 4
	if s := stageInfo(t, po.Graph(), "gen"); s.Total != 4 {
		t.Errorf("total(Size) with Size 4 gives Total %d", s.Total)
	}
	p := NewBudgeted()
	p.Budget = -1
	if res, err := p.Run(runCtx(t)); res.Status != mgrt.StatusFailed || !strings.Contains(fmt.Sprint(err), "max_failures Budget: parameter Budget is -1, want at least 0") {
		t.Errorf("budget -1: %s %v", res.Status, err)
	}
}
