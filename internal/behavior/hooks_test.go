package behavior

import (
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// count returns how many times s occurs in log.
func count(log []string, s string) int {
	n := 0
	for _, l := range log {
		if l == s {
			n++
		}
	}
	return n
}

// first and last return the index of the first and last occurrence of s, or -1.
func first(log []string, s string) int { return slices.Index(log, s) }

func last(log []string, s string) int {
	for i := len(log) - 1; i >= 0; i-- {
		if log[i] == s {
			return i
		}
	}
	return -1
}

// | `before_run`, `after_run` | once | twice under `run` | once |
func TestHooks_BeforeAfterRunOnce(t *testing.T) {
	noLeaks(t)
	p := NewHooked()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	log := p.Log()
	if count(log, "before_run") != 1 || count(log, "after_run") != 1 {
		t.Errorf("before_run %d, after_run %d times, want once each", count(log, "before_run"), count(log, "after_run"))
	}
	if log[0] != "before_run" || log[len(log)-1] != "after_run" {
		t.Errorf("log starts with %q and ends with %q, want before_run and after_run", log[0], log[len(log)-1])
	}
	if p.resultIn != 40 {
		t.Errorf("after_run saw sink.In = %d in result, want 40", p.resultIn)
	}

	// A second Run of the same value fires each once more.
	res, err = p.Run(runCtx(t))
	mustSucceed(t, res, err)
	log = p.Log()
	if count(log, "before_run") != 2 || count(log, "after_run") != 2 || count(log, "after_producer") != 2 {
		t.Errorf("after two runs: before_run %d, after_run %d, after_producer %d, want 2 each",
			count(log, "before_run"), count(log, "after_run"), count(log, "after_producer"))
	}
}

// | `after_producer` | — | registered, never called | when every producer has finished |
func TestHooks_AfterProducerAfterLastEmit(t *testing.T) {
	noLeaks(t)
	for range 3 {
		p := NewHooked()
		res, err := p.Run(runCtx(t))
		mustSucceed(t, res, err)
		log := p.Log()
		if n := count(log, "after_producer"); n != 1 {
			t.Fatalf("after_producer ran %d times, want once", n)
		}
		if count(log, "emit") != 40 {
			t.Fatalf("%d emits logged, want 40", count(log, "emit"))
		}
		// gen2 starts 5 ms late: after_producer must wait for both producers.
		if ap, le := first(log, "after_producer"), last(log, "emit"); ap < le {
			t.Fatalf("after_producer at %d, before the last emit at %d", ap, le)
		}
		if ap, ag := first(log, "after_producer"), first(log, "after(gen1)"); ap < ag {
			t.Fatalf("after_producer at %d, before after(gen1) at %d", ap, ag)
		}
	}
}

// | `before(:stage)`, `after(:stage)`, inline `before:`/`after:` | per stage | root pipeline
// only; `after` skipped when the stage raised | every pipeline level | (once each, around
// the stage's items)
func TestHooks_BeforeAfterStageOnce(t *testing.T) {
	noLeaks(t)
	p := NewHooked()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	log := p.Log()
	for _, h := range []string{"before(gen1)", "after(gen1)", "before(work)", "after(work)", "before(sink)", "after(sink)"} {
		if n := count(log, h); n != 1 {
			t.Errorf("%s ran %d times, want once", h, n)
		}
	}
	if b, i := first(log, "before(work)"), first(log, "item work"); b < 0 || b > i {
		t.Errorf("before(work) at %d, first item at %d", b, i)
	}
	if a, i := first(log, "after(work)"), last(log, "item work"); a < i {
		t.Errorf("after(work) at %d, last item at %d", a, i)
	}
	if b, i := first(log, "before(sink)"), first(log, "item sink"); b < 0 || b > i {
		t.Errorf("before(sink) at %d, first item at %d", b, i)
	}
	if a, i := first(log, "after(sink)"), last(log, "item sink"); a < i {
		t.Errorf("after(sink) at %d, last item at %d", a, i)
	}
	if b, e := first(log, "before(gen1)"), first(log, "emit"); b > e {
		t.Errorf("before(gen1) at %d, after the first emit at %d", b, e)
	}
}

// | `before(:stage)`, `after(:stage)` | per stage | root pipeline only | every pipeline level |
func TestHooks_StageHooksInNestedAndSubPipelines(t *testing.T) {
	noLeaks(t)
	p := NewHookedLevels()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	host, inner := p.Logs()
	for _, h := range []string{"sub before(step)", "sub after(step)", "root before(sub.step)", "root after(inner.twice)"} {
		if n := count(host, h); n != 1 {
			t.Errorf("%s ran %d times, want once; host log %q", h, n, host)
		}
	}
	for _, h := range []string{"before(twice)", "after(twice)"} {
		if n := count(inner, h); n != 1 {
			t.Errorf("nested %s ran %d times, want once; nested log %q", h, n, inner)
		}
	}
	if b, i := first(inner, "before(twice)"), first(inner, "item twice"); b < 0 || b > i {
		t.Errorf("nested before(twice) at %d, first item at %d", b, i)
	}
	if a, i := first(inner, "after(twice)"), last(inner, "item twice"); a < i {
		t.Errorf("nested after(twice) at %d, last item at %d", a, i)
	}
	if b, i := first(host, "sub before(step)"), first(host, "item step"); b < 0 || b > i {
		t.Errorf("sub before(step) at %d, first item at %d", b, i)
	}
	if a, i := first(host, "sub after(step)"), last(host, "item step"); a < i {
		t.Errorf("sub after(step) at %d, last item at %d", a, i)
	}
	if got := sorted(p.got.Items()); !slices.Equal(got, []int{1, 3, 5, 7, 9, 11, 13, 15, 17, 19}) {
		t.Errorf("sink got %v", got)
	}
}

// | `before(:stage)`, `after(:stage)` | ... | `after` skipped when the stage raised | every
// pipeline level | (after(stage) also when the stage failed)
func TestHooks_AfterStageWhenStageFailed(t *testing.T) {
	noLeaks(t)
	p := NewHookedFailures()
	res, err := p.Run(runCtx(t))
	if err == nil || res.Status != mgrt.StatusFailed {
		t.Fatalf("status %q err %v, want failed with the producer's error", res.Status, err)
	}
	log := p.Log()
	for _, h := range []string{"after(gen)", "after(fails)", "after(sink)"} {
		if n := count(log, h); n != 1 {
			t.Errorf("%s ran %d times, want once; log %q", h, n, log)
		}
	}
	if a, i := first(log, "after(fails)"), last(log, "item fails"); a < i {
		t.Errorf("after(fails) at %d, before the last item at %d", a, i)
	}
	if n := count(log, "item fails"); n != 5 {
		t.Errorf("fails ran %d items, want 5 (drained after the producer's error)", n)
	}
}

// | `on_error` hook (DESIGN 2.8): for each item that failed for good |
func TestHooks_OnErrorPerFailedItem(t *testing.T) {
	noLeaks(t)
	p := NewOnError()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	if got := sorted(p.items.Items()); !slices.Equal(got, []int{0, 3, 6, 9}) {
		t.Errorf("on_error items %v, want [0 3 6 9] (once each, after the retry)", got)
	}
	if got := sorted(p.errs.Items()); !slices.Equal(got, []string{"bad 0", "bad 3", "bad 6", "bad 9"}) {
		t.Errorf("on_error errors %v", got)
	}
	if len(res.Failures) != 4 {
		t.Errorf("%d failures, want 4", len(res.Failures))
	}

	// A panic reaches on_error as a *mgrt.PanicError.
	h := NewHookedFailures()
	h.Run(runCtx(t))
	var panics, errs int
	for _, l := range h.Log() {
		if strings.HasPrefix(l, "on_error(fails) 4: panic: four") {
			panics++
		} else if strings.HasPrefix(l, "on_error(fails) ") {
			errs++
		}
	}
	if panics != 1 || errs != 4 {
		t.Errorf("on_error: %d panics, %d errors, want 1 and 4; log %q", panics, errs, h.Log())
	}
}

// | (DESIGN 2.8) Within one process the runtime never runs two hooks at the same time |
func TestHooks_NeverTwoAtOnce(t *testing.T) {
	noLeaks(t)
	for range 3 {
		p := NewHooksSerial()
		res, err := p.Run(runCtx(t))
		mustSucceed(t, res, err)
		calls := p.calls.Items()
		if n := count(calls, "on_error(a)"); n != 20 {
			t.Fatalf("on_error(a) ran %d times, want 20", n)
		}
		if len(calls) != 29 {
			t.Fatalf("%d hook calls, want 29: %q", len(calls), calls)
		}
		if peak := p.gauge.Peak(); peak != 1 {
			t.Fatalf("%d hooks ran at the same time", peak)
		}
	}
}

// | `before_run`, `after_run` | once | twice under `run` | once | (DESIGN 2.8: hooks in nested
// and named pipelines fire like the root's)
func TestHooks_RunHooksInNestedAndSubPipelines(t *testing.T) {
	noLeaks(t)
	p := NewRunHooksOuter()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	host, inner := p.Logs()
	for _, h := range []string{"before_run", "after_run", "sub before_run", "sub after_run"} {
		if n := count(host, h); n != 1 {
			t.Errorf("%s ran %d times, want once; log %q", h, n, host)
		}
	}
	for _, h := range []string{"before_run", "after_run"} {
		if n := count(inner, h); n != 1 {
			t.Errorf("nested %s ran %d times, want once; log %q", h, n, inner)
		}
	}
}

// | `after_producer` | — | registered, never called | when every producer has finished |
// (producers in two sub-pipelines)
func TestHooks_AfterProducerWithSubPipelineProducers(t *testing.T) {
	noLeaks(t)
	p := NewBothInputs()
	res, err := p.Run(runCtx(t))
	mustSucceed(t, res, err)
	log := p.log.Items()
	if count(log, "after_producer") != 1 || count(log, "emit") != 5 {
		t.Fatalf("log %q: want 5 emits and after_producer once", log)
	}
	if first(log, "after_producer") < last(log, "emit") {
		t.Errorf("log %q: after_producer before the last emit of the late producer", log)
	}
}
