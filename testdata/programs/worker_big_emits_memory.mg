// A worker body emits 100 values of 5 MB (500 MB in all) for one item. The worker sends its
// emits ahead of the item's outcome a few at a time, sized from what it sent before, and the
// first one alone (it held 4096 values before the first frame: here all 500 MB). So the
// worker's own peak RSS (VmHWM, read by the body after its emits) stays far below 500 MB:
// below 200 MB, in processes(1) and in process_per_batch(max: 1). Every value arrives.
//
// want:
// a values=100 worker_peak_ok=true
// b values=100 worker_peak_ok=true
//
// timeout: 120s
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

go {
	type Out struct {
		Stage string
		S     string
		HWMkB int
	}

	func hwm() int {
		data, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				f := strings.Fields(l)
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
		return -1
	}
}

pipeline BigHeld {
	state {
		values map[string]int
		peak   map[string]int
	}

	before_run {
		p.values = map[string]int{}
		p.peak = map[string]int{}
	}

	producer gen() int { emit(0) }

	processor a(n int) Out processes(1) to(c) {
		for j := 0; j < 100; j++ {
			emit(Out{Stage: "a", S: strings.Repeat("x", 5<<20)})
		}
		emit(Out{Stage: "a", HWMkB: hwm()})
	}

	batch 1 from(gen)

	processor b(xs []int) Out process_per_batch(max: 1) to(c) {
		for j := 0; j < 100; j++ {
			emit(Out{Stage: "b", S: strings.Repeat("y", 5<<20)})
		}
		emit(Out{Stage: "b", HWMkB: hwm()})
	}

	consumer c(o Out) {
		if o.HWMkB > 0 {
			p.peak[o.Stage] = o.HWMkB
			return nil
		}
		p.values[o.Stage]++
	}

	after_run {
		for _, s := range []string{"a", "b"} {
			fmt.Fprintf(os.Stderr, "%s worker VmHWM %d kB\n", s, p.peak[s])
			fmt.Printf("%s values=%d worker_peak_ok=%v\n", s, p.values[s], p.peak[s] > 0 && p.peak[s] < 200<<10)
		}
	}
}
