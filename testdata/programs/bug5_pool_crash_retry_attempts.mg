// Bug 5: a pool item whose body crashes its worker (os.Exit(1)) every time runs more times than
// retry allows, and its failure's Attempts under-counts the runs: after a worker death with
// several unreported items, they are re-run one at a time without counting an attempt. Every
// run of a body is an attempt: with retry(2) the item runs exactly 3 times and fails with
// Attempts=3. The runs are counted by appending to a file (param RunLog, a temporary file when
// not given) from the body.
//
// want:
// runs of item 50: 3
// failures: 1
// failed item 50 attempts=3
// delivered: 99
//
// exit: 3
// runs: 3
package main

import (
	"fmt"
	"os"
	"strings"
)

pipeline PoolCrashRetryAttempts {
	param RunLog string

	state {
		delivered int
		temp      bool
	}

	before_run {
		if p.RunLog == "" {
			f, err := os.CreateTemp("", "minigun-runlog-*")
			if err != nil {
				return err
			}
			f.Close()
			p.RunLog = f.Name()
			p.temp = true
		}
	}

	producer gen() int {
		for i := 0; i < 100; i++ {
			emit(i)
		}
	}

	processor work(x int) int processes(2) retry(2) {
		if x == 50 {
			if f, err := os.OpenFile(p.RunLog, os.O_APPEND|os.O_WRONLY, 0); err == nil {
				fmt.Fprintln(f, "run")
				f.Close()
			}
			os.Exit(1)
		}
		emit(x)
	}

	consumer collect(x int) {
		p.delivered++
	}

	after_run {
		data, _ := os.ReadFile(p.RunLog)
		if p.temp {
			os.Remove(p.RunLog)
		}
		fmt.Println("runs of item 50:", strings.Count(string(data), "run\n"))
		fmt.Println("failures:", len(result.Failures))
		for _, f := range result.Failures {
			fmt.Printf("failed item %v attempts=%d\n", f.Item, f.Attempts)
		}
		fmt.Println("delivered:", p.delivered)
	}
}
