// W5 of DESIGN 5, apart from the other workloads: a program that links NATS starts each of
// its processes later, which the process workloads would pay in every worker. W4 is here
// again as W5's reference, in the same program.
package natsbench

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

pipeline W5 {
	param N int = 1000000
	state {
		sum int
	}

	producer gen() int {
		for i := 0; i < p.N; i++ {
			emit(i)
		}
	}
	processor double(x int) int remote(3) { emit(x * 2) }
	consumer total(x int) { p.sum += x }
}
