// 36_batch_and_process: batches of items each go to a fresh process; the
// batch count and item count come back, and results flow on to a parent
// consumer.
package workers

import "os"

pipeline BatchAndProcess {
	param Count int = 250

	state {
		batches int   merge(sum)
		items   int   merge(sum)
		sizes   []int merge(append)
		total   int
	}

	producer gen() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	batch 50

	processor crunch(b []int) int process_per_batch(max: 4, ipc: tempfile) {
		p.batches++
		p.items += len(b)
		p.sizes = append(p.sizes, len(b))
		s := 0
		for _, v := range b {
			s += v
		}
		emit(s)
	}

	consumer total(s int) {
		p.total += s
	}
}

go {
	// pid is the process id of whoever runs the body: a worker for process stages.
	func pid() int { return os.Getpid() }
}
