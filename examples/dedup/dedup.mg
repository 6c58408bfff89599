// A deduplicator as a custom stage: click events delivered at least once are
// passed on once each. dedup_test.go runs it as a package.
package dedup

import (
	"context"
	"fmt"
	"sync"
)

go {
	// Dedup is a custom stage that passes on the first item of each key and
	// drops the ones after it. It implements mgrt.Stage[T, T]; one value serves
	// every goroutine of the stage, so its set of seen keys is guarded by a mutex.
	type Dedup[T any, K comparable] struct {
		key func(T) K

		mu   sync.Mutex
		seen map[K]struct{}
	}

	// NewDedup returns a Dedup that tells items apart by key.
	func NewDedup[T any, K comparable](key func(T) K) *Dedup[T, K] {
		return &Dedup[T, K]{key: key, seen: map[K]struct{}{}}
	}

	// Process emits in unless an item with the same key came before it.
	func (d *Dedup[T, K]) Process(ctx context.Context, in T, emit func(T)) error {
		k := d.key(in)
		d.mu.Lock()
		_, dup := d.seen[k]
		if !dup {
			d.seen[k] = struct{}{}
		}
		d.mu.Unlock()
		if !dup {
			emit(in)
		}
		return nil
	}
}

go {
	// Click is one click event; a tracker may deliver the same event (same ID)
	// more than once.
	type Click struct {
		ID   string
		User int
		Page string
	}

	func clickID(c Click) string { return c.ID }

	// redeliveries says how many times the tracker delivers event i: most
	// once, every 7th twice, every 11th three times.
	func redeliveries(i int) int {
		n := 1
		if i%7 == 0 {
			n++
		}
		if i%11 == 0 {
			n++
		}
		return n
	}
}

// Clicks: the tracker's deliveries go through the dedup stage (a Go value,
// bound with `stage`), on four goroutines, into per-page counters.
pipeline Clicks {
	// distinct events the tracker sends
	param Events int = 1000

	state {
		mu    sync.Mutex
		pages map[string]int
		ids   map[string]int // how many times each event was counted
	}

	before_run {
		p.pages = map[string]int{}
		p.ids = map[string]int{}
	}

	producer tracker() Click {
		for i := 0; i < p.Events; i++ {
			c := Click{ID: fmt.Sprintf("evt-%06d", i), User: i % 53, Page: fmt.Sprintf("/p/%d", i%9)}
			for range redeliveries(i) {
				emit(c)
			}
		}
	}

	stage dedup threads(4) = NewDedup(clickID)

	consumer count(c Click) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.pages[c.Page]++
		p.ids[c.ID]++
	}

	after_run {
		fmt.Printf("%d distinct clicks on %d pages\n", len(p.ids), len(p.pages))
	}
}
