package behavior

import (
	"slices"
	"sync"
	"time"
)

// Bag collects the values that concurrent stage bodies hand it.
type Bag[T any] struct {
	mu    sync.Mutex
	items []T
}

// Add records v.
func (b *Bag[T]) Add(v T) {
	b.mu.Lock()
	b.items = append(b.items, v)
	b.mu.Unlock()
}

// Items returns a copy of what was recorded, in the order it was added.
func (b *Bag[T]) Items() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.items)
}

// Len returns how many values were recorded.
func (b *Bag[T]) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.items)
}

// Gauge counts the bodies running at once and remembers the peak.
type Gauge struct {
	mu         sync.Mutex
	cur, peak  int
	reached    chan struct{}
	target     int
	reachedSet bool
}

// Enter notes a body starting and returns how many run now.
func (g *Gauge) Enter() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cur++
	if g.cur > g.peak {
		g.peak = g.cur
	}
	if g.target > 0 && g.cur >= g.target && !g.reachedSet {
		g.reachedSet = true
		close(g.reached)
	}
	return g.cur
}

// Leave notes a body ending.
func (g *Gauge) Leave() {
	g.mu.Lock()
	g.cur--
	g.mu.Unlock()
}

// Peak returns the largest number of bodies seen running at once.
func (g *Gauge) Peak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak
}

// Expect arms the gauge: Await returns true once n bodies ran at the same time.
func (g *Gauge) Expect(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.target = n
	g.reached = make(chan struct{})
	g.reachedSet = false
}

// Await waits until the armed number of bodies ran at once, or d passed (false).
func (g *Gauge) Await(d time.Duration) bool {
	g.mu.Lock()
	ch := g.reached
	g.mu.Unlock()
	if ch == nil {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
