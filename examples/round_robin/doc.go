// Package round_robin shows round-robin load balancing: a producer with
// routing(round_robin) and three downstreams gives each job to one renderer in
// turn, starting with the first listed in to(...), so thirty jobs make ten
// per renderer and job i always lands on renderer i mod 3. The renderers' work
// meets again in one store stage (fan-in).
package round_robin

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
