// Package db_etl shows an ETL pipeline into and out of SQLite
// (modernc.org/sqlite, pure Go). extract reads the raw point-of-sale export
// of one database in pages; transform cleans and types each row on four
// goroutines (dates in two formats, padded store codes, decimal commas, a
// currency sign) and dead-letters the rows it cannot clean to reject, which
// records them with their reason in a rejects table; `batch Batch` groups the
// sales, and load inserts each batch in one transaction of a second database,
// the warehouse. A batch the warehouse refuses (a constraint fails on one of
// its rows) is rolled back whole and reported as that batch's failure. The
// test then queries the warehouse. Given no databases, the program makes
// temporary ones holding a demo export of 2000 rows.
package db_etl

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
