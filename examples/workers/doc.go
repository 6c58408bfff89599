// Package workers holds the eight Minigun examples that, in Ruby, needed
// hand-written tempfile and file-lock IPC to get results, counters and events
// back from forked children (see shared/seeds). Here each is a .mg file whose
// process stages write `state` fields with merge rules, and the framework
// carries them back: no file, no lock in user code.
//
// The test binary is also the worker executable: the generated init serves
// a stage when the process was started as a worker.
package workers

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
