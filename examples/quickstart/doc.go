// Package quickstart is the smallest useful minigun-go pipeline: a producer,
// a processor on four goroutines, a batcher and a consumer, described in
// quickstart.mg and compiled into quickstart_mg.go by minigungen.
package quickstart

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
