// 21_inline_hook_procs: before_fork and after_fork events, in the parent and in
// every worker, end up in one ordered log in the parent.
package workers

pipeline InlineHooks {
	param Count int = 40

	state {
		parentEvents []string
		childEvents  []string merge(append)
		results      []int    merge(append)
	}

	producer gen() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	batch 10

	consumer work(b []int) process_per_batch(max: 2) {
		p.childEvents = append(p.childEvents, "work")
		p.results = append(p.results, b...)
	}

	before_fork {
		p.parentEvents = append(p.parentEvents, "before_fork")
	}

	after_fork {
		p.childEvents = append(p.childEvents, "after_fork")
	}
}
