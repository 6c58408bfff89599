// Package inlinehooks shows hooks written next to the stages they watch, as
// Minigun's 21_inline_hook_procs passes them as procs on each stage:
// before(render) and after(render) around a stage on two goroutines;
// before_fork, which runs in the parent before every worker process starts;
// after_fork, which runs in every worker as it starts; and after_fork(sign),
// which loads a signing key in the workers of one stage only. The events of
// the worker processes reach the parent through a merge(append) state field
// (Ruby Minigun lost them, or needed a tempfile and a lock), and after_run
// lays the events of every process on one timeline.
//
// The test binary is also the worker executable: the generated init serves
// the process stages when the process was started as a worker.
package inlinehooks

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
