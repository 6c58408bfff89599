// 35_nested_contexts: strategy blocks nest, the innermost wins and a stage's
// own option beats its block; process stages report their pids and results.
package workers

pipeline NestedContexts {
	param Count int = 120

	state {
		threaded   int
		pids       map[int]bool merge(union)
		results    []int        merge(append)
		poolPIDs   map[int]bool merge(union)
	}

	context heavy = process_per_batch(max: 2)

	producer gen() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	threads(4) {
		processor square(n int) int {
			emit(n * n)
		}
		batch 30
		context(heavy) {
			processor sum(b []int) int {
				p.pids[pid()] = true
				s := 0
				for _, v := range b {
					s += v
				}
				emit(s)
			}
			processor tag(n int) int processes(2) {
				p.poolPIDs[pid()] = true
				emit(n)
			}
		}
	}

	consumer collect(n int) {
		p.results = append(p.results, n)
	}
}
