// A fused chain, gen -> a -> b -> slow, where slow's body is where the time goes: slow is
// busy and the bottleneck, not the producer whose emits call it; a and b, which pass items
// on, are not waiting for input while slow works in their emits. Fused stages keep the stats
// they have on their own.
// want:
// gen busy<20% true
// a blocked_in<20% true
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
		for i := 0; i < 200; i++ {
			emit(i)
		}
	}
	processor a(x int) int { emit(x) }
	processor b(x int) int { emit(x) }
	consumer slow(x int) { time.Sleep(2 * time.Millisecond) }
	after_run {
		for _, s := range result.Stages {
			switch s.Name {
			case "a":
				fmt.Println("a blocked_in<20%", s.BlockedIn < s.Elapsed/5)
			case "gen":
				fmt.Println("gen busy<20%", s.BusyShare < 0.2)
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
