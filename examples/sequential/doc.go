// Package sequential shows the default wiring: no stage says where its
// output goes, so each sends to the next stage in source order that takes an
// input, and every stage runs inline. Log lines go through read, split (one
// in, several out), drop_debug (one in, none out), redact, format and write,
// and come out in the order they went in.
package sequential

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
