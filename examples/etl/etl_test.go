package etl

import (
	"context"
	"slices"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func day(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC) }

// The sales the export holds once checked, converted and deduplicated.
var wantTable = []Sale{
	{1001, day(1), "DE", 1999},
	{1002, day(1), "FR", 500},
	{1003, day(1), "GB", 1462}, // 12.50 GBP at 1.17
	{1004, day(2), "US", 2760}, // 30.00 USD at 0.92, once
	{1005, day(2), "DE", 725},
	{1007, day(3), "US", 9200},
	{1008, day(3), "GB", 117},
	{1010, day(3), "FR", 4990},
}

func TestETL(t *testing.T) {
	p := NewETL()
	for run := 1; run <= 2; run++ { // the same value twice: each run starts afresh
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
			t.Fatalf("run %d: status %s, failures %v (dead letters are not failures)", run, res.Status, res.Failures)
		}
		table := slices.Clone(p.table)
		slices.SortFunc(table, func(a, b Sale) int { return a.Order - b.Order })
		if !slices.Equal(table, wantTable) {
			t.Errorf("run %d: table\n%v\nwant\n%v", run, table, wantTable)
		}
		if p.inserts != 2 {
			t.Errorf("run %d: %d inserts, want 2 of at most 4 rows", run, p.inserts)
		}

		// Each part's stages, named after the part.
		for _, w := range []struct {
			name          string
			in, out, dead int64
			strategy      string
		}{
			{"extract.read", 0, 11, 0, "inline"},
			{"transform.check", 11, 9, 2, "threads(2)"},
			{"transform.dedupe", 9, 8, 0, "inline"},
			{"transform.invalid", 2, 0, 0, "inline"},
			{"load.batch", 8, 2, 0, "inline"},
			{"load.insert", 2, 0, 0, "inline"},
		} {
			st, ok := res.Stage(w.name)
			if !ok || st.In != w.in || st.Out != w.out || st.DeadLettered != w.dead || st.Strategy.String() != w.strategy {
				t.Errorf("run %d: %s: %s in=%d out=%d dead=%d, want %s %d %d %d", run, w.name, st.Strategy, st.In, st.Out, st.DeadLettered, w.strategy, w.in, w.out, w.dead)
			}
		}
	}

	// The load's batch size is a parameter of ETL.
	p = NewETL()
	p.BatchSize = 3
	if _, err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.inserts != 3 || len(p.table) != 8 {
		t.Errorf("batches of 3: %d inserts of %d rows, want 3 of 8", p.inserts, len(p.table))
	}
}
