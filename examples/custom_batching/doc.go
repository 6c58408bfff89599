// Package custom_batching shows an accumulator with a body: the runtime hands
// the body each batch of up to max_size(200) log lines (a partial one at the
// end of the stream or after max_wait), and the body does its own batching on
// top: it groups the lines by service and packs them greedily into payloads
// that fit a byte budget, emitting as many payloads as that takes.
package custom_batching

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
