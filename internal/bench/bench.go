// Package bench holds the workloads of DESIGN §5 as .mg pipelines and their
// hand-written Go references; `make bench` runs both in one process and
// prints the ratios (cmd: ./internal/bench/table).
package bench

import (
	"context"
	"os"
	"sync"
	"testing"
)

// Workload is one measured pipeline with its references.
type Workload struct {
	Name   string
	Unit   string // what b.N counts: "item" or "batch"
	Target string
	Run    func(b *testing.B)
	Refs   []Ref
}

// Ref is a hand-written Go reference.
type Ref struct {
	Name string
	Run  func(b *testing.B)
}

func runPipeline(b *testing.B, run func(n int) error) {
	b.ReportAllocs()
	if err := run(b.N); err != nil {
		b.Fatal(err)
	}
}

var sink uint64

var noop struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// noopProgram builds, once, the do-nothing program W3 is compared with.
func noopProgram(b *testing.B) string {
	noop.once.Do(func() {
		noop.dir, noop.err = os.MkdirTemp("", "minigun-bench-")
		if noop.err == nil {
			noop.path, noop.err = BuildNoop(noop.dir)
		}
	})
	if noop.err != nil {
		b.Skip(noop.err)
	}
	return noop.path
}

// Cleanup removes what the workloads left on disk.
func Cleanup() {
	if noop.dir != "" {
		os.RemoveAll(noop.dir)
	}
}

// Workloads lists W1a, W1b and W2.
func Workloads() []Workload {
	ctx := context.Background()
	return []Workload{
		{
			Name:   "W1a linear, inline",
			Target: "within 3x of the loop (ratio >= 0.33)",
			Run: func(b *testing.B) {
				runPipeline(b, func(n int) error {
					p := NewW1a()
					p.N = n
					_, err := p.Run(ctx)
					sink += uint64(p.sum)
					return err
				})
			},
			Refs: []Ref{
				{"plain loop", func(b *testing.B) { sink += uint64(RefLoop(b.N)) }},
				{"plain loop, calls not inlined", func(b *testing.B) { sink += uint64(RefLoopCalls(b.N)) }},
			},
		},
		{
			Name:   "W1b linear, threads(1) per stage",
			Target: ">= 2x the channel pipeline; >= 0.3x the batched one",
			Run: func(b *testing.B) {
				runPipeline(b, func(n int) error {
					p := NewW1b()
					p.N = n
					_, err := p.Run(ctx)
					sink += uint64(p.sum)
					return err
				})
			},
			Refs: []Ref{
				{"goroutine per stage, one send per item", func(b *testing.B) { sink += uint64(RefChannels(b.N)) }},
				{"goroutine per stage, batched sends", func(b *testing.B) { sink += uint64(RefBatchedChannels(b.N)) }},
			},
		},
		{
			Name:   "W2 threads(8), small CPU work",
			Target: ">= 1x the worker pool",
			Run: func(b *testing.B) {
				runPipeline(b, func(n int) error {
					p := NewW2()
					p.N = n
					_, err := p.Run(ctx)
					sink += p.sum[0]
					return err
				})
			},
			Refs: []Ref{{"worker pool of 8", func(b *testing.B) { sink += RefPool(b.N) }}},
		},
		{
			Name:   "W3 batch 100 -> process_per_batch(max: 4)",
			Unit:   "batch",
			Target: ">= 0.8x the batches/s of bare os/exec",
			Run: func(b *testing.B) {
				runPipeline(b, func(n int) error {
					p := NewW3()
					p.N = n * 100
					_, err := p.Run(ctx)
					sink += uint64(p.sum)
					return err
				})
			},
			Refs: []Ref{{"os/exec of a no-op program, 4 at a time", func(b *testing.B) {
				if err := RefExec(noopProgram(b), b.N); err != nil {
					b.Fatal(err)
				}
			}}},
		},
		{
			Name:   "W4 processes(4), x*2",
			Target: ">= 1M items/s",
			Run: func(b *testing.B) {
				runPipeline(b, func(n int) error {
					p := NewW4()
					p.N = n
					_, err := p.Run(ctx)
					sink += uint64(p.sum)
					return err
				})
			},
			Refs: []Ref{{"worker pool of 8 (W2's reference)", func(b *testing.B) { sink += RefPool(b.N) }}},
		},
		{
			Name:   "W5 remote(3), x*2, embedded NATS",
			Target: ">= 0.25x W4, >= 1M items/s",
			Run: func(b *testing.B) {
				runPipeline(b, func(n int) error {
					p := NewW5()
					p.N = n
					_, err := p.Run(ctx)
					sink += uint64(p.sum)
					return err
				})
			},
			Refs: []Ref{{"W4 processes(4), x*2", func(b *testing.B) {
				runPipeline(b, func(n int) error {
					p := NewW4()
					p.N = n
					_, err := p.Run(ctx)
					sink += uint64(p.sum)
					return err
				})
			}}},
		},
	}
}
