package db_etl

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

const rows = 1000

// setup makes a source holding the demo export and an empty warehouse.
func setup(t *testing.T) (src, wh string, whDB *sql.DB) {
	dir := t.TempDir()
	src, wh = filepath.Join(dir, "pos.db"), filepath.Join(dir, "warehouse.db")
	db, err := OpenDB(src, sourceSchema)
	if err != nil {
		t.Fatal(err)
	}
	if err := SeedDemo(db, rows); err != nil {
		t.Fatal(err)
	}
	db.Close()
	whDB, err = OpenDB(wh, warehouseSchema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { whDB.Close() })
	return src, wh, whDB
}

// reference cleans the demo rows by hand.
func reference() (sales map[int64]Sale, rejects map[int64]string) {
	sales, rejects = map[int64]Sale{}, map[int64]string{}
	for i := 1; i <= rows; i++ {
		s, err := clean(DemoRow(i))
		if err != nil {
			rejects[int64(i)] = err.Error()
		} else {
			sales[int64(i)] = s
		}
	}
	return sales, rejects
}

func query(t *testing.T, db *sql.DB) map[int64]Sale {
	rs, err := db.Query(`SELECT receipt, day, store, sku, qty, cents FROM sales`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[int64]Sale{}
	for rs.Next() {
		var s Sale
		if err := rs.Scan(&s.Receipt, &s.Day, &s.Store, &s.SKU, &s.Qty, &s.Cents); err != nil {
			t.Fatal(err)
		}
		out[s.Receipt] = s
	}
	return out
}

func TestETL(t *testing.T) {
	src, wh, db := setup(t)
	wantSales, wantRejects := reference()
	if len(wantRejects) != 80 || len(wantSales) != 920 {
		t.Fatalf("the demo export has %d rejects, want 80 (4 in every 50 rows)", len(wantRejects))
	}

	p := NewETL()
	p.Source, p.Warehouse = src, wh
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	got := query(t, db)
	if len(got) != len(wantSales) {
		t.Errorf("warehouse holds %d sales, want %d", len(got), len(wantSales))
	}
	for id, s := range wantSales {
		if got[id] != s {
			t.Errorf("receipt %d: %+v, want %+v", id, got[id], s)
		}
	}
	// two rows checked by hand: row 7 is "8,49" (a decimal comma) times 3 at
	// "Mrs-01"; row 33 is "€34.31" times 4 at " par-02", dated day/month
	if s := got[7]; s.Cents != 3*849 || s.Day != "2026-03-08" || s.Store != "MRS-01" || s.SKU != "SKU-007" {
		t.Errorf("receipt 7: %+v", s)
	}
	if s := got[33]; s.Cents != 4*3431 || s.Day != "2026-03-06" || s.Store != "PAR-02" {
		t.Errorf("receipt 33: %+v", s)
	}

	var total, wantTotal int64
	var stores int
	db.QueryRow(`SELECT sum(cents), count(DISTINCT store) FROM sales`).Scan(&total, &stores)
	for _, s := range wantSales {
		wantTotal += s.Cents
	}
	if total != wantTotal || stores != 4 {
		t.Errorf("sum %d over %d stores, want %d over 4", total, stores, wantTotal)
	}

	rs, err := db.Query(`SELECT id, reason FROM rejects`)
	if err != nil {
		t.Fatal(err)
	}
	gotRejects := map[int64]string{}
	for rs.Next() {
		var id int64
		var reason string
		rs.Scan(&id, &reason)
		gotRejects[id] = reason
	}
	rs.Close()
	if fmt.Sprint(gotRejects) != fmt.Sprint(wantRejects) {
		t.Errorf("rejects %v\nwant %v", gotRejects, wantRejects)
	}
	if gotRejects[20] != `bad date "yesterday"` || gotRejects[10] != `bad quantity "0"` {
		t.Errorf("reject reasons: %q, %q", gotRejects[20], gotRejects[10])
	}

	// 920 sales in batches of 250: three full, one of 170, one transaction each
	if p.loaded != 920 || p.txs != 4 || p.rejected != 80 {
		t.Errorf("loaded %d in %d transactions, rejected %d", p.loaded, p.txs, p.rejected)
	}
	tr, _ := res.Stage("transform")
	load, _ := res.Stage("load")
	if tr.In != rows || tr.Out != 920 || tr.DeadLettered != 80 || load.In != 4 || load.Failed != 0 {
		t.Errorf("transform in %d out %d dead %d; load in %d failed %d", tr.In, tr.Out, tr.DeadLettered, load.In, load.Failed)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Errorf("status %s, failures %v", res.Status, res.Failures)
	}
}

// A batch holding a receipt the warehouse already has is rolled back whole:
// none of its rows are loaded, the other batches are, and the batch is the
// run's one failure.
func TestETLBatchRollback(t *testing.T) {
	src, wh, db := setup(t)
	if _, err := db.Exec(`INSERT INTO sales VALUES (777, '2026-01-01', 'OLD-01', 'SKU-X', 1, 100)`); err != nil {
		t.Fatal(err)
	}
	wantSales, _ := reference()

	p := NewETL()
	p.Source, p.Warehouse = src, wh
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 {
		t.Fatalf("failures %v, want the batch holding receipt 777", res.Failures)
	}
	f := res.Failures[0]
	batch, ok := f.Item.([]Sale)
	if !ok || f.Stage != "load" || f.Attempts != 1 || !strings.Contains(f.Err.Error(), "receipt 777: ") || !strings.Contains(f.Err.Error(), "UNIQUE") {
		t.Fatalf("failure %v", f)
	}
	var ids []int64
	for _, s := range batch {
		ids = append(ids, s.Receipt)
	}
	if !slices.Contains(ids, 777) {
		t.Fatalf("the failed batch does not hold receipt 777")
	}

	got := query(t, db)
	if len(got) != 920-len(batch)+1 {
		t.Errorf("warehouse holds %d sales, want %d (the failed batch of %d rolled back, 777 from before)", len(got), 920-len(batch)+1, len(batch))
	}
	for _, id := range ids {
		if _, ok := got[id]; ok && id != 777 {
			t.Errorf("receipt %d of the rolled-back batch is in the warehouse", id)
		}
	}
	if got[777].Store != "OLD-01" {
		t.Errorf("receipt 777 was overwritten: %+v", got[777])
	}
	for id, s := range wantSales {
		if !slices.Contains(ids, id) && got[id] != s {
			t.Errorf("receipt %d not loaded", id)
		}
	}
	if p.loaded != 920-len(batch) || p.txs != 3 {
		t.Errorf("loaded %d in %d transactions", p.loaded, p.txs)
	}
	if load, _ := res.Stage("load"); load.In != 4 || load.Failed != 1 {
		t.Errorf("load in %d failed %d", load.In, load.Failed)
	}
}

// Without databases the run makes temporary ones with the demo export.
func TestETLDemo(t *testing.T) {
	p := NewETL()
	p.DemoRows = 500
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.loaded != 460 || p.rejected != 40 || len(res.Failures) != 0 || p.tmp != "" {
		t.Errorf("loaded %d, rejected %d, failures %v, temporary directory %q left", p.loaded, p.rejected, res.Failures, p.tmp)
	}
}
