package mgrt

import (
	"context"
	"sync"
	"testing"
)

// The benchmarks mirror the DESIGN §5 targets. Each op is one item through the whole
// pipeline, so ns/op of a runtime benchmark and of its hand-written reference compare
// directly:
//
//	W1a  producer → x*2 → x+1 → sum, inline stages       vs a plain loop calling three functions
//	W1b  the same with threads(1) on every stage          vs a goroutine per stage, one channel send
//	                                                         per item per hop (and hand-batched sends)
//	W2   producer → threads(8) small CPU work → sum        vs a worker pool of 8 goroutines
//
// Run with: go test -run x -bench . ./runtime/

//go:noinline
func double(x int) int { return x * 2 }

//go:noinline
func inc(x int) int { return x + 1 }

// work is the small CPU work of W2 (a few dozen ns).
//
//go:noinline
func work(x int) int {
	h := uint64(x)
	for range 16 {
		h ^= h >> 33
		h *= 0xff51afd7ed558ccd
	}
	return int(h & 0xffff)
}

var benchSink int

// linearGraph builds producer → x*2 → x+1 → sum with the given strategy on every stage.
func linearGraph(n int, strategy Strategy, total *int) *Graph {
	g := NewGraph(GraphConfig{Pipeline: "bench"})
	src := Producer(g, StageSpec{Name: "src"}, func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := range n {
				w.Emit(i)
			}
			return nil
		}
	})
	dbl := Processor(g, StageSpec{Name: "double", Strategy: strategy}, func(w *Emitter[int]) func(context.Context, int) error {
		emit := w.Emit
		return func(_ context.Context, x int) error {
			emit(double(x))
			return nil
		}
	})
	add := Processor(g, StageSpec{Name: "inc", Strategy: strategy}, func(w *Emitter[int]) func(context.Context, int) error {
		emit := w.Emit
		return func(_ context.Context, x int) error {
			emit(inc(x))
			return nil
		}
	})
	sum := Consumer(g, StageSpec{Name: "sum", Strategy: strategy}, func(*Emitter[Nothing]) func(context.Context, int) error {
		return func(_ context.Context, x int) error {
			*total += x
			return nil
		}
	})
	Connect(src, dbl)
	Connect(dbl, add)
	Connect(add, sum)
	return g
}

func runBench(b *testing.B, g *Graph) {
	b.Helper()
	if _, err := Run(context.Background(), g); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkW1aInline(b *testing.B) {
	total := 0
	g := linearGraph(b.N, Strategy{}, &total)
	b.ResetTimer()
	runBench(b, g)
	benchSink = total
}

func BenchmarkW1aReferenceLoop(b *testing.B) {
	total := 0
	for i := range b.N {
		total += inc(double(i))
	}
	benchSink = total
}

func BenchmarkW1bThreads1(b *testing.B) {
	total := 0
	g := linearGraph(b.N, Strategy{Kind: Threads, N: 1}, &total)
	b.ResetTimer()
	runBench(b, g)
	benchSink = total
}

func BenchmarkW1bReferenceChannels(b *testing.B) {
	n := b.N
	c1 := make(chan int, 1000)
	c2 := make(chan int, 1000)
	c3 := make(chan int, 1000)
	done := make(chan int)
	go func() {
		for i := range n {
			c1 <- i
		}
		close(c1)
	}()
	go func() {
		for x := range c1 {
			c2 <- double(x)
		}
		close(c2)
	}()
	go func() {
		for x := range c2 {
			c3 <- inc(x)
		}
		close(c3)
	}()
	go func() {
		total := 0
		for x := range c3 {
			total += x
		}
		done <- total
	}()
	benchSink = <-done
}

func BenchmarkW1bReferenceBatchedChannels(b *testing.B) {
	const batch = 64
	n := b.N
	c1 := make(chan []int, 16)
	c2 := make(chan []int, 16)
	c3 := make(chan []int, 16)
	done := make(chan int)
	go func() {
		buf := make([]int, 0, batch)
		for i := range n {
			buf = append(buf, i)
			if len(buf) == batch {
				c1 <- buf
				buf = make([]int, 0, batch)
			}
		}
		if len(buf) > 0 {
			c1 <- buf
		}
		close(c1)
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
	go stage(c1, c2, double)
	go stage(c2, c3, inc)
	go func() {
		total := 0
		for xs := range c3 {
			for _, x := range xs {
				total += x
			}
		}
		done <- total
	}()
	benchSink = <-done
}

func BenchmarkW2Threads8(b *testing.B) {
	n := b.N
	g := NewGraph(GraphConfig{Pipeline: "bench"})
	src := Producer(g, StageSpec{Name: "src"}, func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := range n {
				w.Emit(i)
			}
			return nil
		}
	})
	wk := Processor(g, StageSpec{Name: "work", Strategy: Strategy{Kind: Threads, N: 8}}, func(w *Emitter[int]) func(context.Context, int) error {
		emit := w.Emit
		return func(_ context.Context, x int) error {
			emit(work(x))
			return nil
		}
	})
	total := 0
	sum := Consumer(g, StageSpec{Name: "sum"}, func(*Emitter[Nothing]) func(context.Context, int) error {
		return func(_ context.Context, x int) error {
			total += x
			return nil
		}
	})
	Connect(src, wk)
	Connect(wk, sum)
	b.ResetTimer()
	runBench(b, g)
	benchSink = total
}

func BenchmarkW2ReferencePool(b *testing.B) {
	n := b.N
	jobs := make(chan int, 1000)
	results := make(chan int, 1000)
	go func() {
		for i := range n {
			jobs <- i
		}
		close(jobs)
	}()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range jobs {
				results <- work(x)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	total := 0
	for x := range results {
		total += x
	}
	benchSink = total
}
