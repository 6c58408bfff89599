// Package timed_batch shows `batch N every D`: a batch leaves the batcher
// when it holds N items or when its oldest item has waited D, whichever comes
// first, so a slow trickle of meter readings is uploaded promptly in partial
// batches instead of waiting for the batch to fill, while a burst still
// leaves in full batches.
//
// Bursts is a comma-separated string rather than a []int: built programs do
// not yet parse a slice parameter from its flag (-bursts 2,6 is refused), so
// the producer splits the string itself.
package timed_batch

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
