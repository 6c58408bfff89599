// Inheritance and rerouting: one ingestion pipeline and three variants of it
// made with `extends` and `reroute`. reroute_extends_test.go runs them as a
// package.
package reroute_extends

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

go {
	// Event is one line of an access log, parsed.
	type Event struct {
		IP      string
		Path    string
		Status  int
		Country string // filled in by enrich
	}

	// countryOf is a stand-in for a GeoIP lookup: the first octet decides.
	func countryOf(ip string) string {
		first, _, _ := strings.Cut(ip, ".")
		n, _ := strconv.Atoi(first)
		return [...]string{"FR", "DE", "US", "JP"}[n%4]
	}

	// accessLog makes n log lines; every 10th is a bot hitting /health, every
	// 7th line is garbled.
	func accessLog(n int) []string {
		lines := make([]string, n)
		for i := range lines {
			path := fmt.Sprintf("/items/%d", i%13)
			if i%10 == 0 {
				path = "/health"
			}
			lines[i] = fmt.Sprintf("%d.%d.0.1 GET %s %d", 10+i%50, i%256, path, []int{200, 200, 404, 500}[i%4])
			if i%7 == 3 {
				lines[i] = "garbled " + strconv.Itoa(i)
			}
		}
		return lines
	}
}

// Ingest parses access-log lines, enriches them with a country, drops
// health checks in validate and stores the rest.
pipeline Ingest {
	param Lines int = 100
	param Label string = "ingest"

	state {
		mu     sync.Mutex
		stored []Event
		hooks  []string
	}

	before_run {
		p.stored = nil
		p.hooks = append(p.hooks[:0], "before_run:"+p.Label)
	}

	producer read() string {
		for _, l := range accessLog(p.Lines) {
			emit(l)
		}
	}

	// garbled lines are skipped
	processor parse(line string) Event {
		f := strings.Fields(line)
		if len(f) != 4 {
			return nil
		}
		status, err := strconv.Atoi(f[3])
		if err != nil {
			return nil
		}
		emit(Event{IP: f[0], Path: f[2], Status: status})
	}

	processor enrich(e Event) Event threads(2) {
		e.Country = countryOf(e.IP)
		emit(e)
	}

	processor validate(e Event) Event {
		if e.Path == "/health" {
			return nil
		}
		emit(e)
	}

	consumer store(e Event) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.stored = append(p.stored, e)
	}

	after_run {
		p.hooks = append(p.hooks, "after_run:Ingest")
		fmt.Printf("%s: %d events stored\n", p.Label, len(p.stored))
	}
}

// Backfill re-imports old logs as they are: no enrichment and no
// validation. The reroute replaces parse's outgoing edge; enrich and
// validate can no longer receive anything, so they are dropped.
pipeline Backfill extends Ingest {
	param Label string = "backfill"
	reroute parse -> store
}

// Audited keeps every stage and also sends validated events to an audit
// trail: validate's edges become store and audit (broadcast).
pipeline Audited extends Ingest {
	param Label string = "audited"

	state {
		trail map[string]int // country -> audited events
	}

	before_run {
		p.trail = map[string]int{}
	}

	reroute validate -> store, audit

	consumer audit(e Event) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.trail[e.Country]++
	}

	after_run {
		p.hooks = append(p.hooks, "after_run:Audited")
	}
}

// Errors inserts a stage between enrich and validate: only server errors go
// on.
pipeline Errors extends Ingest {
	param Label string = "errors"

	reroute enrich -> only_errors

	processor only_errors(e Event) Event to(validate) {
		if e.Status >= 500 {
			emit(e)
		}
	}
}
