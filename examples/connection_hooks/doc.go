// Package connectionhooks shows hooks around worker processes managing a
// database connection per process, as Minigun's 17_database_connection_hooks
// does: before_run and after_run open and close the parent's connection,
// before_fork runs in the parent before each worker starts, and after_fork
// opens each worker's own connection before it handles its batch. The
// workers' events and the rows they stored come back to the parent through
// state fields with merge(append); no tempfile or lock in user code.
//
// The test binary is also the worker executable: the generated init serves
// the process stage when the process was started as a worker.
package connectionhooks

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
