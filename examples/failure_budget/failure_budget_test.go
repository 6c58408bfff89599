package failure_budget

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// The rows of the default export (200) that fail for good: malformed ones in
// parse, those the geocoder never answers for in geocode.
var (
	malformed  = []int{40, 80, 120, 160, 200}
	unanswered = []int{33, 66, 99, 132, 165, 198}
)

// failedID is the customer id of a failed item of either stage.
func failedID(f mgrt.Failure) int {
	switch it := f.Item.(type) {
	case string:
		var id int
		fmt.Sscanf(it, "%d,", &id)
		return id
	case Customer:
		return it.ID
	}
	return -1
}

// checkFailed checks a failure of a row that fails for good whatever the
// timing: a malformed row (every 40th) at its first attempt, one the geocoder
// never answers for (every 33rd) after three.
func checkFailed(t *testing.T, f mgrt.Failure) {
	t.Helper()
	id := failedID(f)
	switch {
	case id%40 == 0:
		if f.Stage != "parse" || f.Attempts != 1 || f.Pos.Line != 101 ||
			f.Err.Error() != fmt.Sprintf("row %d: email \"\" is not an address", id) {
			t.Errorf("row %d: %+v", id, f)
		}
	case outages(id) > 2:
		if f.Stage != "geocode" || f.Attempts != 3 || f.Pos.Line != 110 || !errors.Is(f.Err, ErrUnavailable) {
			t.Errorf("row %d: %+v", id, f)
		}
	default:
		t.Errorf("row %d failed: %+v", id, f)
	}
}

// checkCompleted checks a run of the default export that went to the end:
// every good row loaded, every bad one kept in the result and reported.
func checkCompleted(t *testing.T, p *Import, res mgrt.Result) {
	t.Helper()
	wantFailed := slices.Concat(malformed, unanswered)
	slices.Sort(wantFailed)
	var ids []int
	for _, f := range res.Failures {
		checkFailed(t, f)
		ids = append(ids, failedID(f))
	}
	slices.Sort(ids)
	if !slices.Equal(ids, wantFailed) || res.FailedItems != 11 {
		t.Errorf("failed rows %v (%d counted), want %v", ids, res.FailedItems, wantFailed)
	}
	reported := slices.Clone(p.reported)
	slices.Sort(reported)
	if !slices.Equal(reported, wantFailed) {
		t.Errorf("on_error saw %v, want %v", reported, wantFailed)
	}

	// every other row loaded, geocoded; each row retried only as its outages say
	if len(p.loaded) != 189 {
		t.Errorf("%d customers loaded, want 189", len(p.loaded))
	}
	for id := 1; id <= 200; id++ {
		c, ok := p.loaded[id]
		if ok == slices.Contains(wantFailed, id) {
			t.Errorf("row %d: loaded %v", id, ok)
		}
		if ok && (c.Email != fmt.Sprintf("c%d@example.com", id) || c.Region != regions[id%250%5]) {
			t.Errorf("row %d loaded as %+v", id, c)
		}
		want := min(1+outages(id), 3)
		if slices.Contains(malformed, id) {
			want = 0 // never geocoded
		}
		if p.attempts[id] != want {
			t.Errorf("row %d: geocoded %d times, want %d", id, p.attempts[id], want)
		}
	}

	stats := map[string]mgrt.StageStats{}
	for _, s := range res.Stages {
		stats[s.Name] = s
	}
	// 28 rows recover on their second attempt; 6 fail after three
	for name, want := range map[string][4]int64{ // in, out, failed, retried
		"parse":   {200, 195, 5, 0},
		"geocode": {195, 189, 6, 28 + 6*2},
		"load":    {189, 0, 0, 0},
	} {
		s := stats[name]
		if got := [4]int64{s.In, s.Out, s.Failed, s.Retried}; got != want || s.Dropped != 0 {
			t.Errorf("%s: in, out, failed, retried %v, dropped %d; want %v, 0", name, got, s.Dropped, want)
		}
	}
}

