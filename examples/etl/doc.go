// Package etl shows extract, transform and load as three pipelines composed
// into one. extract, a sub-pipeline of ETL, reads a CSV export; transform is
// a nested Transform, a reusable pipeline with no producer, its own state
// (the orders it has seen) and its own hooks, that checks records on two
// goroutines, dead-letters the invalid ones and drops repeated orders; load,
// another sub-pipeline, inserts the sales into the warehouse table in
// batches. No part names the next: each sends to the next in source order.
package etl

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
