// Package fanout shows one producer feeding several consumers: a stage that
// names several downstreams with to(...) broadcasts, so each consumer gets
// every item, under its own strategy and at its own pace. An inline consumer
// receives the items in the order they were emitted; one on several
// goroutines handles them side by side; a slow one with a small queue holds
// the producer back (bounded queues are backpressure), and no item is lost
// or duplicated on any branch.
package fanout

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
