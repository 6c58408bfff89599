// Package broadcast shows broadcast fan-out: a stage with several downstreams
// and no routing option sends every value to each of them. A feed of stock
// price ticks reaches a last-price cache, an audit log and an alerting
// subscriber; each receives its own copy of the Tick struct, so the alert
// flag that one subscriber sets on its copy is never seen by the others.
package broadcast

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
