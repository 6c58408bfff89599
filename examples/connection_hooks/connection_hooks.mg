// Minigun's 17_database_connection_hooks: a database connection per process,
// opened in hooks around the worker processes. connection_hooks_test.go runs it.
package connectionhooks

import (
	"fmt"
	"os"
)

go {
	// Conn stands for a database connection. A connection belongs to the
	// process that opened it, so it lives in a package variable of each
	// process, not in the pipeline's state: a worker process opens its own.
	type Conn struct {
		Name string
		PID  int
		open bool
	}

	// dial opens a connection for this process.
	func dial(name string) *Conn {
		return &Conn{Name: fmt.Sprintf("%s-%d", name, os.Getpid()), PID: os.Getpid(), open: true}
	}

	// insert writes one row through c and returns the row as stored.
	func (c *Conn) insert(row int) (string, error) {
		if c == nil || !c.open {
			return "", fmt.Errorf("insert row %d: no open connection", row)
		}
		return fmt.Sprintf("%s:%d", c.Name, row), nil
	}

	func (c *Conn) close() { c.open = false }

	// conn is this process's connection.
	var conn *Conn
}

// ConnectionHooks writes rows in batches, each batch in a worker process of its
// own. The parent opens its connection before the run and closes it after;
// each worker opens its own connection in after_fork, before its batch, and
// inserts the batch's rows through it. Every event and every stored row comes
// back to the parent through state fields with merge(append).
pipeline ConnectionHooks {
	// how many rows to write
	param Count int = 60
	// rows per batch (one worker process each)
	param BatchSize int = 20

	state {
		parentLog []string                // hooks of the parent, in order
		events    []string merge(append)  // "pid event" lines from the workers
		rows      []string merge(append)  // rows as stored, "connection:row"
	}

	before_run {
		conn = dial("parent")
		p.parentLog = append(p.parentLog, "open "+conn.Name)
	}

	producer rows() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}

	batch BatchSize

	consumer store(b []int) process_per_batch(max: 2) {
		for _, row := range b {
			stored, err := conn.insert(row)
			if err != nil {
				return err
			}
			p.rows = append(p.rows, stored)
		}
		p.events = append(p.events, fmt.Sprintf("%d insert %d rows", os.Getpid(), len(b)))
	}

	// In the parent, before each worker starts. A Ruby fork inherits the
	// parent's socket, so Minigun closed the connection here; a worker here is a
	// new process that inherits no connection, so the parent's stays open and
	// the hook only records the start.
	before_fork(store) {
		p.parentLog = append(p.parentLog, "before_fork")
	}

	// In each worker, before its batch.
	after_fork(store) {
		conn = dial("worker")
		p.events = append(p.events, fmt.Sprintf("%d connect %s", os.Getpid(), conn.Name))
	}

	after_run {
		conn.close()
		p.parentLog = append(p.parentLog, "close "+conn.Name)
		fmt.Printf("%d rows stored by %d worker connections; parent: %v\n", len(p.rows), len(p.events)/2, p.parentLog)
	}
}
