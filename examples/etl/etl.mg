// Extract, transform, load: three pipelines composed into one.
// etl_test.go runs it.
package etl

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

go {
	// salesCSV stands for the day's export of a shop's order system. Order
	// 1004 appears twice; 1006 has no amount and 1009 an unknown date.
	const salesCSV = `order,date,country,currency,amount
1001,2024-03-01,DE,EUR,19.99
1002,2024-03-01,FR,EUR,5.00
1003,2024-03-01,GB,GBP,12.50
1004,2024-03-02,US,USD,30.00
1004,2024-03-02,US,USD,30.00
1005,2024-03-02,DE,EUR,7.25
1006,2024-03-02,FR,EUR,
1007,2024-03-03,US,USD,100.00
1008,2024-03-03,GB,GBP,1.00
1009,2024-13-03,DE,EUR,3.00
1010,2024-03-03,FR,EUR,49.90
`

	// Record is one line of the export, as read.
	type Record struct {
		Line   int
		Fields []string
	}

	// Sale is a checked order, its amount in euro cents.
	type Sale struct {
		Order   int
		Day     time.Time
		Country string
		Cents   int
	}

	// toEuro are the exchange rates, per million.
	var toEuro = map[string]int{"EUR": 1_000_000, "GBP": 1_170_000, "USD": 920_000}

	// parseCents reads an amount such as "19.99" as cents.
	func parseCents(s string) (int, error) {
		units, frac, _ := strings.Cut(s, ".")
		u, err := strconv.Atoi(units)
		if err != nil {
			return 0, fmt.Errorf("amount %q: %w", s, err)
		}
		f, err := strconv.Atoi((frac + "00")[:2])
		if err != nil {
			return 0, fmt.Errorf("amount %q: %w", s, err)
		}
		return u*100 + f, nil
	}
}

// Transform checks the export's records, converts their amounts to euro and
// drops repeated orders. It has no producer: ETL nests it, and its state
// (the orders it has seen) belongs to that nested copy.
pipeline Transform {
	state {
		seen map[int]bool // dedupe is inline: one goroutine
	}

	// a nested pipeline's hooks fire like the root's: each run starts afresh
	before_run {
		p.seen = map[int]bool{}
	}

	processor check(r Record) Sale threads(2) dead_letter(invalid) {
		f := r.Fields
		order, err := strconv.Atoi(f[0])
		if err != nil {
			return fmt.Errorf("line %d: order %q: %w", r.Line, f[0], err)
		}
		day, err := time.Parse("2006-01-02", f[1])
		if err != nil {
			return fmt.Errorf("line %d: %w", r.Line, err)
		}
		if _, ok := toEuro[f[3]]; !ok {
			return fmt.Errorf("line %d: unknown currency %q", r.Line, f[3])
		}
		cents, err := parseCents(f[4])
		if err != nil {
			return fmt.Errorf("line %d: %w", r.Line, err)
		}
		emit(Sale{Order: order, Day: day, Country: f[2], Cents: cents * toEuro[f[3]] / 1_000_000})
	}

	processor dedupe(s Sale) Sale {
		if !p.seen[s.Order] {
			p.seen[s.Order] = true
			emit(s)
		}
	}

	consumer invalid(f mgrt.Failed[Record]) {
		fmt.Fprintf(os.Stderr, "invalid: %v\n", f.Err)
	}
}

// ETL loads the day's sales into the warehouse table. extract reads the
// export (a sub-pipeline of ETL's own), transform is a nested Transform, and
// load writes the sales in batches (another sub-pipeline). Each part sends
// to the next in source order.
pipeline ETL {
	// rows per insert
	param BatchSize int = 4

	state {
		mu      sync.Mutex
		table   []Sale // the warehouse table
		inserts int
	}

	before_run {
		p.table, p.inserts = nil, 0
	}

	pipeline extract {
		producer read() Record {
			r := csv.NewReader(strings.NewReader(salesCSV))
			r.FieldsPerRecord = 5
			line := 0
			for {
				fields, err := r.Read()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				line++
				if line > 1 { // the header
					emit(Record{Line: line, Fields: fields})
				}
			}
		}
	}

	nested transform = Transform

	pipeline load {
		batch BatchSize

		consumer insert(rows []Sale) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.table = append(p.table, rows...)
			p.inserts++
		}
	}

	after_run {
		byDay := map[string]int{}
		for _, s := range p.table {
			byDay[s.Day.Format("2006-01-02")+" "+s.Country] += s.Cents
		}
		keys := make([]string, 0, len(byDay))
		for k := range byDay {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("%s %8.2f EUR\n", k, float64(byDay[k])/100)
		}
		fmt.Printf("%d sales loaded in %d inserts\n", len(p.table), p.inserts)
	}
}
