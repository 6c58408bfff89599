// 17_database_connection_hooks: the parent closes its connection before each
// fork, every worker opens its own after the fork; the events and the rows
// each worker wrote come back to the parent.
package workers

import "fmt"

pipeline ConnectionHooks {
	param Count int = 60

	state {
		parentClose int
		events      []string merge(append)
		rows        []string merge(append)
	}

	before_run {
		conn = "parent-connection"
	}

	producer rows() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	batch 20

	consumer store(b []int) process_per_batch(max: 2) {
		for _, v := range b {
			p.rows = append(p.rows, fmt.Sprintf("%s:%d", conn, v))
		}
	}

	before_fork(store) {
		p.parentClose++
	}

	after_fork(store) {
		conn = fmt.Sprintf("worker-connection-%d", pid())
		p.events = append(p.events, "connect")
	}
}

go {
	// conn stands for a database connection: one per process, so it lives in a
	// package variable of the process, not in the pipeline's state.
	var conn string
}
