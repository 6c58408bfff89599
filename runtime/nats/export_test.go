package mgnats

import "time"

// SetNoWorkerWarning sets how long a stage without workers waits before it says how to start
// one, for the tests of package mgnats_test; the returned function puts it back.
func SetNoWorkerWarning(d time.Duration) func() {
	old := noWorkerWarning
	noWorkerWarning = d
	return func() { noWorkerWarning = old }
}
