// Package demo is the pipeline `make demo` runs: orders looked up on a pool
// of goroutines, dead-lettered when unknown, routed by amount, packed into
// batches, priced in worker processes and booked. demo.mg describes it;
// minigungen compiles it into demo_mg.go.
//
// The test binary is also the worker executable: the generated init serves
// the process stage when the process was started as a worker.
package demo

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
