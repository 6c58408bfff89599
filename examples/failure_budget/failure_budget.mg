// A failure budget: a customer import that tolerates a few bad rows and
// gives up when there are too many. failure_budget_test.go runs it as a
// package and as a built program.
package failure_budget

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

go {
	// Customer is one row of the export, parsed, with the region its postcode
	// is in once geocoded.
	type Customer struct {
		ID       int
		Name     string
		Email    string
		Postcode string
		Region   string
	}

	// ErrUnavailable is the geocoder's transient error: trying again may work.
	var ErrUnavailable = errors.New("geocoder unavailable")

	// row is line id of the export. Every 40th has lost its email address.
	func row(id int) string {
		email := fmt.Sprintf("c%d@example.com", id)
		if id%40 == 0 {
			email = ""
		}
		return fmt.Sprintf("%d,Customer %d,%s,PC%03d", id, id, email, id%250)
	}

	// parseRow reads a line written by row.
	func parseRow(line string) (Customer, error) {
		f := strings.Split(line, ",")
		if len(f) != 4 {
			return Customer{}, fmt.Errorf("%q: want 4 fields, have %d", line, len(f))
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			return Customer{}, fmt.Errorf("%q: id: %w", line, err)
		}
		if !strings.Contains(f[2], "@") {
			return Customer{}, fmt.Errorf("row %d: email %q is not an address", id, f[2])
		}
		return Customer{ID: id, Name: f[1], Email: f[2], Postcode: f[3]}, nil
	}

	// outages says how many times the geocoder fails for customer id before it
	// answers: every 7th once (a retry recovers), every 33rd always (the
	// postcode is in an area it never answers for: the row fails for good).
	func outages(id int) int {
		switch {
		case id%33 == 0:
			return 1 << 30
		case id%7 == 0:
			return 1
		}
		return 0
	}

	var regions = []string{"north", "east", "south", "west", "centre"}
}

// Import parses a customer export, geocodes each customer through a flaky
// service and loads them. Up to Budget rows may fail for good and the import
// still succeeds; one more fails the run and cancels it.
pipeline Import {
	// rows in the export
	param Count int = 200
	// rows that may fail for good before the import is given up
	param Budget int = 12

	max_failures Budget

	state {
		mu       sync.Mutex
		attempts map[int]int      // customer id -> geocoding attempts
		loaded   map[int]Customer // customer id -> as loaded
		reported []int            // rows the on_error hooks saw
	}

	before_run {
		p.attempts = map[int]int{}
		p.loaded = map[int]Customer{}
		p.reported = nil
	}

	producer export() string total(Count) {
		for id := 1; id <= p.Count; id++ {
			emit(row(id))
		}
	}

	// a malformed row fails for good at once: retrying cannot mend it
	processor parse(line string) Customer {
		c, err := parseRow(line)
		if err != nil {
			return err
		}
		emit(c)
	}

	// three attempts at most, 1ms then 2ms apart
	processor geocode(c Customer) Customer threads(4) retry(2, backoff: 1ms) {
		p.mu.Lock()
		p.attempts[c.ID]++
		n := p.attempts[c.ID]
		p.mu.Unlock()
		if n <= outages(c.ID) {
			return fmt.Errorf("geocoding %s for customer %d: %w", c.Postcode, c.ID, ErrUnavailable)
		}
		pc, _ := strconv.Atoi(strings.TrimPrefix(c.Postcode, "PC"))
		c.Region = regions[pc%len(regions)]
		emit(c)
	}

	consumer load(c Customer) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.loaded[c.ID] = c
	}

	on_error(parse) (err error, item any) {
		id, _, _ := strings.Cut(item.(string), ",")
		n, _ := strconv.Atoi(id)
		p.reported = append(p.reported, n)
	}

	on_error(geocode) (err error, item any) {
		p.reported = append(p.reported, item.(Customer).ID)
	}

	after_run {
		failed := map[string]int64{}
		var retries int64
		for _, s := range result.Stages {
			failed[s.Name] = s.Failed
			retries += s.Retried
		}
		fmt.Printf("%s: %d loaded, %d failed for good (parse %d, geocode %d), %d retries\n",
			result.Status, len(p.loaded), result.FailedItems, failed["parse"], failed["geocode"], retries)
		rows := slices.Clone(p.reported)
		slices.Sort(rows)
		fmt.Println("failed rows:", rows)
	}
}
