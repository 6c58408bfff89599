// Package multi_hop shows one pipeline whose items cross every kind of
// boundary: tokenize runs on four goroutines of the parent, count on a fresh
// worker process for each batch of fifty documents (process_per_batch), score
// on a pool of two persistent worker processes (processes(2)), and collect
// back in the parent. What a worker emits comes back to the parent and is
// routed on from there, so a value counted in one child process is scored in
// another and collected in the parent without any code for it.
//
// The test binary is the worker executable: the generated init serves the
// process stages when the process was started as a worker.
package multi_hop

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
