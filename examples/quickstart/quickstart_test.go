package quickstart

import (
	"context"
	"testing"
)

func TestQuickstart(t *testing.T) {
	for _, count := range []int{0, 1, 100, 1000} {
		p := NewQuickstart()
		p.Count = count
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("count %d: %v", count, err)
		}
		batches, items, sum := p.Totals()
		wantBatches := (count + 9) / 10
		wantSum := count * (count - 1) // sum of 2*i for i < count
		if batches != wantBatches || items != count || sum != wantSum {
			t.Errorf("count %d: batches=%d items=%d sum=%d, want %d %d %d", count, batches, items, sum, wantBatches, count, wantSum)
		}
		if res.Status != "succeeded" || len(res.Failures) != 0 {
			t.Errorf("count %d: status %s, %d failures", count, res.Status, len(res.Failures))
		}
		if st, ok := res.Stage("double"); !ok || st.In != int64(count) || st.Out != int64(count) {
			t.Errorf("count %d: stats of double = %+v", count, st)
		}
	}
}
