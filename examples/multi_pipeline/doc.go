// Package multipipeline shows several pipelines in one file. Normalize has no
// producer: it parses and checks the rows of a stock export, and is a stage
// (`nested normalize = Normalize`) of the two jobs that read the export,
// Inventory and Reorder, each holding its own copy. A program built from
// the file (minigungen build) runs every pipeline that has a producer, one
// after the other in source order: Inventory, then Reorder; -pipeline NAME
// runs one. From Go, each is a type of its own to run as the caller likes.
package multipipeline

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