// Eleven rows fail for good, within the budget of twelve: the run succeeds,
// and its result keeps the failures.
func TestImportWithinBudget(t *testing.T) {
	p := NewImport()
	res, err := p.Run(context.Background())
	if err != nil || res.Err != nil || res.Status != mgrt.StatusSucceeded {
		t.Fatalf("status %s, err %v", res.Status, err)
	}
	checkCompleted(t, p, res)
}

// Without a budget (what -max-failures -1 does in a built program) the same
// run goes to the end and says that items failed.
func TestImportNoBudget(t *testing.T) {
	p := NewImport()
	res, err := p.Run(mgrt.WithFailureBudget(context.Background(), -1))
	if err != nil || res.Err != nil || res.Status != mgrt.StatusCompletedWithFailures {
		t.Fatalf("status %s, err %v", res.Status, err)
	}
	checkCompleted(t, p, res)
}

// Over the budget: 2000 rows with a budget of 5. The sixth failure comes within
// the first 240 rows (by then parse alone has failed six); it fails the run
// with a *mgrt.BudgetError and cancels it: the export stops, the rows still
// queued are dropped, and only rows read before it are loaded.
func TestImportOverBudget(t *testing.T) {
	p := NewImport()
	p.Count, p.Budget = 2000, 5
	res, err := p.Run(context.Background())
	var be *mgrt.BudgetError
	if !errors.As(err, &be) || res.Err != err || res.Status != mgrt.StatusFailed {
		t.Fatalf("status %s, err %#v, want a *mgrt.BudgetError", res.Status, err)
	}
	if be.Pipeline != "Import" || be.MaxFailures != 5 || be.Failed != 6 {
		t.Errorf("budget error %+v", be)
	}
	if !strings.HasPrefix(err.Error(), `pipeline "Import": 6 items failed for good, more than max_failures 5 allows; the last: failure_budget.mg:`) {
		t.Errorf("error %q", err)
	}
	// the failures in the order they came: the sixth exceeded the budget
	if len(res.Failures) < 6 || res.FailedItems != int64(len(res.Failures)) || len(p.reported) != len(res.Failures) {
		t.Fatalf("%d failures kept, %d counted, %d reported", len(res.Failures), res.FailedItems, len(p.reported))
	}
	for _, f := range res.Failures[:6] {
		checkFailed(t, f)
	}
	if f := res.Failures[5]; failedID(be.Failure) != failedID(f) || be.Failure.Stage != f.Stage {
		t.Errorf("the budget error names %+v, the sixth failure is %+v", be.Failure, f)
	}

	stats := map[string]mgrt.StageStats{}
	for _, s := range res.Stages {
		stats[s.Name] = s
	}
	// canceled: what was made and not processed is counted as dropped, stage by stage
	if export := stats["export"]; export.Out >= 2000 {
		t.Errorf("the export made all %d rows: the run was not canceled", export.Out)
	}
	for _, hop := range [][2]string{{"export", "parse"}, {"parse", "geocode"}, {"geocode", "load"}} {
		up, down := stats[hop[0]], stats[hop[1]]
		if down.In+down.Dropped != up.Out {
			t.Errorf("%s sent %d, %s received %d and dropped %d", hop[0], up.Out, hop[1], down.In, down.Dropped)
		}
	}
	if int64(len(p.loaded)) != stats["load"].In {
		t.Errorf("%d customers loaded, load received %d", len(p.loaded), stats["load"].In)
	}
	for id := range p.loaded {
		if id%40 == 0 || outages(id) > 2 {
			t.Errorf("row %d loaded, though it fails for good", id)
		}
	}
}

// max_failures 0 is fail_fast: the first row that fails for good fails the run.
func TestImportBudgetZero(t *testing.T) {
	p := NewImport()
	p.Budget = 0
	res, err := p.Run(context.Background())
	var be *mgrt.BudgetError
	if !errors.As(err, &be) || be.MaxFailures != 0 || be.Failed != 1 || res.Status != mgrt.StatusFailed {
		t.Fatalf("status %s, err %v", res.Status, err)
	}
	checkFailed(t, be.Failure)
	if !strings.Contains(err.Error(), "an item failed for good and max_failures is 0") {
		t.Errorf("error %q", err)
	}
}
