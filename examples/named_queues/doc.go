// Package named_queues shows named queues (`queue NAME T`): stages send to a
// queue with to(NAME) and to.NAME(v) as to any stage, and the stages that
// subscribe with from(NAME) share its items, each item going to one
// subscriber in turn. Two producers' emails meet in the urgent queue, served
// by three SMTP senders; newsletters go to a bulk queue with a smaller bound,
// served by two batching senders. Every email is delivered exactly once.
package named_queues

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
