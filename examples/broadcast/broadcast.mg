// Broadcast fan-out: every price tick from one feed reaches three subscribers,
// each with a copy of the value. broadcast_test.go runs it as a package.
package broadcast

import (
	"fmt"
	"math"
	"sync"
)

go {
	// Tick is one price update of a stock symbol, in cents.
	type Tick struct {
		Seq    int
		Symbol string
		Cents  int64
		Move   float64 // change from the symbol's previous tick, in percent
		Alert  bool    // set by the alerts subscriber on its own copy
	}

	var symbols = []string{"ACME", "GLOBX", "INITECH", "UMBRL"}

	// price is a deterministic walk: tick i of a symbol moves it by a small
	// amount, and every 25th tick of a symbol jumps by 8%.
	func price(symbol int, i int) int64 {
		base := int64(10000 * (symbol + 1))
		p := base + int64((i*37+symbol*11)%200) - 100
		if i%25 == 24 {
			p = p * 108 / 100
		}
		return p
	}
}

// Prices broadcasts each tick to a last-price cache, an audit log and an
// alerting subscriber.
pipeline Prices {
	// ticks per symbol
	param Rounds int = 100
	// a move of more than this percentage raises an alert
	param Threshold float64 = 5

	state {
		mu     sync.Mutex
		last   map[string]int64 // symbol -> latest price, kept by cache
		audit  []Tick           // every tick, as audit saw it
		alerts []Tick           // alerting ticks, flagged on alerts' copy
		prev   map[string]int64 // producer's own bookkeeping
	}

	before_run {
		p.last = map[string]int64{}
		p.prev = map[string]int64{}
		p.audit = nil
		p.alerts = nil
	}

	// three downstreams and no routing option: every tick goes to all three
	producer feed() Tick to(cache, audit, alerts) {
		seq := 0
		for i := 0; i < p.Rounds; i++ {
			for s, sym := range symbols {
				cents := price(s, i)
				t := Tick{Seq: seq, Symbol: sym, Cents: cents}
				if old, ok := p.prev[sym]; ok {
					t.Move = 100 * float64(cents-old) / float64(old)
				}
				p.prev[sym] = cents
				seq++
				emit(t)
			}
		}
	}

	consumer cache(t Tick) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.last[t.Symbol] = t.Cents
	}

	consumer audit(t Tick) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.audit = append(p.audit, t)
	}

	// marks its copy of the tick; the other subscribers never see the mark
	consumer alerts(t Tick) threads(2) {
		if math.Abs(t.Move) <= p.Threshold {
			return nil
		}
		t.Alert = true
		p.mu.Lock()
		defer p.mu.Unlock()
		p.alerts = append(p.alerts, t)
	}

	after_run {
		fmt.Printf("cache: %d symbols, audit: %d ticks, alerts: %d\n", len(p.last), len(p.audit), len(p.alerts))
	}
}
