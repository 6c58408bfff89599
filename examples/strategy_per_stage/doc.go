// Package strategyperstage shows one pipeline whose stages each run under the
// strategy their work needs: a producer, a lookup on eight goroutines, pricing
// in a pool of two persistent worker processes, a batcher, and storage in one
// fresh worker process per batch. The pids, counters and saved order ids that
// the worker processes record come back to the parent through state fields
// with merge rules (union, sum, append): no tempfile or lock in user code, as
// Minigun's 09_strategy_per_stage needed.
//
// The test binary is also the worker executable: the generated init serves a
// stage when the process was started as a worker.
package strategyperstage

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
