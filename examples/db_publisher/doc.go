// Package db_publisher shows a database publisher on a real embedded SQL
// database (SQLite through modernc.org/sqlite, pure Go, no cgo): the
// transactional outbox pattern. The producer reads unpublished rows of the
// outbox table page by page (keyset pagination, so no read stays open while
// the marks are written), publish sends each event to a Broker on Workers
// goroutines, retrying a busy broker, and mark sets published_at on each batch
// of published ids in one transaction. A second run finds nothing left to
// publish. Given no database, the program makes a temporary one holding a
// demo outbox of 1000 events.
package db_publisher

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
