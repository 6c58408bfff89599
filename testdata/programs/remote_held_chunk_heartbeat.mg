// remote(2, chunk: 1, ack_wait: 1s): 4 healthy items of 2.5 s each. A worker holds the next
// chunk while it runs one and keeps both alive (InProgress every ack_wait/3), so no chunk is
// delivered again and each body runs once: a chunk is delivered again only when a worker dies
// or stops answering for ack_wait. Each run appends a line to a file.
// want:
// got=4 runs=4 retried=0
//
// exit: 0
// timeout: 60s
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

go {
	func runsFile(pid int) string { return filepath.Join(os.TempDir(), fmt.Sprintf("mg-held-chunk-%d", pid)) }
}

pipeline PF {
	state { got int }
	producer gen() int {
		for i := 0; i < 4; i++ {
			emit(i)
		}
	}
	processor a(x int) int remote(2, chunk: 1, ack_wait: 1s) {
		f, _ := os.OpenFile(runsFile(os.Getppid()), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		fmt.Fprintln(f, x)
		f.Close()
		time.Sleep(2500 * time.Millisecond)
		emit(x)
	}
	consumer c(x int) { p.got++ }
	after_run {
		b, _ := os.ReadFile(runsFile(os.Getpid()))
		os.Remove(runsFile(os.Getpid()))
		s, _ := result.Stage("a")
		fmt.Printf("got=%d runs=%d retried=%d\n", p.got, strings.Count(string(b), "\n"), s.Retried)
	}
}
