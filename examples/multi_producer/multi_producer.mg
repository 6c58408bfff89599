// Several producers feeding one stage: three sensor feeds merge into one
// aggregator. multi_producer_test.go runs it as a package.
package multi_producer

import (
	"fmt"
	"sort"
	"sync"
)

go {
	// Reading is one measurement of one sensor, in tenths of a degree.
	type Reading struct {
		Sensor string
		Seq    int
		Tenths int
	}

	// Summary is the aggregate of one sensor's readings.
	type Summary struct {
		Count         int
		Min, Max, Sum int
		LastSeq       int
		OutOfOrder    int // readings whose Seq was not LastSeq+1
	}

	// reading is the deterministic signal of sensor s at step i.
	func reading(s, i int) int { return 150 + s*40 + (i*7+s*3)%50 - 25 }
}

// Sensors has three producers, one per sensor site, all sending to one
// inline aggregator; the run ends when the last of them has finished.
pipeline Sensors {
	// readings each sensor sends
	param Count int = 500
	// when set, the roof sensor fails after this many readings
	param RoofFailsAfter int = -1

	state {
		mu       sync.Mutex
		summary  map[string]*Summary
		arrivals []string // which sensor each reading came from, in arrival order
		finished int      // producers whose feed has returned
		donePost bool     // after_producer ran once every producer had ended
	}

	before_run {
		p.summary = map[string]*Summary{}
		p.arrivals = nil
		p.finished = 0
		p.donePost = false
	}

	producer cellar() Reading to(aggregate) { p.feed(emit, "cellar", 0, -1) }
	producer garden() Reading to(aggregate) { p.feed(emit, "garden", 1, -1) }
	producer roof() Reading to(aggregate) {
		if !p.feed(emit, "roof", 2, p.RoofFailsAfter) {
			return fmt.Errorf("roof sensor: lost contact after %d readings", p.RoofFailsAfter)
		}
	}

	// fed by the three producers at once
	processor aggregate(r Reading) Reading {
		p.mu.Lock()
		defer p.mu.Unlock()
		s := p.summary[r.Sensor]
		if s == nil {
			s = &Summary{Min: r.Tenths, Max: r.Tenths, LastSeq: -1}
			p.summary[r.Sensor] = s
		}
		if r.Seq != s.LastSeq+1 {
			s.OutOfOrder++
		}
		s.Count++
		s.Sum += r.Tenths
		s.Min = min(s.Min, r.Tenths)
		s.Max = max(s.Max, r.Tenths)
		s.LastSeq = r.Seq
		p.arrivals = append(p.arrivals, r.Sensor)
		emit(r)
	}

	consumer store(r Reading) {}

	after_producer {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.donePost = p.finished == 3
	}

	after_run {
		names := make([]string, 0, len(p.summary))
		for n := range p.summary {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			s := p.summary[n]
			fmt.Printf("%-6s n=%d min=%.1f max=%.1f mean=%.2f\n", n, s.Count, float64(s.Min)/10, float64(s.Max)/10, float64(s.Sum)/float64(10*s.Count))
		}
	}
}

go {
	// feed emits one sensor's readings and reports whether it sent them all
	// (failAfter < 0: no failure).
	func (p *Sensors) feed(emit func(Reading), name string, s, failAfter int) bool {
		defer func() {
			p.mu.Lock()
			p.finished++
			p.mu.Unlock()
		}()
		for i := 0; i < p.Count; i++ {
			if i == failAfter {
				return false
			}
			emit(Reading{Sensor: name, Seq: i, Tenths: reading(s, i)})
		}
		return true
	}
}
