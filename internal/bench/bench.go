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

// Workload is one measured pipeline with its references and its targets (DESIGN 5).
type Workload struct {
	Name    string
	Unit    string  // what b.N counts: "item" or "batch"
	MinRate float64 // target: at least this many units per second (0: none)
	// Pipeline runs the pipeline over n units.
	Pipeline func(n int) error
	Refs     []Ref
	// Scale is the b.N a run of the workload's memory check uses (0: not checked).
	Scale int
}

// Ref is a hand-written Go reference.
type Ref struct {
	Name string
	Run  func(b *testing.B)
	// Min is the target: the workload's speed over the reference's, at least (0: shown for
	// scale only).
	Min float64
}

// Run benchmarks the pipeline: b.N units in one run.
func (w Workload) Run(b *testing.B) {
	b.ReportAllocs()
	if err := w.Pipeline(b.N); err != nil {
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

// Workloads lists the workloads of DESIGN 5 with their references, in table order.
func Workloads() []Workload {
	ctx := context.Background()
	return []Workload{
		{
			Name: "W1a linear, inline",
			Pipeline: func(n int) error {
				p := NewW1a()
				p.N = n
				_, err := p.Run(ctx)
				sink += uint64(p.sum)
				return err
			},
			Refs: []Ref{
				{Name: "plain loop, calls not inlined", Run: func(b *testing.B) { sink += uint64(RefLoopCalls(b.N)) }, Min: 0.5},
				{Name: "plain loop, calls inlined", Run: func(b *testing.B) { sink += uint64(RefLoop(b.N)) }},
				{Name: "the same with a recovery per item and a counter per stage (the floor)", Run: func(b *testing.B) { sink += uint64(RefLoopRecover(b.N)) }},
			},
		},
		{
			Name: "W1b linear, threads(1) per stage",
			Pipeline: func(n int) error {
				p := NewW1b()
				p.N = n
				_, err := p.Run(ctx)
				sink += uint64(p.sum)
				return err
			},
			Refs: []Ref{
				{Name: "goroutine per stage, one send per item", Run: func(b *testing.B) { sink += uint64(RefChannels(b.N)) }, Min: 3},
				{Name: "goroutine per stage, batched sends", Run: func(b *testing.B) { sink += uint64(RefBatchedChannels(b.N)) }, Min: 0.5},
				{Name: "the same with each produced item published and a counter per stage (the floor)", Run: func(b *testing.B) { sink += uint64(RefBatchedPublished(b.N)) }},
			},
			Scale: 10_000_000,
		},
		{
			Name: "W2 threads(8), small CPU work",
			Pipeline: func(n int) error {
				p := NewW2()
				p.N = n
				_, err := p.Run(ctx)
				sink += p.sum[0]
				return err
			},
			Refs:  []Ref{{Name: "worker pool of 8 goroutines", Run: func(b *testing.B) { sink += RefPool(b.N) }, Min: 1.5}},
			Scale: 10_000_000,
		},
		{
			Name: "W3 batch 100 -> process_per_batch(max: 4)",
			Unit: "batch",
			Pipeline: func(n int) error {
				p := NewW3()
				p.N = n * 100
				_, err := p.Run(ctx)
				sink += uint64(p.sum)
				return err
			},
			Refs: []Ref{
				{Name: "os/exec of a no-op program, 4 at a time", Run: func(b *testing.B) {
					if err := RefExec(noopProgram(b), b.N); err != nil {
						b.Fatal(err)
					}
				}, Min: 1},
				{Name: "os/exec of this program, exiting once initialised (the floor)", Run: func(b *testing.B) {
					if err := RefExecSelf(b.N); err != nil {
						b.Fatal(err)
					}
				}},
			},
		},
		{
			Name:    "W4 processes(4), x*2",
			MinRate: 5e6,
			Pipeline: func(n int) error {
				p := NewW4()
				p.N = n
				_, err := p.Run(ctx)
				sink += uint64(p.sum)
				return err
			},
			Scale: 10_000_000,
		},
	}
}

// Find returns the workload called name among ws.
func Find(ws []Workload, name string) (Workload, bool) {
	for _, w := range ws {
		if w.Name == name {
			return w, true
		}
	}
	return Workload{}, false
}
