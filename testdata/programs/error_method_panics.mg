// A body returns a nil *T as its error, whose Error method dereferences it: the item fails
// (exit 3), and its error reads "<nil>" in the log, the stats and the JSON, in-process and
// from a worker process, rather than crashing the program or the worker as it reports it.
// want:
// completed_with_failures 2
// 1 <nil>
// 2 <nil>
//
// exit: 3
// args: -stats-json /dev/null
package main

import "fmt"

go {
	type myErr struct{ msg string }

	func (e *myErr) Error() string { return e.msg }
}

pipeline P {
	producer gen() int {
		for i := 0; i < 4; i++ {
			emit(i)
		}
	}

	processor local(x int) int {
		var e *myErr
		if x == 1 {
			return e
		}
		emit(x)
	}

	consumer c(x int) processes(1) {
		var e *myErr
		if x == 2 {
			return e
		}
	}

	after_run {
		fmt.Println(result.Status, result.FailedItems)
		for _, f := range result.Failures {
			fmt.Println(f.Item, f.Err)
		}
	}
}
