package multipipeline

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// checkNormalize checks the nested Normalize's stages in a run's result: ten
// rows, one unreadable (dead-lettered, not a failure), one with a negative
// count left out.
func checkNormalize(t *testing.T, res mgrt.Result) {
	t.Helper()
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Errorf("%s: status %s, failures %v", res.Pipeline, res.Status, res.Failures)
	}
	for _, w := range []struct {
		name          string
		in, out, dead int64
	}{
		{"normalize.parse", 10, 9, 1},
		{"normalize.validate", 9, 8, 0},
		{"normalize.rejected", 1, 0, 0},
	} {
		st, ok := res.Stage(w.name)
		if !ok || st.In != w.in || st.Out != w.out || st.DeadLettered != w.dead {
			t.Errorf("%s: stage %s in=%d out=%d dead=%d, want %d %d %d", res.Pipeline, w.name, st.In, st.Out, st.DeadLettered, w.in, w.out, w.dead)
		}
	}
}

// TestInSequence runs the two jobs one after the other, as a built program
// does, each with its own copy of Normalize.
func TestInSequence(t *testing.T) {
	ctx := context.Background()

	inv := NewInventory()
	res, err := inv.Run(ctx)
	if err != nil {
		t.Fatalf("Inventory: %v", err)
	}
	checkNormalize(t, res)
	want := map[string]int{"BOOK-001": 16, "BOOK-002": 43, "BOOK-003": 7, "BOOK-005": 1, "BOOK-007": 2}
	if !maps.Equal(inv.units, want) {
		t.Errorf("inventory %v, want %v", inv.units, want)
	}

	re := NewReorder()
	res, err = re.Run(ctx)
	if err != nil {
		t.Fatalf("Reorder: %v", err)
	}
	checkNormalize(t, res)
	var orders []string
	for _, o := range re.orders {
		orders = append(orders, strings.Join(o.Lines, ", "))
	}
	wantOrders := []string{
		"berlin/BOOK-002 x7, berlin/BOOK-003 x4, paris/BOOK-001 x6",
		"lisbon/BOOK-005 x5, lisbon/BOOK-007 x18",
	}
	if !slices.Equal(orders, wantOrders) {
		t.Errorf("purchase orders %q, want %q", orders, wantOrders)
	}

	// A parameter of one pipeline changes that pipeline only.
	re = NewReorder()
	re.LinesPerOrder = 10
	if _, err := re.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if len(re.orders) != 1 || len(re.orders[0].Lines) != 5 {
		t.Errorf("with 10 lines per order: %v, want one order of 5 lines", re.orders)
	}
}

// TestComposition checks that both jobs hold Normalize's stages under the
// name they nest it as, and that Normalize alone has no producer.
func TestComposition(t *testing.T) {
	names := func(info mgrt.GraphInfo) []string {
		var n []string
		for _, s := range info.Stages {
			n = append(n, s.Name)
		}
		return n
	}
	nested := []string{"normalize.parse", "normalize.validate", "normalize.rejected"}
	if got := names(NewInventory().Graph()); !slices.Equal(got, append([]string{"rows"}, append(nested, "total")...)) {
		t.Errorf("Inventory stages %v", got)
	}
	if got := names(NewReorder().Graph()); !slices.Equal(got, append([]string{"rows"}, append(nested, "low", "batch", "order")...)) {
		t.Errorf("Reorder stages %v", got)
	}
	for _, s := range NewNormalize().Graph().Stages {
		if s.Kind == mgrt.KindProducer {
			t.Errorf("Normalize has a producer: %s", s.Name)
		}
	}
}
