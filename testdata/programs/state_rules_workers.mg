// Every merge rule through both process strategies, with items that fail and are retried: a
// failed attempt's changes never reach the parent, items that leave the state alone cost
// nothing, and the parent ends with each rule's merge of the successful attempts. Negative
// maxima and empty-string minima check that an unchanged field is not read as a zero.
//
// want:
// pool count=13334 sum=133346667 hi=-1 lo="" tags=13334 seen=13335 joined=1667
// batch count=13334 sum=133346667 hi=-1 lo="" tags=13334 seen=13335 joined=1667
//
// runs: 3
// timeout: 60s
package main

import (
	"errors"
	"fmt"
	"strings"
)

go {
	type label string

	// join is the merge(join) rule: the pieces workers added, in order.
	func join(into, from string) string { return into + from }

	// tried holds, in each worker process, the items whose first attempt failed there.
	var tried = map[int]bool{}

	// rules is the state of both pipelines.
	type rules struct {
		count  int
		sum    int64
		hi     int
		lo     label
		tags   []int
		seen   map[int]bool
		joined string
	}

	// add is one item's work: a multiple of 3 leaves the state alone.
	func (r *rules) add(x, n int) {
		if x%3 == 0 {
			return
		}
		r.count++
		r.sum += int64(x)
		r.hi = max(r.hi, -x)
		if x == n {
			r.lo = ""
		}
		r.tags = append(r.tags, x)
		r.seen[x] = true
		if x%8 == 0 {
			r.joined += "j"
		}
	}

	// spoil is what a failed attempt writes before it fails: none of it may reach the parent.
	func (r *rules) spoil(x int) {
		r.count += 1000
		r.hi = 5
		r.lo = "a"
		r.tags = append(r.tags, -x)
		r.seen[-x] = true
		r.joined += "lost"
	}

	func (r rules) String() string {
		return fmt.Sprintf("count=%d sum=%d hi=%d lo=%q tags=%d seen=%d joined=%d",
			r.count, r.sum, r.hi, r.lo, len(r.tags), len(r.seen), strings.Count(r.joined, "j"))
	}

	// take and put move the merge fields in and out of a rules value.
	func (p *Pool) take() *rules {
		return &rules{p.count, p.sum, p.hi, p.lo, p.tags, p.seen, p.joined}
	}

	func (p *Pool) put(r *rules) {
		p.count, p.sum, p.hi, p.lo, p.tags, p.seen, p.joined = r.count, r.sum, r.hi, r.lo, r.tags, r.seen, r.joined
	}

	// take and put move the merge fields in and out of a rules value.
	func (p *Batch) take() *rules {
		return &rules{p.count, p.sum, p.hi, p.lo, p.tags, p.seen, p.joined}
	}

	func (p *Batch) put(r *rules) {
		p.count, p.sum, p.hi, p.lo, p.tags, p.seen, p.joined = r.count, r.sum, r.hi, r.lo, r.tags, r.seen, r.joined
	}

	// failFirst reports whether x is an item whose first attempt fails (each 7th).
	func failFirst(x int) bool {
		if x%7 != 0 || tried[x] {
			return false
		}
		tried[x] = true
		return true
	}
}

pipeline Pool {
	param N int = 20000

	state {
		count  int          merge(sum)
		sum    int64        merge(sum)
		hi     int          merge(max)
		lo     label        merge(min)
		tags   []int        merge(append)
		seen   map[int]bool merge(union)
		joined string       merge(join)
	}

	before_run {
		p.hi = -1000000
		p.lo = "zzz"
		p.seen = map[int]bool{-1: true}
	}

	producer gen() int {
		for i := 1; i <= p.N; i++ {
			emit(i)
		}
	}

	processor work(x int) int processes(3) retry(2) {
		r := p.take()
		defer p.put(r)
		if failFirst(x) {
			r.spoil(x)
			return errors.New("first attempt fails")
		}
		r.add(x, p.N)
		emit(x)
	}

	consumer sink(x int) {}

	after_run {
		fmt.Println("pool", *p.take())
	}
}

pipeline Batch {
	param N int = 20000

	state {
		count  int          merge(sum)
		sum    int64        merge(sum)
		hi     int          merge(max)
		lo     label        merge(min)
		tags   []int        merge(append)
		seen   map[int]bool merge(union)
		joined string       merge(join)
	}

	before_run {
		p.hi = -1000000
		p.lo = "zzz"
		p.seen = map[int]bool{-1: true}
	}

	producer gen() int {
		for i := 1; i <= p.N; i++ {
			emit(i)
		}
	}

	batch 100

	processor work(b []int) int process_per_batch(max: 3) retry(2) {
		r := p.take()
		defer p.put(r)
		if failFirst(b[0] * 7) { // every batch's first attempt
			r.spoil(b[0])
			return errors.New("first attempt fails")
		}
		for _, x := range b {
			r.add(x, p.N)
		}
		emit(len(b))
	}

	consumer sink(x int) {}

	after_run {
		fmt.Println("batch", *p.take())
	}
}
