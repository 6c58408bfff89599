// ETL between two SQLite databases: raw point-of-sale rows are extracted,
// cleaned and typed, and loaded into a warehouse in batches, one transaction
// per batch; rows that cannot be cleaned are kept in a rejects table.
// db_etl_test.go runs it as a package (modernc.org/sqlite, pure Go).
package db_etl

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
	_ "modernc.org/sqlite"
)

go {
	// Raw is a row of the point-of-sale export, all text, as the tills wrote it.
	type Raw struct {
		ID     int64
		SoldAt string // "2026-03-01 14:05" or "01/03/2026 14:05"
		Store  string // " par-01 ", "PAR-01"...
		SKU    string
		Qty    string
		Price  string // "12.50", "12,50", "€12.50"
	}

	// Sale is a cleaned, typed row of the warehouse.
	type Sale struct {
		Receipt int64
		Day     string // YYYY-MM-DD
		Store   string
		SKU     string
		Qty     int
		Cents   int64
	}

	const sourceSchema = `CREATE TABLE IF NOT EXISTS pos_export (
		id INTEGER PRIMARY KEY, sold_at TEXT, store TEXT, sku TEXT, qty TEXT, price TEXT)`

	const warehouseSchema = `
		CREATE TABLE IF NOT EXISTS sales (
			receipt INTEGER PRIMARY KEY,
			day     TEXT NOT NULL,
			store   TEXT NOT NULL,
			sku     TEXT NOT NULL,
			qty     INTEGER NOT NULL CHECK (qty > 0),
			cents   INTEGER NOT NULL CHECK (cents >= 0));
		CREATE TABLE IF NOT EXISTS rejects (
			id     INTEGER PRIMARY KEY,
			reason TEXT NOT NULL);`

	// OpenDB opens (and creates) a SQLite database with the given schema.
	func OpenDB(path, schema string) (*sql.DB, error) {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)")
		if err != nil {
			return nil, err
		}
		if _, err := db.Exec(schema); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}

	// clean turns a raw row into a sale, or says why it cannot.
	func clean(r Raw) (Sale, error) {
		s := Sale{Receipt: r.ID, SKU: strings.ToUpper(strings.TrimSpace(r.SKU)), Store: strings.ToUpper(strings.TrimSpace(r.Store))}
		at := strings.TrimSpace(r.SoldAt)
		var t time.Time
		var err error
		if strings.Contains(at, "/") {
			t, err = time.Parse("02/01/2006 15:04", at)
		} else {
			t, err = time.Parse("2006-01-02 15:04", at)
		}
		if err != nil {
			return s, fmt.Errorf("bad date %q", r.SoldAt)
		}
		s.Day = t.Format("2006-01-02")
		if s.Store == "" || s.SKU == "" {
			return s, fmt.Errorf("missing store or sku")
		}
		if s.Qty, err = strconv.Atoi(strings.TrimSpace(r.Qty)); err != nil || s.Qty <= 0 {
			return s, fmt.Errorf("bad quantity %q", r.Qty)
		}
		price := strings.TrimPrefix(strings.TrimSpace(r.Price), "€")
		units, frac, _ := strings.Cut(strings.ReplaceAll(price, ",", "."), ".")
		u, err1 := strconv.ParseInt(units, 10, 64)
		f, err2 := strconv.ParseInt((frac + "00")[:2], 10, 64)
		if err1 != nil || err2 != nil || u < 0 || len(frac) > 2 {
			return s, fmt.Errorf("bad price %q", r.Price)
		}
		s.Cents = int64(s.Qty) * (u*100 + f)
		return s, nil
	}
}

