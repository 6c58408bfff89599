// Package large_dataset shows a pipeline over a dataset far larger than what
// it keeps in memory: a million trade records (two million by default) are
// made on the fly, priced, batched by a thousand and aggregated on two
// goroutines. Nothing keeps the records and every queue is bounded, so the
// heap stays at a few MiB where holding the records would take about 90 MiB;
// the test samples the heap during the run to check it.
//
// A queue's bound counts items, and after a batch an item is a whole batch:
// the aggregate stage's queue_size(4) keeps what can wait in front of it to
// four batches instead of the default thousand.
package large_dataset

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
