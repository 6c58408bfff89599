package demo

import (
	"context"
	"os"
	"testing"
)

func TestDemo(t *testing.T) {
	for _, count := range []int{0, 1, 499, 1200} {
		p := NewDemo()
		p.Count = count
		p.Latency = 0
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("count %d: %v", count, err)
		}
		if res.Status != "succeeded" || len(res.Failures) != 0 {
			t.Errorf("count %d: status %s, %d failures: dead letters are not failures", count, res.Status, len(res.Failures))
		}
		rejected := count / 500
		if p.rejected != rejected || p.booked != count-rejected || p.priced != p.booked {
			t.Errorf("count %d: rejected %d, booked %d, priced %d; want %d, %d, %d", count, p.rejected, p.booked, p.priced, rejected, count-rejected, count-rejected)
		}
		if p.invoices < (p.booked+99)/100 {
			t.Errorf("count %d: %d invoices for %d orders in batches of at most 100", count, p.invoices, p.booked)
		}
		if len(p.pids) != p.invoices || p.pids[os.Getpid()] {
			t.Errorf("count %d: %d invoices priced by processes %v: want one fresh worker process each", count, p.invoices, p.pids)
		}
		want := 0
		for i := 1; i <= count; i++ {
			if i%500 != 0 {
				want += i * 7919 % 100000
			}
		}
		if p.cents != want {
			t.Errorf("count %d: booked %d cents, want %d", count, p.cents, want)
		}
		if st, ok := res.Stage("lookup"); !ok || st.In != int64(count) || st.Retried != int64(rejected) || st.DeadLettered != int64(rejected) {
			t.Errorf("count %d: stats of lookup = %+v", count, st)
		}
		review, _ := res.Stage("review")
		pack, _ := res.Stage("pack")
		if pack.In != int64(count-rejected) || review.In == 0 && count > 100 {
			t.Errorf("count %d: pack took %d, review %d", count, pack.In, review.In)
		}
	}
}
