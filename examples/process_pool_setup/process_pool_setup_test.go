package process_pool_setup

import (
	"context"
	"os"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func check(t *testing.T, p *Primes, res mgrt.Result) {
	t.Helper()
	table := buildSieve(p.Limit)
	primes := 0
	want := map[int]bool{}
	for i := 0; i < p.Count; i++ {
		n := i * 7919 % (p.Limit + 1)
		want[n] = !table[n]
		if !table[n] {
			primes++
		}
	}
	if p.primes != primes || len(p.answers) != len(want) {
		t.Errorf("%d primes in %d answers, want %d in %d", p.primes, len(p.answers), primes, len(want))
	}
	for n, prime := range want {
		if p.answers[n] != prime {
			t.Errorf("%d: answered prime=%v", n, p.answers[n])
		}
	}

	// setup once per worker process, and only there
	if sieve != nil {
		t.Errorf("the parent built a sieve: after_fork ran outside a worker")
	}
	if _, ok := p.setups[os.Getpid()]; ok || p.setups[p.parent] != 0 {
		t.Errorf("the parent process %d counted a setup", os.Getpid())
	}
	for pid, n := range p.setups {
		if n != 1 {
			t.Errorf("worker %d built its sieve %d times", pid, n)
		}
	}
	answered := 0
	for pid, n := range p.items {
		if p.setups[pid] != 1 {
			t.Errorf("worker %d answered %d items without a setup of its own", pid, n)
		}
		if n > p.Recycle {
			t.Errorf("worker %d answered %d items, more than recycle: %d", pid, n, p.Recycle)
		}
		answered += n
	}
	if answered != p.Count {
		t.Errorf("workers answered %d items, want %d", answered, p.Count)
	}
	// before_fork ran in the parent once for each worker process started
	if p.forks != len(p.setups) {
		t.Errorf("before_fork ran %d times for %d worker processes", p.forks, len(p.setups))
	}
	if st, _ := res.Stage("lookup"); st.In != int64(p.Count) || st.Out != int64(p.Count) || st.Failed != 0 {
		t.Errorf("lookup in %d out %d failed %d", st.In, st.Out, st.Failed)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Errorf("status %s, failures %v", res.Status, res.Failures)
	}
}

func TestPrimes(t *testing.T) {
	for _, workers := range []int{1, 3} {
		p := NewPrimes()
		p.Workers = workers
		p.Count = 3000
		p.Limit = 200000
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		check(t, p, res)
		// without recycling, the pool is the N workers started at once
		if len(p.setups) != workers || p.forks != workers {
			t.Errorf("workers %d: %d worker processes set up, %d forks", workers, len(p.setups), p.forks)
		}
	}
}

// With recycle, a worker is replaced after that many items; each replacement
// is a new process that sets itself up once.
func TestPrimesRecycled(t *testing.T) {
	p := NewPrimes()
	p.Workers = 2
	p.Count = 1200
	p.Recycle = 200
	p.Limit = 200000
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	check(t, p, res)
	if len(p.setups) < p.Count/p.Recycle {
		t.Errorf("%d worker processes for %d items recycled every %d", len(p.setups), p.Count, p.Recycle)
	}
}
