// A program whose worker processes exchange only plain values (numbers, strings, and
// structs, slices and arrays of them) does not link encoding/gob, whose initialisation
// every worker process would pay: items, emits, parameters, the start values of merge(max)
// and merge(min) fields and the deltas of every merge rule but union cross in the raw codec.
// Everything arrives as it was sent, through a pool and a process per batch. (A program with
// remote stages links it anyway: the NATS client does.)
//
// want:
// pool: 2000 records, total 1999000, labels ok: true
// batch: 2000 items in 20 batches, squares 2664667000
// threads: 2000 items, total 3998000
// state: sum=1999000 max=1999 min=-5 log=2000 joined=20
//
// args: -label rec -scale 2
// timeout: 30s
// gob: no
package main

import (
	"fmt"
	"strings"
	"time"
)

go {
	type Record struct {
		ID    int
		Label string
		Tags  []string
		Pair  [2]int16
	}

	func join(into, from string) string { return into + from }
}

pipeline NoGob {
	param Label string = "x"
	param Scale int = 1
	param Pause time.Duration = time.Millisecond

	state {
		sum    int      merge(sum)
		most   int      merge(max)
		least  int      merge(min)
		log    []string merge(append)
		joined string   merge(join)
		pool   int
		okTags bool
		batches int
		items  int
		sq     int
		remote int
		rsum   int
	}

	producer gen() int {
		for i := 0; i < 2000; i++ {
			emit(i)
		}
	}

	processor record(i int) Record processes(2) {
		p.sum += i
		p.most = max(p.most, i)
		p.log = append(p.log, p.Label)
		emit(Record{ID: i, Label: fmt.Sprintf("%s-%d", p.Label, i), Tags: []string{p.Label, strings.Repeat("t", i%3)}, Pair: [2]int16{int16(i), -1}})
	}

	processor check(r Record) int {
		p.pool++
		p.okTags = (p.pool == 1 || p.okTags) && r.Tags[0] == "rec" && len(r.Tags[1]) == r.ID%3 && r.Label == fmt.Sprintf("rec-%d", r.ID) && r.Pair == [2]int16{int16(r.ID), -1}
		emit(r.ID)
	}

	batch 100

	processor square(b []int) int process_per_batch(max: 2) {
		p.least = min(p.least, -5)
		p.joined += "b"
		for _, v := range b {
			emit(v * v)
		}
	}

	processor count(v int) int {
		p.items++
		p.sq += v
		emit(v)
	}

	processor scale(v int) int threads(2) {
		n := 0
		for i := 0; i*i < v; i++ {
			n = i + 1
		}
		emit(n * p.Scale)
	}

	consumer collect(v int) {
		p.remote++
		p.rsum += v
	}

	after_run {
		fmt.Printf("pool: %d records, total %d, labels ok: %v\n", p.pool, p.sum, p.okTags)
		fmt.Printf("batch: %d items in %d batches, squares %d\n", p.items, len(p.joined), p.sq)
		fmt.Printf("threads: %d items, total %d\n", p.remote, p.rsum)
		fmt.Printf("state: sum=%d max=%d min=%d log=%d joined=%d\n", p.sum, p.most, p.least, len(p.log), len(p.joined))
	}
}