// ETL extracts pos_export rows from Source in pages, cleans them on several
// goroutines, and loads them into Warehouse in batches of Batch rows, each in
// one transaction: a batch is loaded whole or not at all.
pipeline ETL {
	// source database file (empty: a temporary one with a demo export)
	param Source string
	// warehouse database file (empty: a temporary one)
	param Warehouse string
	param Batch int = 250
	// rows of the demo export made when Source is empty
	param DemoRows int = 2000

	state {
		mu       sync.Mutex
		src, wh  *sql.DB
		tmp      string
		loaded   int
		txs      int
		rejected int
	}

	before_run {
		if p.Source == "" || p.Warehouse == "" {
			dir, err := os.MkdirTemp("", "etl")
			if err != nil {
				return err
			}
			p.tmp = dir
		}
		src, wh := p.Source, p.Warehouse
		if src == "" {
			src = filepath.Join(p.tmp, "pos.db")
		}
		if wh == "" {
			wh = filepath.Join(p.tmp, "warehouse.db")
		}
		var err error
		if p.src, err = OpenDB(src, sourceSchema); err != nil {
			return err
		}
		if p.wh, err = OpenDB(wh, warehouseSchema); err != nil {
			return err
		}
		// one connection: the loads and the rejects take turns, never a busy database
		p.wh.SetMaxOpenConns(1)
		if p.Source == "" {
			if err := SeedDemo(p.src, p.DemoRows); err != nil {
				return err
			}
		}
		p.loaded, p.txs, p.rejected = 0, 0, 0
	}

	producer extract() Raw {
		var last int64
		for {
			rows, err := p.src.QueryContext(ctx, `SELECT id, sold_at, store, sku, qty, price FROM pos_export WHERE id > ? ORDER BY id LIMIT 500`, last)
			if err != nil {
				return err
			}
			n := 0
			for rows.Next() {
				var r Raw
				if err := rows.Scan(&r.ID, &r.SoldAt, &r.Store, &r.SKU, &r.Qty, &r.Price); err != nil {
					rows.Close()
					return err
				}
				last = r.ID
				n++
				emit(r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
		}
	}

	processor transform(r Raw) Sale threads(4) dead_letter(reject) {
		s, err := clean(r)
		if err != nil {
			return err
		}
		emit(s)
	}

	consumer reject(f mgrt.Failed[Raw]) {
		if _, err := p.wh.ExecContext(ctx, `INSERT OR REPLACE INTO rejects (id, reason) VALUES (?, ?)`, f.Item.ID, f.Err.Error()); err != nil {
			return err
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.rejected++
	}

	batch Batch

	// all the batch's rows or none: a row the warehouse refuses rolls the batch back
	consumer load(b []Sale) {
		tx, err := p.wh.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO sales (receipt, day, store, sku, qty, cents) VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, s := range b {
			if _, err := stmt.ExecContext(ctx, s.Receipt, s.Day, s.Store, s.SKU, s.Qty, s.Cents); err != nil {
				return fmt.Errorf("receipt %d: %w", s.Receipt, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.loaded += len(b)
		p.txs++
	}

	after_run {
		var stores, days int
		var cents int64
		p.wh.QueryRow(`SELECT count(DISTINCT store), count(DISTINCT day), coalesce(sum(cents), 0) FROM sales`).Scan(&stores, &days, &cents)
		fmt.Printf("loaded %d sales in %d transactions (%d stores, %d days, %d.%02d), rejected %d, failed batches %d\n",
			p.loaded, p.txs, stores, days, cents/100, cents%100, p.rejected, len(result.Failures))
		p.src.Close()
		p.wh.Close()
		if p.tmp != "" {
			os.RemoveAll(p.tmp)
			p.tmp = ""
		}
	}
}

go {
	// SeedDemo writes n rows of a messy point-of-sale export: mixed date
	// formats, padded and lower-case store codes, decimal commas, and every
	// 50th row broken in one way or another.
	func SeedDemo(db *sql.DB, n int) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for i := 1; i <= n; i++ {
			r := DemoRow(i)
			if _, err := tx.Exec(`INSERT INTO pos_export (id, sold_at, store, sku, qty, price) VALUES (?, ?, ?, ?, ?, ?)`,
				r.ID, r.SoldAt, r.Store, r.SKU, r.Qty, r.Price); err != nil {
				return err
			}
		}
		return tx.Commit()
	}

	// DemoRow is row i of the demo export.
	func DemoRow(i int) Raw {
		day := 1 + i%28
		r := Raw{
			ID:     int64(i),
			SoldAt: fmt.Sprintf("2026-03-%02d %02d:%02d", day, 9+i%10, i%60),
			Store:  []string{"PAR-01", " par-02", "lyo-01 ", "Mrs-01"}[i%4],
			SKU:    fmt.Sprintf("sku-%03d", i%37),
			Qty:    strconv.Itoa(1 + i%5),
			Price:  fmt.Sprintf("%d.%02d", 1+i%40, i*7%100),
		}
		if i%3 == 0 {
			r.SoldAt = fmt.Sprintf("%02d/03/2026 %02d:%02d", day, 9+i%10, i%60)
		}
		if i%7 == 0 {
			r.Price = strings.Replace(r.Price, ".", ",", 1)
		}
		if i%11 == 0 {
			r.Price = "€" + r.Price
		}
		switch i % 50 {
		case 10:
			r.Qty = "0"
		case 20:
			r.SoldAt = "yesterday"
		case 30:
			r.Price = "12.5.0"
		case 40:
			r.Store = "  "
		}
		return r
	}
}
