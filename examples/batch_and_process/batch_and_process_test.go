package batchandprocess

import (
	"context"
	"os"
	"slices"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestBatchAndProcess(t *testing.T) {
	for _, tc := range []struct {
		count     int
		wantSizes []int
	}{
		{0, nil},
		{1, []int{1}},
		{250, []int{50, 50, 50, 50, 50}},
		{260, []int{10, 50, 50, 50, 50, 50}}, // a partial batch flushed at the end
	} {
		p := NewBatchAndProcess()
		p.Count = tc.count
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("count %d: %v", tc.count, err)
		}
		if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
			t.Fatalf("count %d: status %s, failures %v", tc.count, res.Status, res.Failures)
		}

		// What the readings add up to, counted here.
		wantSum := 0
		for i := 0; i < tc.count; i++ {
			wantSum += 150 + (i*37)%120 - i%4*10
		}
		n := len(tc.wantSizes)
		slices.Sort(p.sizes)
		if p.batches != n || p.items != tc.count || !slices.Equal(p.sizes, tc.wantSizes) {
			t.Errorf("count %d: workers saw %d batches, %d readings, sizes %v; want %d, %d, %v",
				tc.count, p.batches, p.items, p.sizes, n, tc.count, tc.wantSizes)
		}
		if p.total != wantSum || len(p.summaries) != n {
			t.Errorf("count %d: %d summaries adding up to %d, want %d adding up to %d", tc.count, len(p.summaries), p.total, n, wantSum)
		}

		// Each summary was made by a fresh process of its own, and is consistent.
		pids := map[int]bool{}
		for _, s := range p.summaries {
			if s.PID == os.Getpid() || pids[s.PID] {
				t.Errorf("count %d: summary made by pid %d again or by the parent (%d)", tc.count, s.PID, os.Getpid())
			}
			pids[s.PID] = true
			if s.Min > s.Max || s.Sum < s.Min*s.Readings || s.Sum > s.Max*s.Readings {
				t.Errorf("count %d: summary %+v does not hold together", tc.count, s)
			}
		}

		st, _ := res.Stage("summarise")
		if st.In != int64(n) || st.Out != int64(n) || st.Strategy.String() != "process_per_batch(max: 4, ipc: tempfile)" {
			t.Errorf("count %d: summarise %s in=%d out=%d, want in=out=%d", tc.count, st.Strategy, st.In, st.Out, n)
		}
	}
}
