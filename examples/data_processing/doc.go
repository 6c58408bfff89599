// Package dataprocessing shows data processing split into named
// sub-pipelines that route to one another with to(...): ingest to validate
// (one to one), validate to realtime and archive (one to two: broadcast, each
// gets every reading), realtime to alerts; alerts also has a producer of its
// own, and keeps both inputs. Inside each sub-pipeline the stages follow one
// another in source order; they may run under strategies of their own
// (archive compresses on two goroutines), and every body's p is the
// enclosing pipeline, so all of them share its state.
package dataprocessing

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
