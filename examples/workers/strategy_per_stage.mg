// 09_strategy_per_stage: each stage picks its own strategy; the stage that
// runs one process per batch collects its results into merged state.
package workers

pipeline StrategyPerStage {
	param Count int = 200

	state {
		fetched  int
		results  []int        merge(append)
		batches  int          merge(sum)
		pids     map[int]bool merge(union)
	}

	producer ids() int {
		for i := 1; i <= p.Count; i++ {
			emit(i)
		}
	}

	processor fetch(id int) int threads(8) {
		emit(id * 10)
	}

	batch 25

	consumer save(b []int) process_per_batch(max: 3) {
		p.batches++
		p.pids[pid()] = true
		p.results = append(p.results, b...)
	}
}
