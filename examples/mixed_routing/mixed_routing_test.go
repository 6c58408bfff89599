package mixed_routing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestShop(t *testing.T) {
	for _, count := range []int{0, 1, 9, 100, 1000} {
		p := NewShop()
		p.Count = count
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("count %d: %v", count, err)
		}

		// the same decisions, made by hand
		var invalid, held []int
		audited := map[int]bool{}
		want := map[int]Shipment{}
		carriers := map[string]int{}
		var dom, intl, rev int
		for i := 1; i <= count; i++ {
			c := strings.ToUpper(countries[i%len(countries)])
			cents := i * 997 % 70000
			if c == "" {
				invalid = append(invalid, i)
				continue
			}
			audited[i] = true
			var carrier string
			switch {
			case cents > p.ReviewAbove:
				rev++
				if c != "FR" {
					held = append(held, i)
					continue
				}
				carrier = "courier"
			case c == "FR":
				dom++
				carrier = "colissimo"
			case c == "US" || c == "BR":
				intl++
				carrier = "fedex"
			default:
				intl++
				carrier = "dhl"
			}
			want[i] = Shipment{Order: i, Carrier: carrier, Cents: cents}
			carriers[carrier]++
		}

		if !slices.Equal(p.invalid, invalid) {
			t.Errorf("count %d: invalid %v, want %v", count, p.invalid, invalid)
		}
		if fmt.Sprint(p.audited) != fmt.Sprint(audited) {
			t.Errorf("count %d: audited %d orders, want %d", count, len(p.audited), len(audited))
		}
		if !slices.Equal(p.held, held) {
			t.Errorf("count %d: held %v, want %v", count, p.held, held)
		}
		if fmt.Sprint(p.shipments) != fmt.Sprint(want) {
			t.Errorf("count %d: shipments %v\nwant %v", count, p.shipments, want)
		}
		if fmt.Sprint(p.carriers) != fmt.Sprint(carriers) {
			t.Errorf("count %d: carriers %v, want %v", count, p.carriers, carriers)
		}
		if count == 1000 && (dom == 0 || intl == 0 || rev == 0 || len(held) == 0 || len(invalid) == 0) {
			t.Fatalf("count %d: a route was never taken (%d %d %d %d %d)", count, dom, intl, rev, len(held), len(invalid))
		}

		valid := int64(len(audited))
		for name, n := range map[string]int64{
			"validate": int64(count), "audit": valid, "route": valid,
			"domestic": int64(dom), "international": int64(intl), "review": int64(rev),
			"ship": int64(len(want)),
		} {
			if st, _ := res.Stage(name); st.In != n || st.Failed != 0 {
				t.Errorf("count %d: %s took %d (failed %d), want %d", count, name, st.In, st.Failed, n)
			}
		}
		if st, _ := res.Stage("validate"); st.Out != valid {
			t.Errorf("count %d: validate emitted %d, want %d", count, st.Out, valid)
		}
		if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
			t.Errorf("count %d: status %s, failures %v", count, res.Status, res.Failures)
		}
	}
}

// The graph has the edges the .mg describes, and no other.
func TestShopGraph(t *testing.T) {
	var edges []string
	for _, e := range NewShop().Graph().Edges {
		edges = append(edges, fmt.Sprintf("%s->%s", e.From, e.To))
	}
	slices.Sort(edges)
	want := []string{
		"domestic->ship", "international->ship", "review->ship",
		"route->domestic", "route->international", "route->review",
		"source->validate", "validate->audit", "validate->route",
	}
	if !slices.Equal(edges, want) {
		t.Errorf("edges %v\nwant %v", edges, want)
	}
}
