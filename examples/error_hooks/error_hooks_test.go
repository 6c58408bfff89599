package errorhooks

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestErrorHooks(t *testing.T) {
	p := NewErrorHooks()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	// Items failed for good and the pipeline has no failure budget: the run
	// completes with failures, it does not fail.
	if res.Status != mgrt.StatusCompletedWithFailures {
		t.Errorf("status %s, want the run completed", res.Status)
	}

	// Batches 30-39 and 60-69 failed; every other invoice was stored once,
	// and nothing written by a failed attempt (rows 30-36, 60-63) came back.
	var want []int
	wantCents := 0
	for id := 0; id < 100; id++ {
		if id/10 == 3 || id/10 == 6 {
			continue
		}
		want = append(want, id)
		rate := []int{100, 92, 117}[id%3]
		wantCents += (1000 + id*10) * rate / 100
	}
	if got := slices.Sorted(slices.Values(p.stored)); !slices.Equal(got, want) {
		t.Errorf("stored %d invoices %v, want the 80 outside batches 30-39 and 60-69", len(got), got)
	}
	if p.cents != wantCents {
		t.Errorf("stored %d euro cents, want %d", p.cents, wantCents)
	}

	// on_error ran once per failed batch, after its retry, with the worker's error.
	wantErrors := []string{
		"batch 30-39: invoice 37: negative amount -500",
		`batch 60-69: panic: no exchange rate for "XYZ" (panicked at error_hooks.mg:39)`,
	}
	if !slices.Equal(p.errors, wantErrors) {
		t.Errorf("on_error saw %q, want %q", p.errors, wantErrors)
	}

	// The result lists both failures: the batch, two attempts, and the
	// worker's error with its pid (and, for the panic, its stack).
	var storePos mgrt.Pos
	for _, s := range p.Graph().Stages {
		if s.Name == "store" {
			storePos = s.Pos
		}
	}
	if len(res.Failures) != 2 {
		t.Fatalf("%d failures, want 2: %v", len(res.Failures), res.Failures)
	}
	failures := slices.Clone(res.Failures)
	slices.SortFunc(failures, func(a, b mgrt.Failure) int { return a.Item.([]Invoice)[0].ID - b.Item.([]Invoice)[0].ID })
	for i, f := range failures {
		b := f.Item.([]Invoice)
		var re *mgrt.RemoteError
		if !errors.As(f.Err, &re) {
			t.Fatalf("failure %d: %T %v, want a *mgrt.RemoteError", i, f.Err, f.Err)
		}
		first, panicked := []int{30, 60}[i], i == 1
		if len(b) != 10 || b[0].ID != first || f.Stage != "store" || f.Attempts != 2 || f.Pos.File != "error_hooks.mg" || f.Pos.Line != storePos.Line {
			t.Errorf("failure %d: batch %d-%d of %d, stage %q, %d attempts at %s; want batch %d-%d, store, 2 attempts at line %d",
				i, b[0].ID, b[len(b)-1].ID, len(b), f.Stage, f.Attempts, f.Pos, first, first+9, storePos.Line)
		}
		if re.Panic != panicked || re.PID == 0 || re.PID == os.Getpid() {
			t.Errorf("failure %d: panic=%v in pid %d (parent %d), want panic=%v in a worker", i, re.Panic, re.PID, os.Getpid(), panicked)
		}
		if panicked && !strings.Contains(re.Stack, "toEuroCents") {
			t.Errorf("the panic's stack does not name toEuroCents:\n%s", re.Stack)
		}
	}

	if st, _ := res.Stage("store"); st.In != 10 || st.Failed != 2 || st.Retried != 2 {
		t.Errorf("store: in=%d failed=%d retried=%d, want 10 2 2", st.In, st.Failed, st.Retried)
	}
}
