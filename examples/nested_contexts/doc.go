// Package nestedcontexts shows strategy blocks nested in one another, as
// Minigun's 35_nested_contexts does: a threads(4) block holding a named
// context(heavy) block of worker processes. The innermost block wins, a
// stage's own option (inline, processes(2)) beats every block around it, a
// batch runs in the parent whatever block it is in, and a stage after the
// inner block is back under the outer one. The pids of the worker processes
// come back through merge(union) state fields; the shards they count flow on
// to the parent as emitted values.
//
// The test binary is also the worker executable: the generated init serves
// the process stages when the process was started as a worker.
package nestedcontexts

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
