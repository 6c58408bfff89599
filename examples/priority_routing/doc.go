// Package priority_routing shows routing by priority to lanes of different
// capacity: triage sends each support ticket with to.high, to.normal or to.low;
// the high lane runs on eight goroutines, the normal lane on two, and low
// tickets are batched by an accumulator and answered twenty at a time. Every
// lane feeds the same done stage.
package priority_routing

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
