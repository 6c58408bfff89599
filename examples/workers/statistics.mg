// 19_statistics_gathering: a pool of workers doubles numbers; which worker
// handled how many items, the largest and smallest value seen, and every
// result come back to the parent.
package workers

pipeline Statistics {
	param Count int = 1000

	state {
		perPID  map[int]int merge(Combine)
		largest int         merge(max)
		least   int         merge(min)
		total   int
	}

	before_run {
		p.least = 1 << 30
	}

	producer gen() int {
		for i := 1; i <= p.Count; i++ {
			emit(i)
		}
	}

	processor double(n int) int processes(3) {
		p.perPID[pid()]++
		if n*2 > p.largest {
			p.largest = n * 2
		}
		if n*2 < p.least {
			p.least = n * 2
		}
		emit(n * 2)
	}

	consumer sum(n int) {
		p.total += n
	}
}

go {
	// Combine adds per-worker counts: a merge(FUNC) rule.
	func Combine(into, from map[int]int) map[int]int {
		if into == nil {
			into = map[int]int{}
		}
		for k, v := range from {
			into[k] += v
		}
		return into
	}
}
