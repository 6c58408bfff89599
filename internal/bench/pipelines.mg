// The pipelines measured by `make bench` (DESIGN §5), compared in the same run
// with the hand-written Go of reference.go.
package bench

pipeline W1a {
	param N int = 1000000
	state {
		sum int
	}

	producer gen() int {
		for i := 0; i < p.N; i++ {
			emit(i)
		}
	}
	processor double(x int) int { emit(x * 2) }
	processor inc(x int) int { emit(x + 1) }
	consumer total(x int) { p.sum += x }
}

pipeline W1b {
	param N int = 1000000
	state {
		sum int
	}

	producer gen() int {
		for i := 0; i < p.N; i++ {
			emit(i)
		}
	}
	processor double(x int) int threads(1) { emit(x * 2) }
	processor inc(x int) int threads(1) { emit(x + 1) }
	consumer total(x int) threads(1) { p.sum += x }
}

pipeline W2 {
	param N int = 1000000
	state {
		sum [8]uint64
	}

	producer gen() int {
		for i := 0; i < p.N; i++ {
			emit(i)
		}
	}
	processor work(x int) uint64 threads(8) { emit(Work(x)) }
	consumer total(x uint64) { p.sum[x%8] += x }
}

pipeline W3 {
	param N int = 100000
	state {
		sum int
	}

	producer gen() int {
		for i := 0; i < p.N; i++ {
			emit(i)
		}
	}
	batch 100
	processor square(b []int) int process_per_batch(max: 4) {
		s := 0
		for _, v := range b {
			s += v
		}
		emit(s)
	}
	consumer total(x int) { p.sum += x }
}

pipeline W4 {
	param N int = 1000000
	state {
		sum int
	}

	producer gen() int {
		for i := 0; i < p.N; i++ {
			emit(i)
		}
	}
	processor double(x int) int processes(4) { emit(x * 2) }
	consumer total(x int) { p.sum += x }
}
