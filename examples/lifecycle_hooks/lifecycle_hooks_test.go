package lifecyclehooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// firstIndex and lastIndex are the positions of the first and last event
// with the given prefix, or -1.
func firstIndex(log []string, prefix string) int {
	return slices.IndexFunc(log, func(e string) bool { return strings.HasPrefix(e, prefix) })
}

func lastIndex(log []string, prefix string) int {
	for i := len(log) - 1; i >= 0; i-- {
		if strings.HasPrefix(log[i], prefix) {
			return i
		}
	}
	return -1
}

func TestLifecycleHooks(t *testing.T) {
	for run := 0; run < 5; run++ { // the order holds on every run, whatever the interleaving
		p := NewLifecycleHooks()
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		// Items failed for good, no failure budget: the run completes with failures.
		if res.Status != mgrt.StatusCompletedWithFailures {
			t.Errorf("status %s, want the run completed", res.Status)
		}
		log := p.log

		// Each hook fired exactly once per occurrence: once each, and
		// on_error once for each expired card.
		count := map[string]int{}
		var errs []string
		for _, e := range log {
			switch {
			case strings.HasPrefix(e, "on_error"):
				errs = append(errs, e)
			case !strings.HasPrefix(e, "read ") && !strings.HasPrefix(e, "charge ") && !strings.HasPrefix(e, "email "):
				count[e]++
			}
		}
		hooks := []string{"before_run", "before(accounts)", "after(accounts)", "after_producer",
			"before(charge)", "after(charge)", "before(email)", "after(email)", "after_run"}
		for _, h := range hooks {
			if count[h] != 1 {
				t.Errorf("%s fired %d times, want once", h, count[h])
			}
		}
		if len(count) != len(hooks) {
			t.Errorf("hooks fired: %v, want %q", count, hooks)
		}
		var wantErrs []string
		for _, id := range []int{14, 21, 28, 7} { // sorted as strings
			wantErrs = append(wantErrs, fmt.Sprintf("on_error(charge) %d: account %d: card expired", id, id))
		}
		slices.Sort(errs)
		if !slices.Equal(errs, wantErrs) {
			t.Errorf("on_error fired for %q, want %q", errs, wantErrs)
		}

		// The order among hooks: what DESIGN 2.8 guarantees, and no more
		// (stages run side by side, so before(charge) may come before
		// after(accounts), before(email) before after(charge)).
		at := func(e string) int { return slices.Index(log, e) }
		for _, o := range [][2]string{
			{"before(accounts)", "after(accounts)"},
			{"before(charge)", "after(charge)"},
			{"before(email)", "after(email)"},
			{"after(accounts)", "after_producer"}, // the only producer has finished
			{"after(accounts)", "after(charge)"},  // a stage ends after its upstream
			{"after(charge)", "after(email)"},
		} {
			if at(o[0]) > at(o[1]) {
				t.Errorf("%s at %d, after %s at %d: %q", o[0], at(o[0]), o[1], at(o[1]), log)
			}
		}

		// Against the items: run hooks around everything, stage hooks around
		// their stage's items, after_producer after the last read, each
		// on_error after the item's second attempt and before after(charge).
		if log[0] != "before_run" || log[len(log)-1] != "after_run" {
			t.Errorf("log runs from %q to %q", log[0], log[len(log)-1])
		}
		for _, s := range []struct{ stage, item string }{{"accounts", "read "}, {"charge", "charge "}, {"email", "email "}} {
			if b, first := at("before("+s.stage+")"), firstIndex(log, s.item); b > first {
				t.Errorf("before(%s) at %d, after its first item at %d", s.stage, b, first)
			}
			if a, last := at("after("+s.stage+")"), lastIndex(log, s.item); a < last {
				t.Errorf("after(%s) at %d, before its last item at %d", s.stage, a, last)
			}
		}
		if ap, last := at("after_producer"), lastIndex(log, "read "); ap < last || ap < at("after(accounts)") {
			t.Errorf("after_producer at %d: last read at %d, after(accounts) at %d", ap, last, at("after(accounts)"))
		}
		for _, id := range []int{7, 14, 21, 28} {
			attempts := 0
			for _, e := range log {
				if e == fmt.Sprintf("charge %d", id) {
					attempts++
				}
			}
			oe := firstIndex(log, fmt.Sprintf("on_error(charge) %d:", id))
			if attempts != 2 || oe < lastIndex(log, fmt.Sprintf("charge %d", id)) || oe > at("after(charge)") {
				t.Errorf("account %d: %d attempts, on_error at %d", id, attempts, oe)
			}
		}

		// Every account read once and charged once (the expired ones twice),
		// every receipt emailed once; after_run saw the final result.
		items := map[string]int{}
		for _, e := range log {
			if kind, _, ok := strings.Cut(e, " "); ok && (kind == "read" || kind == "charge" || kind == "email") {
				items[kind]++
			}
		}
		if items["read"] != 30 || items["charge"] != 34 || items["email"] != 26 {
			t.Errorf("events per item: %v, want 30 reads, 34 charges, 26 emails", items)
		}
		wantCents := 0
		for id := 1; id <= 30; id++ {
			if id%7 != 0 {
				wantCents += 500 + id*25
			}
		}
		if p.charged != wantCents || p.failed != 4 || len(res.Failures) != 4 {
			t.Errorf("charged %d, after_run saw %d failed, result has %d; want %d, 4, 4", p.charged, p.failed, len(res.Failures), wantCents)
		}
	}
}
