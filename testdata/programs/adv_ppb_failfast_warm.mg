// Adversarial: fail_fast while warm workers wait for their batches. Batch 30 fails for good;
// the run fails and is canceled with some batches running and others waiting with their warm
// workers. No worker process may be alive when after_run runs, and the values delivered are
// exactly those of the batches that succeeded (never a duplicate).
//
// want:
// children at after_run: 0
// duplicates: false
// failed: true
//
// exit: 1
// runs: 3
// timeout: 20s
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

go {
	// children lists the live child processes of this process.
	func children() []int {
		me := os.Getpid()
		ents, _ := os.ReadDir("/proc")
		var out []int
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			if err != nil {
				continue
			}
			s := string(data)
			i := strings.LastIndexByte(s, ')')
			if i < 0 {
				continue
			}
			f := strings.Fields(s[i+1:])
			if len(f) > 1 && f[0] != "Z" && f[1] == strconv.Itoa(me) {
				out = append(out, pid)
			}
		}
		return out
	}
}

pipeline PPBFailFastWarm {
	fail_fast

	state {
		seen map[int]bool
		dup  bool
	}

	before_run {
		p.seen = map[int]bool{}
	}

	producer gen() int {
		for i := 0; i < 4000; i++ {
			emit(i)
		}
	}

	batch 50

	processor work(b []int) int process_per_batch(max: 3) {
		if b[0] == 30*50 {
			return errors.New("batch 30 fails")
		}
		time.Sleep(2 * time.Millisecond)
		for _, v := range b {
			emit(v)
		}
	}

	consumer total(x int) {
		if p.seen[x] {
			p.dup = true
		}
		p.seen[x] = true
	}

	after_run {
		fmt.Printf("children at after_run: %d\n", len(children()))
		fmt.Printf("duplicates: %v\n", p.dup)
		fmt.Printf("failed: %v\n", result.Status == "failed")
	}
}
