// Minigun's 20_error_handling_hooks: items failing in worker processes, seen by
// the parent's on_error hook. error_hooks_test.go runs it.
package errorhooks

import (
	"fmt"
	"sort"
)

go {
	// Invoice is one record to import.
	type Invoice struct {
		ID       int
		Cents    int
		Currency string
	}

	// rates are the exchange rates to euro cents, per hundred units.
	var rates = map[string]int{"EUR": 100, "USD": 92, "GBP": 117}

	// invoice is record id of the import: record 37 has a negative amount and
	// record 64 a currency with no exchange rate.
	func invoice(id int) Invoice {
		inv := Invoice{ID: id, Cents: 1000 + id*10, Currency: []string{"EUR", "USD", "GBP"}[id%3]}
		switch id {
		case 37:
			inv.Cents = -500
		case 64:
			inv.Currency = "XYZ"
		}
		return inv
	}

	// toEuroCents converts an amount; an unknown currency is a bug upstream,
	// so it panics.
	func toEuroCents(inv Invoice) int {
		rate, ok := rates[inv.Currency]
		if !ok {
			panic(fmt.Sprintf("no exchange rate for %q", inv.Currency))
		}
		return inv.Cents * rate / 100
	}
}

// ErrorHooks imports invoices in batches of ten, each batch in a worker
// process, retried once when it fails. A batch holding a bad record fails
// (an error, or a panic); the rows its attempts had stored are dropped with
// the attempt. The parent's on_error hook sees each batch that failed for
// good, once, after its retry; the stored rows of the other batches come back.
pipeline ErrorHooks {
	// how many invoices to import
	param Count int = 100

	state {
		stored []int    merge(append) // ids of the invoices stored
		cents  int      merge(sum)    // their total in euro cents
		errors []string               // written by on_error, in the parent
	}

	producer invoices() Invoice {
		for id := 0; id < p.Count; id++ {
			emit(invoice(id))
		}
	}

	batch 10

	consumer store(b []Invoice) process_per_batch(max: 2) retry(1) {
		for _, inv := range b {
			if inv.Cents < 0 {
				return fmt.Errorf("invoice %d: negative amount %d", inv.ID, inv.Cents)
			}
			// Rows stored before the bad record are part of the failed
			// attempt: they never reach the parent.
			p.cents += toEuroCents(inv)
			p.stored = append(p.stored, inv.ID)
		}
	}

	// In the parent, once per batch that failed for good; hooks never run two
	// at a time, so no lock is needed.
	on_error(store) (err error, item any) {
		b := item.([]Invoice)
		p.errors = append(p.errors, fmt.Sprintf("batch %d-%d: %v", b[0].ID, b[len(b)-1].ID, err))
	}

	after_run {
		sort.Strings(p.errors)
		for _, e := range p.errors {
			fmt.Println(e)
		}
		fmt.Printf("%d invoices stored, %d.%02d EUR; %d batches failed\n", len(p.stored), p.cents/100, p.cents%100, len(result.Failures))
	}
}
