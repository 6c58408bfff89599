// remote_held_chunk_heartbeat with max_deliver: 1: healthy items never fail for good, the
// chunk a worker holds ahead of the one it runs included.
// want:
// got=4 runs=4 retried=0 failed=0
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
	func runsFile(pid int) string { return filepath.Join(os.TempDir(), fmt.Sprintf("mg-held-chunkb-%d", pid)) }
}

pipeline PF {
	state { got int }
	producer gen() int {
		for i := 0; i < 4; i++ {
			emit(i)
		}
	}
	processor a(x int) int remote(2, chunk: 1, ack_wait: 1s, max_deliver: 1) {
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
		fmt.Printf("got=%d runs=%d retried=%d failed=%d\n", p.got, strings.Count(string(b), "\n"), s.Retried, result.FailedItems)
		for _, f := range result.Failures {
			fmt.Println("failed", f.Item, f.Err)
		}
	}
}
