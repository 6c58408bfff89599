package large_dataset

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// peakHeap samples the live heap while f runs and returns the highest value
// above the heap before f started.
func peakHeap(f func()) (peak, before uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before = ms.HeapAlloc

	var mu sync.Mutex
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	<-stopped
	mu.Lock()
	defer mu.Unlock()
	return peak, before
}

func TestTrades(t *testing.T) {
	const n = 1_000_000
	p := NewTrades()
	p.Count = n
	var res mgrt.Result
	var err error
	peak, before := peakHeap(func() { res, err = p.Run(context.Background()) })
	if err != nil {
		t.Fatal(err)
	}

	var want Totals
	for i := int64(0); i < n; i++ {
		tr := tradeAt(i)
		want.Qty += tr.Qty
		want.Notional += tr.Qty * tr.Cents
	}
	want.Trades, want.Batches = n, n/1000
	if p.totals != want {
		t.Errorf("totals %+v\nwant   %+v", p.totals, want)
	}
	for name, in := range map[string]int64{"price": n, "batch": n, "aggregate": n / 1000} {
		if st, _ := res.Stage(name); st.In != in || st.Failed != 0 || st.Dropped != 0 {
			t.Errorf("%s: in %d failed %d dropped %d, want in %d", name, st.In, st.Failed, st.Dropped, in)
		}
	}

	// holding every record would take n*size bytes; the run's heap grew by a
	// small fraction of that
	holding := uint64(n) * uint64(unsafe.Sizeof(Trade{}))
	grew := uint64(0)
	if peak > before {
		grew = peak - before
	}
	t.Logf("heap before %d MiB, peak %d MiB (grew %d MiB); holding the records would take %d MiB",
		before>>20, peak>>20, grew>>20, holding>>20)
	if grew > holding/4 {
		t.Errorf("the heap grew by %d MiB during the run, more than a quarter of the %d MiB the records take", grew>>20, holding>>20)
	}
}
