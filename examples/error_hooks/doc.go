// Package errorhooks shows error handling around worker processes, as
// Minigun's 20_error_handling_hooks does: batches of invoices are stored, each
// in a worker process of its own and retried once; a batch holding a bad
// record fails with an error or a panic, and what its attempts had written to
// merge state is dropped with them. The parent's on_error hook runs once per
// batch that failed for good, and the run's result lists each failure with
// its attempts and the worker's error (*mgrt.RemoteError: message, panic,
// stack, pid). The rows of the other batches come back through merge(append)
// and merge(sum); no tempfile or lock in user code.
//
// The test binary is also the worker executable: the generated init serves
// the process stage when the process was started as a worker.
package errorhooks

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
