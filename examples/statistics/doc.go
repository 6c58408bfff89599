// Package statistics shows statistics gathered in worker processes, as
// Minigun's 19_statistics_gathering does with tempfiles: an access log is
// parsed by a pool of three persistent worker processes, each counting lines
// per worker pid and responses per status code (merge(addCounts), a rule
// written as a Go func), adding up bytes (merge(sum)) and keeping the slowest
// and fastest response (merge(max), merge(min)). The parent merges every worker's share before
// after_run, which prints them with the per-stage stats of the run's result.
//
// The test binary is also the worker executable: the generated init serves
// the process stage when the process was started as a worker.
package statistics

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
