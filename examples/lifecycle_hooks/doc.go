// Package lifecyclehooks shows the hooks of a run and the order they are
// guaranteed to fire in (DESIGN 2.8): before_run first, before(stage) ahead
// of a stage's first item and after(stage) after its last (a stage ends only
// after every stage that sends to it), after_producer once every producer
// has finished, on_error in the parent for each item that failed for good,
// after its retries and before its stage's after hook, and after_run last,
// with the run's result. Each hook fires exactly once per occurrence, and no
// two hooks run at the same time, though bodies may run beside them.
package lifecyclehooks

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
