// Package backpressure shows a bounded queue at work: the camera produces
// frames as fast as it can, the encoder is slow, and encode's input queue
// (queue_size(Queue), 16 frames by default) blocks the camera's emit when it
// is full. The camera counts the frames it has handed over, the encoder the
// frames it has finished; their difference, checked at every capture, never
// passes the queue's bound by more than the runtime's chunking allows.
//
// Edges carry items in chunks of up to a quarter of the queue: a sender fills
// a chunk before it takes room for it in the queue, and the receiver takes a
// chunk at a time out of it. So a producer can be ahead of a slow consumer by
// the queue's capacity plus about half of it again (the chunk it is filling
// and the one the consumer works through), never more: 24 frames for a queue
// of 16, against all 200 without a bound.
package backpressure

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
