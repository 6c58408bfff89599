// Package process_pool_setup shows expensive setup done once per worker
// process of a processes(N) pool. after_fork(lookup) runs in each worker
// process at its start, before its first item: it builds the worker's prime
// sieve (a package variable, so each process has its own) and counts itself
// in a state field with a merge rule, which brings each worker's count back
// to the parent. before_fork(lookup) runs in the parent before each worker
// starts. The test checks that the setup ran exactly once in every worker
// process, never in the parent, and that the workers answered every lookup,
// also when recycle replaces them after a number of items.
//
// The test binary is the worker executable: the generated init serves the
// stage when the process was started as a worker.
package process_pool_setup

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
