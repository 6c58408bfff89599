package named_queues

import (
	"context"
	"slices"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestMailer(t *testing.T) {
	for _, users := range []int{0, 1, 7, 100, 3000} {
		p := NewMailer()
		p.Users = users
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("users %d: %v", users, err)
		}

		var urgent, bulk []int
		for i := 0; i < users; i++ {
			urgent = append(urgent, 2*i, 2*i+1)
			if i%2 == 0 {
				bulk = append(bulk, 1000000+2*i)
			}
		}
		slices.Sort(urgent)

		ids := func(senders ...string) []int {
			var out []int
			for _, s := range senders {
				for _, x := range p.sent[s] {
					if x.Sender != s {
						t.Errorf("users %d: %s recorded a delivery by %s", users, s, x.Sender)
					}
					out = append(out, x.Email.ID)
				}
			}
			slices.Sort(out)
			return out
		}
		// each email exactly once, by a subscriber of its own queue
		if got := ids("smtp1", "smtp2", "smtp3"); !slices.Equal(got, urgent) {
			t.Errorf("users %d: urgent queue delivered %d emails, want %d, each once", users, len(got), len(urgent))
		}
		if got := ids("bulk_a", "bulk_b"); !slices.Equal(got, bulk) {
			t.Errorf("users %d: bulk queue delivered %v, want %v", users, got, bulk)
		}
		for _, x := range append(append([]Sent(nil), p.sent["bulk_a"]...), p.sent["bulk_b"]...) {
			if x.Email.Kind != "newsletter" {
				t.Errorf("users %d: %s sent a %s", users, x.Sender, x.Email.Kind)
			}
		}

		// in turn: subscriber k of n gets items k, k+n, k+2n... of the queue
		n := len(urgent)
		for k, s := range []string{"smtp1", "smtp2", "smtp3"} {
			if got, want := len(p.sent[s]), (n-k+2)/3; got != want {
				t.Errorf("users %d: %s delivered %d, want %d", users, s, got, want)
			}
		}
		m := len(bulk)
		if a, b := len(p.sent["bulk_a"]), len(p.sent["bulk_b"]); a != (m+1)/2 || b != m/2 {
			t.Errorf("users %d: bulk_a %d, bulk_b %d, want %d and %d", users, a, b, (m+1)/2, m/2)
		}
		// the bulk queue is fed by accounts alone, in order: each batcher gets every other newsletter
		for i, x := range p.sent["bulk_a"] {
			if x.Email.ID != bulk[2*i] {
				t.Fatalf("users %d: bulk_a's newsletter %d is %d, want %d", users, i, x.Email.ID, bulk[2*i])
			}
		}

		if q, _ := res.Stage("urgent"); q.In != int64(n) || q.Out != int64(n) {
			t.Errorf("users %d: urgent queue in %d out %d", users, q.In, q.Out)
		}
		if q, _ := res.Stage("bulk"); q.In != int64(m) {
			t.Errorf("users %d: bulk queue in %d", users, q.In)
		}
		if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
			t.Errorf("users %d: status %s, failures %v", users, res.Status, res.Failures)
		}
	}
}

func TestMailerGraph(t *testing.T) {
	info := NewMailer().Graph()
	sizes := map[string]int{}
	for _, s := range info.Stages {
		sizes[s.Name] = s.QueueSize
	}
	if sizes["bulk"] != 64 || sizes["urgent"] != 1000 {
		t.Errorf("queue sizes: bulk %d, urgent %d, want 64 and the default 1000", sizes["bulk"], sizes["urgent"])
	}
}
