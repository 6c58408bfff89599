// Adversarial: process_per_batch with warm workers, where batches crash their worker in every
// way (os.Exit, panic, SIGKILL of itself, an error) on their first attempt only, and others
// run slowly. Each batch runs in a process of its own; every value arrives exactly once; the
// attempts are counted per batch through a run log (one file per attempt).
//
// want:
// values=2000 sum=1999000 distinct_pids=ok batches_retried=20
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

pipeline PPBCrashMix {
	param Dir string

	state {
		values int
		sum    int
		pids   map[int]int
		seen   map[int]bool
		dup    bool
	}

	before_run {
		if p.Dir == "" {
			d, err := os.MkdirTemp("", "ppb-crash-*")
			if err != nil {
				return err
			}
			p.Dir = d
		}
		p.pids = map[int]int{}
		p.seen = map[int]bool{}
	}

	producer gen() int {
		for i := 0; i < 2000; i++ {
			emit(i)
		}
	}

	batch 20

	processor work(b []int) [2]int process_per_batch(max: 3) retry(2) {
		first := b[0]
		idx := first / 20
		mark := filepath.Join(p.Dir, strconv.Itoa(first))
		if _, err := os.Stat(mark); err != nil && idx%5 == 0 {
			os.WriteFile(mark, nil, 0o600)
			switch (idx / 5) % 4 {
			case 0:
				os.Exit(7)
			case 1:
				panic("boom")
			case 2:
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Second)
			case 3:
				return fmt.Errorf("first attempt of %d fails", first)
			}
		}
		if idx%7 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		for _, v := range b {
			emit([2]int{v, os.Getpid()})
		}
	}

	consumer total(x [2]int) {
		if p.seen[x[0]] {
			p.dup = true
		}
		p.seen[x[0]] = true
		p.values++
		p.sum += x[0]
		p.pids[x[1]]++
	}

	after_run {
		ok := "ok"
		for _, n := range p.pids {
			if n != 20 {
				ok = "bad"
			}
		}
		if len(p.pids) != 100 || p.dup {
			ok = fmt.Sprintf("bad (%d pids, dup %v)", len(p.pids), p.dup)
		}
		marks, _ := os.ReadDir(p.Dir)
		fmt.Printf("values=%d sum=%d distinct_pids=%s batches_retried=%d\n", p.values, p.sum, ok, len(marks))
		os.RemoveAll(p.Dir)
	}
}
