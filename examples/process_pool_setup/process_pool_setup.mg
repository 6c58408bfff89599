// Expensive per-worker setup in a pool of worker processes: each worker
// builds its prime table once, in after_fork, then answers many lookups.
// process_pool_setup_test.go runs it as a package.
package process_pool_setup

import (
	"fmt"
	"os"
	"sync"
)

go {
	// Answer says whether N is prime, and which process said so.
	type Answer struct {
		N     int
		Prime bool
		PID   int
	}

	// sieve is this process's prime table: built by after_fork in each worker
	// process; the parent never builds one.
	var sieve []bool

	// buildSieve marks the composite numbers up to limit.
	func buildSieve(limit int) []bool {
		composite := make([]bool, limit+1)
		composite[0], composite[1] = true, true
		for i := 2; i*i <= limit; i++ {
			if !composite[i] {
				for j := i * i; j <= limit; j += i {
					composite[j] = true
				}
			}
		}
		return composite
	}

	// addCounts merges per-process counters: merge(addCounts) sums them by key.
	func addCounts(into, from map[int]int) map[int]int {
		if into == nil {
			into = map[int]int{}
		}
		for k, v := range from {
			into[k] += v
		}
		return into
	}
}

// Primes answers "is n prime?" for Count numbers on Workers persistent worker
// processes. The sieve is the expensive setup: it is built once per worker
// process, never per item.
pipeline Primes {
	param Count int = 10000
	param Workers int = 3
	// replace a worker after this many items (the option takes no 0 for
	// "never", so the default is a count no run reaches)
	param Recycle int = 1 << 30
	// the sieve covers 0..Limit; numbers above it are refused
	param Limit int = 2000000

	state {
		mu      sync.Mutex
		setups  map[int]int merge(addCounts) // worker pid -> times its sieve was built
		items   map[int]int                  // worker pid -> items it answered, counted by tally
		forks   int                          // before_fork runs, in the parent
		primes  int
		answers map[int]bool // n -> prime, as the workers answered
		parent  int
	}

	before_run {
		p.parent = os.Getpid()
		p.setups = map[int]int{}
		p.items = map[int]int{}
		p.answers = map[int]bool{}
		p.forks, p.primes = 0, 0
	}

	// in the parent, before each worker process starts
	before_fork(lookup) {
		p.forks++
	}

	// in each worker process, once, before its first item
	after_fork(lookup) {
		sieve = buildSieve(p.Limit)
		p.setups[os.Getpid()]++
	}

	producer numbers() int {
		for i := 0; i < p.Count; i++ {
			emit(i * 7919 % (p.Limit + 1))
		}
	}

	processor lookup(n int) Answer processes(Workers, recycle: Recycle) {
		if sieve == nil {
			return fmt.Errorf("lookup %d: no sieve in process %d", n, os.Getpid())
		}
		emit(Answer{N: n, Prime: !sieve[n], PID: os.Getpid()})
	}

	consumer tally(a Answer) {
		p.items[a.PID]++
		p.answers[a.N] = a.Prime
		if a.Prime {
			p.primes++
		}
	}

	after_run {
		fmt.Printf("%d of %d numbers are prime; %d worker processes, %d sieves built\n", p.primes, p.Count, len(p.setups), sum(p.setups))
	}
}

go {
	func sum(m map[int]int) (s int) {
		for _, v := range m {
			s += v
		}
		return s
	}
}
