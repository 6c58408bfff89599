// Package batchandprocess shows a batcher followed by a worker process per
// batch, as Minigun's 36_batch_and_process does: sensor readings are packed
// into batches of 50 (the last one partial), each batch is summarised in a
// fresh worker process with ipc: tempfile, and the summaries flow on to a
// consumer in the parent. The batch and reading counts of the workers come
// back through merge(sum) and merge(append) state fields, where Ruby needed
// a tempfile and a lock.
//
// The test binary is also the worker executable: the generated init serves
// the process stage when the process was started as a worker.
package batchandprocess

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
