// Adversarial: processes(3) on cheap items that travel many to a frame, where workers kill
// themselves (SIGKILL, os.Exit, a panic that escapes into a goroutine) in the middle of
// frames, the first time each of a few items runs. Every item is delivered exactly once and
// the run succeeds; the items that crashed their worker were retried.
//
// want:
// delivered=200000 sum=39999800000 dup=false
// failed=0
//
// runs: 2
// timeout: 30s
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

pipeline PoolCrashFrames {
	param Dir string

	state {
		delivered int
		sum       int
		seen      []bool
		dup       bool
		failed    int
	}

	before_run {
		d, err := os.MkdirTemp("", "pool-crash-*")
		if err != nil {
			return err
		}
		p.Dir = d
		p.seen = make([]bool, 200000)
	}

	producer gen() int {
		for i := 0; i < 200000; i++ {
			emit(i)
		}
	}

	processor work(x int) int processes(3) retry(1) {
		if x%20011 == 7 {
			mark := filepath.Join(p.Dir, strconv.Itoa(x))
			if _, err := os.Stat(mark); err != nil {
				os.WriteFile(mark, nil, 0o600)
				switch (x / 20011) % 3 {
				case 0:
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
					time.Sleep(time.Second)
				case 1:
					os.Exit(9)
				case 2:
					done := make(chan bool)
					go func() { panic("escaped") }()
					<-done
				}
			}
		}
		emit(x * 2)
	}

	consumer total(x int) {
		if p.seen[x/2] {
			p.dup = true
		}
		p.seen[x/2] = true
		p.delivered++
		p.sum += x
	}

	on_error(work) (err error, item any) {
		p.failed++
	}

	after_run {
		fmt.Printf("delivered=%d sum=%d dup=%v\n", p.delivered, p.sum, p.dup)
		fmt.Printf("failed=%d\n", p.failed)
		os.RemoveAll(p.Dir)
	}
}
