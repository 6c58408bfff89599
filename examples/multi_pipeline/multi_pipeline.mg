// Several pipelines in one file: two jobs that run one after the other in a
// built program, both composed with a third, reusable one.
// multi_pipeline_test.go runs them.
package multipipeline

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	mgrt "github.com/minigun-go/minigun/runtime"
)

go {
	// Stock is one parsed row of a warehouse stock export.
	type Stock struct {
		Warehouse string
		SKU       string
		Units     int
		Reorder   int // reorder when Units falls below this
	}

	// PurchaseOrder asks a supplier for SKUs.
	type PurchaseOrder struct {
		Lines []string // "SKU xN"
	}

	// export is the stock export both jobs read: warehouse,sku,units,reorder.
	// Two rows are broken.
	var export = []string{
		"berlin,BOOK-001,12,5",
		"berlin,BOOK-002,3,5",
		"berlin,BOOK-003,0,2",
		"paris,BOOK-001,4,5",
		"paris,BOOK-002,40,5",
		"paris,BOOK-004,-1,5",
		"lisbon,BOOK-003,7,2",
		"lisbon,BOOK-005,1,3",
		"lisbon,BOOK-006",
		"lisbon,BOOK-007,2,10",
	}

	func readExport(emit func(string)) {
		for _, row := range export {
			emit(row)
		}
	}
}

// Normalize parses and checks stock rows; a row that cannot be read goes to
// rejected. It has no producer: it does not run on its own, it is a stage of
// the pipelines that nest it, each nesting its own copy.
pipeline Normalize {
	processor parse(row string) Stock dead_letter(rejected) {
		f := strings.Split(row, ",")
		if len(f) != 4 {
			return fmt.Errorf("row %q: want 4 fields, have %d", row, len(f))
		}
		units, err1 := strconv.Atoi(f[2])
		reorder, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("row %q: units and reorder level must be numbers", row)
		}
		emit(Stock{Warehouse: f[0], SKU: f[1], Units: units, Reorder: reorder})
	}

	// a negative count is a stocktaking mistake: the row is left out
	processor validate(s Stock) Stock {
		if s.Units >= 0 {
			emit(s)
		}
	}

	consumer rejected(f mgrt.Failed[string]) {
		fmt.Fprintf(os.Stderr, "rejected: %v\n", f.Err)
	}
}

// Inventory totals the units of each SKU over every warehouse.
pipeline Inventory {
	state {
		units map[string]int
	}

	before_run {
		p.units = map[string]int{}
	}

	producer rows() string {
		readExport(emit)
	}

	nested normalize = Normalize

	consumer total(s Stock) {
		p.units[s.SKU] += s.Units
	}

	after_run {
		skus := make([]string, 0, len(p.units))
		for sku := range p.units {
			skus = append(skus, sku)
		}
		sort.Strings(skus)
		for _, sku := range skus {
			fmt.Printf("inventory %s %d\n", sku, p.units[sku])
		}
	}
}

// Reorder finds the warehouses' SKUs below their reorder level and groups
// them into purchase orders of at most three lines.
pipeline Reorder {
	// lines per purchase order
	param LinesPerOrder int = 3

	state {
		mu     sync.Mutex
		orders []PurchaseOrder
	}

	producer rows() string {
		readExport(emit)
	}

	nested normalize = Normalize

	processor low(s Stock) string {
		if s.Units < s.Reorder {
			emit(fmt.Sprintf("%s/%s x%d", s.Warehouse, s.SKU, 2*s.Reorder-s.Units))
		}
	}

	batch LinesPerOrder

	consumer order(lines []string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.orders = append(p.orders, PurchaseOrder{Lines: lines})
	}

	after_run {
		for i, o := range p.orders {
			fmt.Printf("purchase order %d: %s\n", i+1, strings.Join(o.Lines, ", "))
		}
	}
}
