// Package dedup shows a custom stage: Dedup, a Go value implementing
// mgrt.Stage[T, T] (one method, Process), bound in the pipeline with
// `stage dedup threads(4) = NewDedup(clickID)`. Its item types come from the
// value's Process method. The four goroutines of the stage share the one
// value, which guards its set of seen keys with a mutex. The expression is
// evaluated each time the pipeline's graph is built, so every Run starts with
// an empty set.
//
// Dedup is declared in a go { } block of dedup.mg rather than in a Go file
// of the package so that `minigungen build dedup.mg` builds the example on its
// own: a standalone build compiles the .mg file alone.
package dedup

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
