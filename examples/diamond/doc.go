// Package diamond shows a diamond: a producer fans out to two branches with
// to(count_words, checksum) (broadcast, so each branch gets every document),
// the branches run side by side on goroutines of their own, and a join stage
// with from(count_words, checksum) receives both streams interleaved and
// pairs the two parts of each document into one report.
package diamond

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
