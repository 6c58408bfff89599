// Adversarial: three process stages feed each other under max_processes 3 (two
// process_per_batch stages and a pool between them), with small queues, uneven item costs and a
// retried failure. Warm workers of one stage must give their budget slots to a stage that
// waits, so the run ends; each value arrives once; no worker is alive in after_run.
//
// want:
// values=1500 sum=374250 dup=false children=0
//
// runs: 3
// timeout: 30s
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
	func children() int {
		me := strconv.Itoa(os.Getpid())
		ents, _ := os.ReadDir("/proc")
		n := 0
		for _, e := range ents {
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
			if len(f) > 1 && f[0] != "Z" && f[1] == me {
				n++
			}
		}
		return n
	}
}

pipeline ChainBudget {
	max_processes 3
	queue_size 3

	state {
		values int
		sum    int
		seen   map[int]int
		dup    bool
		tries  map[int]int
	}

	before_run {
		p.seen = map[int]int{}
	}

	producer gen() int {
		for i := 0; i < 100; i++ {
			emit(i)
		}
	}

	processor fan(x int) int process_per_batch(max: 2) {
		if x%13 == 0 {
			time.Sleep(3 * time.Millisecond)
		}
		for j := 0; j < 5; j++ {
			emit(x*5 + j)
		}
	}

	processor mid(x int) int processes(1) retry(2) {
		if x == 77 {
			if p.tries == nil {
				p.tries = map[int]int{}
			}
			p.tries[x]++
			if p.tries[x] == 1 {
				return errors.New("first try fails")
			}
		}
		emit(x)
	}

	batch 10

	processor join(b []int) int process_per_batch(max: 2) {
		for _, v := range b {
			emit(v)
			emit(v)
			emit(v)
		}
	}

	consumer total(x int) {
		p.values++
		p.sum += x
		p.seen[x]++
	}

	after_run {
		for v := 0; v < 500; v++ {
			if p.seen[v] != 3 {
				p.dup = true
			}
		}
		fmt.Printf("values=%d sum=%d dup=%v children=%d\n", p.values, p.sum, p.dup, children())
	}
}
