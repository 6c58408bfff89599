package custom_batching

import (
	"context"
	"slices"
	"sort"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestShipper(t *testing.T) {
	for _, tc := range []struct{ count, budget int }{{0, 1024}, {1, 1024}, {199, 1024}, {200, 1024}, {1000, 1024}, {1000, 100}, {5000, 4096}} {
		p := NewShipper()
		p.Count, p.MaxBytes = tc.count, tc.budget
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		// windows: full batches of 200 then the rest; the producer is fast, so max_wait never cuts one short
		if want := (tc.count + 199) / 200; p.windows != want {
			t.Errorf("%+v: %d windows, want %d", tc, p.windows, want)
		}
		pls := slices.Clone(p.payloads)
		sort.Slice(pls, func(i, j int) bool { return pls[i].Lines[0].Seq < pls[j].Lines[0].Seq })

		var seqs []int
		for i, pl := range pls {
			sum := 0
			for k, l := range pl.Lines {
				if l.Service != pl.Service || l.Seq/200 != pl.Window || logLine(l.Seq) != l {
					t.Fatalf("%+v: payload %d holds %+v", tc, i, l)
				}
				if k > 0 && l.Seq <= pl.Lines[k-1].Seq {
					t.Fatalf("%+v: payload %d out of order", tc, i)
				}
				sum += len(l.Text)
				seqs = append(seqs, l.Seq)
			}
			if sum != pl.Bytes {
				t.Errorf("%+v: payload %d says %d bytes, holds %d", tc, i, pl.Bytes, sum)
			}
			if pl.Bytes > tc.budget && len(pl.Lines) > 1 {
				t.Errorf("%+v: payload %d of %d lines is %d bytes, over the budget", tc, i, len(pl.Lines), pl.Bytes)
			}
		}
		// greedy: the next payload of the same service and window did not fit in this one
		for i, pl := range pls {
			for _, q := range pls[i+1:] {
				if q.Service == pl.Service && q.Window == pl.Window {
					if pl.Bytes+len(q.Lines[0].Text) <= tc.budget {
						t.Errorf("%+v: payload %d (%d bytes) had room for line %d", tc, i, pl.Bytes, q.Lines[0].Seq)
					}
					break
				}
			}
		}
		slices.Sort(seqs)
		for i, s := range seqs {
			if s != i {
				t.Fatalf("%+v: line %d shipped where %d should be (every line exactly once)", tc, s, i)
			}
		}
		if len(seqs) != tc.count {
			t.Errorf("%+v: %d lines shipped", tc, len(seqs))
		}
		if st, _ := res.Stage("pack"); st.In != int64(tc.count) || st.Out != int64(len(pls)) {
			t.Errorf("%+v: pack in %d out %d, want %d and %d", tc, st.In, st.Out, tc.count, len(pls))
		}
		if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
			t.Errorf("%+v: status %s, failures %v", tc, res.Status, res.Failures)
		}
	}
}

// One window, worked by hand: 8 lines with a 350-byte budget.
func TestShipperSmall(t *testing.T) {
	p := NewShipper()
	p.Count, p.MaxBytes = 8, 350
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string][][]int{}
	for _, pl := range p.payloads {
		var s []int
		for _, l := range pl.Lines {
			s = append(s, l.Seq)
		}
		got[pl.Service] = append(got[pl.Service], s)
	}
	// services: i*i%4 is 0 for even i ("api"), 1 for odd i ("auth");
	// lengths 40+37i%200: 40, 77, 114, 151, 188, 225, 62, 99
	want := map[string][][]int{
		"api":  {{0, 2, 4}, {6}}, // 40+114+188 = 342, +62 > 350
		"auth": {{1, 3}, {5, 7}}, // 77+151 = 228, +225 > 350; 225+99 = 324
	}
	for svc, w := range want {
		sort.Slice(got[svc], func(i, j int) bool { return got[svc][i][0] < got[svc][j][0] })
		if len(got[svc]) != len(w) {
			t.Errorf("%s: %v, want %v", svc, got[svc], w)
			continue
		}
		for i := range w {
			if !slices.Equal(got[svc][i], w[i]) {
				t.Errorf("%s: %v, want %v", svc, got[svc], w)
			}
		}
	}
}
