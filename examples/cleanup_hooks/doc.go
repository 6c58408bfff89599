// Package cleanuphooks shows resources acquired and released in hooks, as
// Minigun's 18_resource_cleanup_hooks does. Images (bytes) are shrunk into
// thumbnails, a batch in each worker process: after_fork acquires the
// worker's scratch buffer and the body releases it with a defer when the
// batch is done (no hook runs when a worker exits). In the parent,
// before(write) opens the archive the thumbnails go to and after(write)
// closes it after the last one. What each worker acquired and released comes
// back through merge(sum) and merge(append) state fields.
//
// The test binary is also the worker executable: the generated init serves
// the process stage when the process was started as a worker.
package cleanuphooks

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
