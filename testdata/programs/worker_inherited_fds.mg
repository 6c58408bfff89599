// A worker inherits only its own descriptors: one the parent holds without close-on-exec
// (inherited from its own parent, as a supervisor's pipe or a lock file would be) is closed
// in every worker, in a pool, a process per batch and a remote worker, as it starts. The
// parent opens such a descriptor before its workers start and tells them its number; each
// body looks for it.
//
// want:
// pool: open in 0 of 20 items
// batch: open in 0 of 2 items
// remote: open in 0 of 20 items
//
// timeout: 30s
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

go {
	// isOpen reports whether the descriptor LEAKED_FD names is open in this process.
	func isOpen() int {
		fd, err := strconv.Atoi(os.Getenv("LEAKED_FD"))
		if err != nil {
			panic("no LEAKED_FD")
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0); errno == 0 {
			return 1
		}
		return 0
	}
}

pipeline Fds {
	state {
		open  map[string]int
		items map[string]int
	}

	before_run {
		p.open, p.items = map[string]int{}, map[string]int{}
		f, err := os.Open(os.DevNull)
		if err != nil {
			return err
		}
		fd, err := syscall.Dup(int(f.Fd()))
		if err != nil {
			return err
		}
		os.Setenv("LEAKED_FD", strconv.Itoa(fd)) // syscall.Dup leaves close-on-exec off
	}

	producer gen() int {
		for i := 0; i < 20; i++ {
			emit(i)
		}
	}

	processor pool(n int) int processes(2) to(count) {
		emit(isOpen())
	}

	processor remote(n int) int remote(1) from(gen) to(count) {
		emit(10 + isOpen())
	}

	batch 10 from(gen)

	processor batched(b []int) int process_per_batch(max: 2) to(count) {
		emit(20 + isOpen())
	}

	consumer count(v int) {
		kind := []string{"pool", "remote", "batch"}[v/10]
		p.items[kind]++
		p.open[kind] += v % 10
	}

	after_run {
		for _, k := range []string{"pool", "batch", "remote"} {
			fmt.Printf("%s: open in %d of %d items\n", k, p.open[k], p.items[k])
		}
	}
}
