package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
)

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate

// Work is the small CPU work per item of W2: a few dozen rounds of an integer hash.
func Work(x int) uint64 {
	h := uint64(x) + 0x9e3779b97f4a7c15
	for i := 0; i < 40; i++ {
		h ^= h >> 33
		h *= 0xff51afd7ed558ccd
	}
	return h
}

func double(x int) int { return x * 2 }
func inc(x int) int    { return x + 1 }

// RefLoop is W1a's reference: a plain loop calling the three functions
// (which the compiler inlines).
func RefLoop(n int) int {
	sum := 0
	for i := 0; i < n; i++ {
		sum += inc(double(i))
	}
	return sum
}

// RefChannels is W1b's reference: one goroutine per stage, one buffered
// channel send per item per hop.
func RefChannels(n int) int {
	a := make(chan int, 1000)
	b := make(chan int, 1000)
	c := make(chan int, 1000)
	go func() {
		for i := 0; i < n; i++ {
			a <- i
		}
		close(a)
	}()
	go func() {
		for x := range a {
			b <- double(x)
		}
		close(b)
	}()
	go func() {
		for x := range b {
			c <- inc(x)
		}
		close(c)
	}()
	sum := 0
	for x := range c {
		sum += x
	}
	return sum
}

// RefBatchedChannels is W1b's second reference: the same with items sent in
// slices of 256.
func RefBatchedChannels(n int) int {
	const size = 256
	a := make(chan []int, 4)
	b := make(chan []int, 4)
	c := make(chan []int, 4)
	go func() {
		buf := make([]int, 0, size)
		for i := 0; i < n; i++ {
			buf = append(buf, i)
			if len(buf) == size {
				a <- buf
				buf = make([]int, 0, size)
			}
		}
		if len(buf) > 0 {
			a <- buf
		}
		close(a)
	}()
	stage := func(in <-chan []int, out chan<- []int, f func(int) int) {
		for xs := range in {
			for i, x := range xs {
				xs[i] = f(x)
			}
			out <- xs
		}
		close(out)
	}
	go stage(a, b, double)
	go stage(b, c, inc)
	sum := 0
	for xs := range c {
		for _, x := range xs {
			sum += x
		}
	}
	return sum
}

// RefBatchedPublished is W1b's floor: RefBatchedChannels with what a pipeline cannot drop,
// the producer publishing each item as it emits it (one compare-and-swap on its chunk's count,
// so that a stage that idles takes the items of a producer that blocks in its body: a trickle
// is not held) and a counter per stage and item.
func RefBatchedPublished(n int) int {
	const size = 256
	type pchunk struct {
		items []int
		count atomic.Uint64
	}
	a := make(chan *pchunk, 4)
	b := make(chan []int, 4)
	c := make(chan []int, 4)
	var counts [4]struct {
		n uint64
		_ [56]byte
	}
	go func() {
		cur := &pchunk{items: make([]int, size)}
		k := uint64(0)
		for i := 0; i < n; i++ {
			cur.items[k] = i
			cur.count.CompareAndSwap(k, k+1)
			k++
			counts[0].n++
			if k == size {
				a <- cur
				cur, k = &pchunk{items: make([]int, size)}, 0
			}
		}
		if k > 0 {
			cur.items = cur.items[:k]
			a <- cur
		}
		close(a)
	}()
	go func() {
		for pc := range a {
			xs := pc.items[:pc.count.Load()]
			for i, x := range xs {
				counts[1].n++
				xs[i] = double(x)
			}
			b <- xs
		}
		close(b)
	}()
	go func() {
		for xs := range b {
			for i, x := range xs {
				counts[2].n++
				xs[i] = inc(x)
			}
			c <- xs
		}
		close(c)
	}()
	sum := 0
	for xs := range c {
		for _, x := range xs {
			counts[3].n++
			sum += x
		}
	}
	return sum
}

// RefPool is W2's reference: a worker pool of 8 goroutines.
func RefPool(n int) uint64 {
	in := make(chan int, 1000)
	out := make(chan uint64, 1000)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range in {
				out <- Work(x)
			}
		}()
	}
	go func() {
		for i := 0; i < n; i++ {
			in <- i
		}
		close(in)
	}()
	go func() {
		wg.Wait()
		close(out)
	}()
	var sum [8]uint64
	for x := range out {
		sum[x%8] += x
	}
	return sum[0]
}

//go:noinline
func doubleCall(x int) int { return x * 2 }

//go:noinline
func incCall(x int) int { return x + 1 }

//go:noinline
func addCall(sum, x int) int { return sum + x }

// RefLoopCalls is W1a's second reference: the same loop with the three
// functions really called, as a pipeline's stage bodies are.
func RefLoopCalls(n int) int {
	sum := 0
	for i := 0; i < n; i++ {
		sum = addCall(sum, incCall(doubleCall(i)))
	}
	return sum
}

// floorCounts are the per-stage counters of RefLoopRecover.
var floorCounts [3]uint64

// RefLoopRecover is W1a's floor: RefLoopCalls with what a chain cannot drop, a recovery per
// item (a panic fails its item, not the producer's loop) and a counter per stage.
func RefLoopRecover(n int) int {
	sum := 0
	for i := 0; i < n; i++ {
		floorItem(&sum, i)
	}
	return sum
}

//go:noinline
func floorItem(sum *int, v int) {
	ok := false
	defer func() {
		if !ok {
			_ = recover()
		}
	}()
	floorCounts[0]++
	v = doubleCall(v)
	floorCounts[1]++
	v = incCall(v)
	floorCounts[2]++
	*sum = addCall(*sum, v)
	ok = true
}

// RefExec is W3's reference: start a program that does nothing, n times, at
// most 4 at a time, with bare os/exec.
func RefExec(path string, n int) error {
	return execN(n, func() *exec.Cmd { return exec.Command(path) })
}

// EnvExit makes the bench programs exit at once, from main, with status 0 (RefExecSelf).
const EnvExit = "MINIGUN_BENCH_EXIT"

// RefExecSelf is W3's floor: start this program itself, n times, at most 4 at a time, exiting
// as soon as its packages are initialised. A worker is this program too: it pays the same
// start (the Go runtime, page faults of a larger binary, package initialisation) before it
// serves its batch.
func RefExecSelf(n int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), EnvExit+"=1")
	return execN(n, func() *exec.Cmd {
		cmd := exec.Command(self)
		cmd.Env = env
		return cmd
	})
}

// ExitIfAsked exits if EnvExit is set; the bench programs call it first in main.
func ExitIfAsked() {
	if os.Getenv(EnvExit) != "" {
		os.Exit(0)
	}
}

// execN runs the commands cmd makes n times, at most 4 at a time.
func execN(n int, cmd func() *exec.Cmd) error {
	sem := make(chan struct{}, 4)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := cmd().Run(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// BuildNoop builds a Go program that does nothing into dir and returns its path.
func BuildNoop(dir string) (string, error) {
	src := filepath.Join(dir, "noop.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "noop")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GO111MODULE=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the no-op program: %v\n%s", err, out)
	}
	return bin, nil
}
