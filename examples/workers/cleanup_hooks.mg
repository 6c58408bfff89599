// 18_resource_cleanup_hooks: each worker acquires a resource when it starts and
// releases it after every batch; what was acquired and released is counted.
package workers

pipeline CleanupHooks {
	param Count int = 100

	state {
		acquired int merge(sum)
		released int merge(sum)
		handled  int merge(sum)
	}

	producer gen() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	batch 10

	consumer use(b []int) process_per_batch(max: 4) {
		p.handled += len(b)
		p.released++
	}

	after_fork(use) {
		p.acquired++
	}
}
