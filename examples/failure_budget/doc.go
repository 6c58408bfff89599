// Package failure_budget shows a run's failure budget, max_failures Budget:
// a customer import in which malformed rows fail for good in parse, rows
// whose geocoding fails once recover on a retry, and rows the geocoder never
// answers for fail for good after their three attempts. Up to Budget rows may
// fail for good and the run still succeeds: its Result lists the failed rows
// (stage, position, item, error, attempts), the on_error hooks see each, and
// the stats count them. One more failure fails the run with an
// *mgrt.BudgetError and cancels it, as fail_fast does: the rows still queued
// are dropped, never loaded. Without a budget (-max-failures -1 in a built
// program, mgrt.WithFailureBudget(ctx, -1) from Go) the run goes on to the end
// and ends completed_with_failures.
//
// A built program exits 0 when the run succeeded (failures within the
// budget included), 1 when it failed (the budget exceeded), 3 when a run
// without a budget completed with failures; its last line on stderr counts
// the failed items per stage.
package failure_budget

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
