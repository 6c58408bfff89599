// A fused chain t -> a whose last stage, a, waits for room in slow's small queue: that wait
// is a's blocked time, not its busy time nor its waiting for input, so a is neither busy nor
// idle, and slow is the bottleneck.
// want:
// a busy<20% true
// a idle<20% true
// a blocked_out>50% true
// slow busy>50% true
// bottleneck slow
//
package main

import (
	"fmt"
	"time"
)

pipeline P {
	producer gen() int {
		for i := 0; i < 300; i++ {
			emit(i)
		}
	}

	processor t(x int) int threads(1) {
		emit(x)
	}

	processor a(x int) int {
		t := time.Now()
		for time.Since(t) < 5*time.Microsecond {
		}
		emit(x)
	}

	consumer slow(x int) threads(1) queue_size(10) {
		time.Sleep(time.Millisecond)
	}

	after_run {
		for _, s := range result.Stages {
			switch s.Name {
			case "a":
				fmt.Println("a busy<20%", s.BusyShare < 0.2)
				fmt.Println("a idle<20%", s.BlockedIn < s.Elapsed/5)
				fmt.Println("a blocked_out>50%", s.BlockedOut > s.Elapsed/2)
			case "slow":
				fmt.Println("slow busy>50%", s.BusyShare > 0.5)
			}
		}
		for _, s := range result.Stages {
			if s.Bottleneck {
				fmt.Println("bottleneck", s.Name)
			}
		}
	}
}
