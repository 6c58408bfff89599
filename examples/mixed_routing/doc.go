// Package mixed_routing shows the three ways items move, in one pipeline:
// static edges (source to validate, the next stage in source order; the
// region stages to ship, by to(ship)), broadcast (validate has two
// downstreams, audit and route, and each gets every valid order) and dynamic
// routing (route sends each order to exactly one of domestic, international
// and review with to.NAME). ship is fed by three stages (fan-in) and ends
// only when all three have ended.
package mixed_routing

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
