// A remote item whose values grow past what one message carries together: a small value
// first (the worker sizes its frames from it), then ten of 200 KB, 2 MB in all; and a second
// item on the same worker that emits two of 600 KB. The values go ahead of their item's
// outcome in as many messages as they take; each is well under a message alone, so every
// value arrives once and nothing fails. An item with one value larger than a message still
// fails, with the .mg position.
// want:
// n=13 bytes=3200010 failures=1
// failure 3 at remote_emits_grow.mg:31:12: true
//
// exit: 3
// timeout: 120s
package main

import (
	"fmt"
	"strings"
)

pipeline Grow {
	state {
		n, bytes int
	}

	producer gen() int {
		for i := 1; i <= 3; i++ {
			emit(i)
		}
	}

	processor work(x int) []byte remote(1, chunk: 1) {
		switch x {
		case 1:
			emit(make([]byte, 10))
			for i := 0; i < 10; i++ {
				emit(make([]byte, 200000))
			}
		case 2:
			emit(make([]byte, 600000))
			emit(make([]byte, 600000))
		case 3:
			emit(make([]byte, 2<<20))
		}
	}

	consumer sink(b []byte) {
		p.n++
		p.bytes += len(b)
	}

	after_run {
		fmt.Printf("n=%d bytes=%d failures=%d\n", p.n, p.bytes, len(result.Failures))
		for _, f := range result.Failures {
			fmt.Printf("failure %v at %s: %v\n", f.Item, f.Pos, strings.Contains(f.Err.Error(), "more than a NATS message may carry"))
		}
	}
}
