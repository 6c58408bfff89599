// Time-based flushing: `batch 5 every FlushAfter` on a slow trickle of meter
// readings. A batch leaves when it has five readings or when its oldest
// reading has waited FlushAfter, whichever comes first.
// timed_batch_test.go runs it as a package.
package timed_batch

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

go {
	// Reading is one meter reading, stamped when it was taken.
	type Reading struct {
		Meter int
		Watts int
		At    time.Time
	}

	// Upload is one batch as the uploader saw it.
	type Upload struct {
		Meters []int
		Oldest time.Duration // how long its oldest reading had waited when it arrived
	}
}

// Meters uploads readings in batches of five, or fewer after FlushAfter.
pipeline Meters {
	// readings per burst, comma-separated; the meters go quiet for Gap after each burst
	param Bursts string = "3,7,1,5,12"
	param Gap time.Duration = 300 * time.Millisecond
	param FlushAfter time.Duration = 50 * time.Millisecond

	state {
		mu      sync.Mutex
		uploads []Upload
	}

	before_run {
		p.uploads = nil
	}

	producer meters() Reading {
		n := 0
		for b, field := range strings.Split(p.Bursts, ",") {
			size, err := strconv.Atoi(strings.TrimSpace(field))
			if err != nil {
				return fmt.Errorf("bursts: %w", err)
			}
			if b > 0 {
				select {
				case <-time.After(p.Gap):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			for range size {
				emit(Reading{Meter: n, Watts: 100 + n*13%900, At: time.Now()})
				n++
			}
		}
	}

	batch 5 every FlushAfter

	consumer upload(b []Reading) {
		u := Upload{Oldest: time.Since(b[0].At)}
		for _, r := range b {
			u.Meters = append(u.Meters, r.Meter)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.uploads = append(p.uploads, u)
	}

	after_run {
		for _, u := range p.uploads {
			fmt.Printf("upload of %d after %v: %v\n", len(u.Meters), u.Oldest.Round(time.Millisecond), u.Meters)
		}
	}
}
