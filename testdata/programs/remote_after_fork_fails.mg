// after_fork fails in every remote worker (Mode err returns an error; -mode exit makes it
// os.Exit(5)): the run fails (exit 1) with the hook's error at once. No worker serves the
// stage, so nothing it holds can come back: it does not wait the shutdown timeout (10s) for
// them.
// exit: 1
// timeout: 5s
// want:
// ended
package main

import (
	"errors"
	"fmt"
	"os"
)

pipeline AfterFork {
	param Mode string = "err"

	after_fork {
		if p.Mode == "exit" {
			os.Exit(5)
		}
		return errors.New("setup broke")
	}

	producer gen() int {
		for i := 0; i < 100; i++ {
			emit(i)
		}
	}

	processor work(x int) int remote(2, ack_wait: 1s) {
		emit(x)
	}

	consumer sink(x int) {}

	after_run {
		fmt.Println("ended")
	}
}
