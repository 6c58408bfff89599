// Package behavior is minigun-go's behaviour suite: one test per row of the
// Ruby original's feature tables (shared/MINIGUN.md) that can run in process.
//
// The pipelines live in .mg files grouped by table (stages.mg, routing.mg,
// execution.mg, composition.mg, hooks.mg, failures.mg); their generated
// _mg.go files are committed. The tests run them through the generated API
// (NewX, parameters, Run, Start) and assert outputs, stats, failures and
// statuses. Rows that are compile-time checks feed small bad .mg files to
// the minigungen command (internal/tool) and match the diagnostic.
//
// Rows where the compiler does not do what the design says have their test
// in bugs_test.go.txt, out of the build until the compiler is fixed. Rows
// about worker processes (process_per_batch, processes, before_fork,
// after_fork, state merged from children) are tested elsewhere.
package behavior

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
