// Package multi_producer shows several producers feeding one stage: three
// sensor feeds, each a producer on its own goroutine, send to one aggregator
// (fan-in). Their readings interleave; the aggregator ends only when all three
// producers have ended, after_producer runs once when the last one has, and a
// producer that returns an error fails the run once the others' readings have
// drained.
package multi_producer

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
