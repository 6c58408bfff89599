// Minigun's 36_batch_and_process: a batcher, then a fresh worker process per
// batch. batch_and_process_test.go runs it.
package batchandprocess

import (
	"fmt"
	"os"
)

go {
	// Reading is one sensor measurement, in tenths of a degree.
	type Reading struct {
		Sensor int
		Tenths int
	}

	// Summary is what a worker process makes of one batch.
	type Summary struct {
		Readings int
		Sum      int
		Min, Max int
		PID      int
	}

	// reading is measurement i: four sensors in turn, a slow wave on each.
	func reading(i int) Reading {
		return Reading{Sensor: i % 4, Tenths: 150 + (i*37)%120 - i%4*10}
	}
}

// BatchAndProcess packs sensor readings into batches of 50 and summarises
// each batch in a worker process of its own (the batch and the results
// travel through files in a work directory: ipc: tempfile), at most four at
// once. The summaries flow on to a consumer in the parent; how many batches
// and readings the workers saw, and the size of each batch, come back through
// merge(sum) and merge(append) state fields.
pipeline BatchAndProcess {
	// how many readings to take
	param Count int = 250

	state {
		batches int   merge(sum)
		items   int   merge(sum)
		sizes   []int merge(append)
		// written by the parent's consumer: no rule needed
		summaries []Summary
		total     int
	}

	producer readings() Reading {
		for i := 0; i < p.Count; i++ {
			emit(reading(i))
		}
	}

	batch 50

	processor summarise(b []Reading) Summary process_per_batch(max: 4, ipc: tempfile) {
		p.batches++
		p.items += len(b)
		p.sizes = append(p.sizes, len(b))
		s := Summary{Readings: len(b), Min: b[0].Tenths, Max: b[0].Tenths, PID: os.Getpid()}
		for _, r := range b {
			s.Sum += r.Tenths
			s.Min = min(s.Min, r.Tenths)
			s.Max = max(s.Max, r.Tenths)
		}
		emit(s)
	}

	consumer record(s Summary) {
		p.summaries = append(p.summaries, s)
		p.total += s.Sum
	}

	after_run {
		fmt.Printf("%d readings in %d batches %v, mean %.1f degrees, %d summaries\n",
			p.items, p.batches, p.sizes, float64(p.total)/10/float64(max(p.items, 1)), len(p.summaries))
	}
}
