package error_handling

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestCheckout(t *testing.T) {
	p := NewCheckout()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// 17, 34, 51, 68, 85: declined, four attempts each; 45 and 90: unavailable
	// four times, more than the three retries
	declined := []int{17, 34, 51, 68, 85}
	wantRefunds := map[int]string{}
	for _, id := range declined {
		wantRefunds[id] = "4 attempts: card 0000-0000 declined"
	}
	for _, id := range []int{45, 90} {
		wantRefunds[id] = fmt.Sprintf("4 attempts: charge %d: gateway unavailable", id)
	}
	gotRefunds := map[int]string{}
	for id, f := range p.refunds {
		if f.Item.ID != id || f.Stage != "charge" {
			t.Errorf("refund of %d: %+v", id, f)
		}
		gotRefunds[id] = fmt.Sprintf("%d attempts: %v", f.Attempts, f.Err)
	}
	if fmt.Sprint(gotRefunds) != fmt.Sprint(wantRefunds) {
		t.Errorf("refunds %v\nwant    %v", gotRefunds, wantRefunds)
	}

	retries := 0
	for id := 1; id <= 100; id++ {
		want := 1 + flakiness(id)
		if slices.Contains(declined, id) || want > 4 {
			want = 4
		}
		retries += want - 1
		if got := len(p.attempts[id]); got != want {
			t.Errorf("payment %d: %d attempts, want %d", id, got, want)
		}
		_, refunded := wantRefunds[id]
		if c, ok := p.charged[id]; ok == refunded || ok && c != 500+id*3 {
			t.Errorf("payment %d: charged %d (%v), refunded %v", id, c, ok, refunded)
		}
	}
	if len(p.charged) != 93 {
		t.Errorf("%d payments charged, want 93", len(p.charged))
	}

	// exponential backoff: 2ms, then 4ms, then 8ms at least between attempts
	for _, id := range []int{17, 45, 90} {
		at := p.attempts[id]
		for k := 1; k < len(at); k++ {
			if gap, min := at[k].Sub(at[k-1]), 2*time.Millisecond<<(k-1); gap < min {
				t.Errorf("payment %d: attempt %d came %v after the one before, want at least %v", id, k+1, gap, min)
			}
		}
	}

	// receipts 31, 62 (a panic) and 93 fail for good
	fails := slices.Clone(res.Failures)
	sort.Slice(fails, func(i, j int) bool { return fails[i].Item.(Payment).ID < fails[j].Item.(Payment).ID })
	if len(fails) != 3 {
		t.Fatalf("failures %v, want 3", res.Failures)
	}
	for k, id := range []int{31, 62, 93} {
		f := fails[k]
		if f.Item.(Payment).ID != id || f.Stage != "receipt" || f.Attempts != 1 ||
			f.Pos.File != "error_handling.mg" || f.Pos.Line != 107 {
			t.Errorf("failure %d: %+v", k, f)
		}
	}
	if fails[0].Err.Error() != "receipt 31: paper jam" || fails[2].Err.Error() != "receipt 93: paper jam" {
		t.Errorf("errors %v, %v", fails[0].Err, fails[2].Err)
	}
	var pe *mgrt.PanicError
	if !errors.As(fails[1].Err, &pe) || pe.Value != "printer on fire at receipt 62" {
		t.Errorf("receipt 62: %#v, want a recovered panic", fails[1].Err)
	} else if !strings.Contains(string(pe.Stack), "error_handling.mg:109") {
		t.Errorf("the panic's stack does not name error_handling.mg:109:\n%s", pe.Stack)
	}
	reported := slices.Clone(p.reported)
	slices.Sort(reported)
	if !slices.Equal(reported, []int{31, 62, 93}) {
		t.Errorf("on_error saw %v, want [31 62 93]", p.reported)
	}
	if p.receipts != 90 {
		t.Errorf("%d receipts printed, want 90", p.receipts)
	}

	charge, _ := res.Stage("charge")
	receipt, _ := res.Stage("receipt")
	refund, _ := res.Stage("refund")
	if charge.In != 100 || charge.Out != 93 || charge.Retried != int64(retries) || charge.DeadLettered != 7 || charge.Failed != 0 {
		t.Errorf("charge stats in %d out %d retried %d dead %d failed %d, want 100 93 %d 7 0",
			charge.In, charge.Out, charge.Retried, charge.DeadLettered, charge.Failed, retries)
	}
	if receipt.In != 93 || receipt.Failed != 3 || receipt.Retried != 0 || refund.In != 7 {
		t.Errorf("receipt in %d failed %d retried %d; refund in %d", receipt.In, receipt.Failed, receipt.Retried, refund.In)
	}
	// failed items do not fail the run: it completes with failures
	if res.Status != mgrt.StatusCompletedWithFailures || res.Err != nil {
		t.Errorf("status %s, err %v", res.Status, res.Err)
	}
}

// The dead letter carries the body's own error: a caller tells a declined
// card from an unavailable gateway with errors.As and errors.Is.
func TestCheckoutDeadLetterErrors(t *testing.T) {
	p := NewCheckout()
	p.Count = 45
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(p.refunds) != 3 {
		t.Fatalf("refunds %v, want 17, 34 and 45", p.refunds)
	}
	var declined *ErrDeclined
	for _, id := range []int{17, 34} {
		if err := p.refunds[id].Err; !errors.As(err, &declined) || declined.Card != "0000-0000" || errors.Is(err, ErrUnavailable) {
			t.Errorf("refund of %d: %v, want *ErrDeclined", id, err)
		}
	}
	if err := p.refunds[45].Err; !errors.Is(err, ErrUnavailable) || errors.As(err, &declined) {
		t.Errorf("refund of 45: %v, want ErrUnavailable", err)
	}
}
