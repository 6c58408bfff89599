// Package error_handling shows what happens to an item whose body fails:
// charge is retried with exponential backoff (retry(3, backoff: 2ms) allows
// four attempts, waiting 2ms, 4ms and 8ms between them) and only the
// succeeding attempt's emit goes on; a payment that still fails goes to the
// dead-letter stage refund as an mgrt.Failed[Payment] carrying its last error
// and attempt count (dead letters are not failures); receipt has neither retry
// nor dead letter, so its failed items, errors and panics alike, fail for
// good: the run's Result lists them with their stage, .mg position, item,
// error and attempts, the on_error hook sees each, and the stats count them.
// Run returns no error and the run is not failed: item failures fail a run
// only with fail_fast (or past a failure budget).
package error_handling

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
