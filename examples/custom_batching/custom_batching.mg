// Custom batching with an accumulator body: log lines are collected in
// windows of up to 200 and re-packed into per-service payloads that fit a
// byte budget. custom_batching_test.go runs it as a package.
package custom_batching

import (
	"fmt"
	"strings"
	"sync"
)

go {
	// Line is one log line of one service.
	type Line struct {
		Seq     int
		Service string
		Text    string
	}

	// Payload is what is shipped to the log store: lines of one service, in
	// order, at most the byte budget in all (a single longer line travels alone).
	type Payload struct {
		Window  int // which accumulator batch it was cut from
		Service string
		Lines   []Line
		Bytes   int
	}

	var services = []string{"api", "auth", "billing", "search"}

	// logLine is the deterministic test traffic: lines of 40 to 239 bytes
	// (40 + 37i mod 200), of service i*i mod 4.
	func logLine(i int) Line {
		text := fmt.Sprintf("%06d level=info msg=served ", i)
		text += strings.Repeat("-", 40+i*37%200-len(text))
		return Line{Seq: i, Service: services[i*i%len(services)], Text: text}
	}
}

// Shipper packs log lines into payloads of at most MaxBytes per service.
pipeline Shipper {
	param Count int = 1000
	// byte budget of one payload
	param MaxBytes int = 1024

	state {
		mu       sync.Mutex
		windows  int
		payloads []Payload
	}

	before_run {
		p.windows = 0
		p.payloads = nil
	}

	producer tail() Line {
		for i := 0; i < p.Count; i++ {
			emit(logLine(i))
		}
	}

	// a window of up to 200 lines, cut into payloads: lines are grouped by
	// service (in order of first appearance), then packed greedily under MaxBytes
	accumulator pack(b []Line) Payload max_size(200) max_wait(1s) {
		window := p.windows
		p.windows++
		var order []string
		groups := map[string][]Line{}
		for _, l := range b {
			if _, ok := groups[l.Service]; !ok {
				order = append(order, l.Service)
			}
			groups[l.Service] = append(groups[l.Service], l)
		}
		for _, svc := range order {
			cur := Payload{Window: window, Service: svc}
			for _, l := range groups[svc] {
				if len(cur.Lines) > 0 && cur.Bytes+len(l.Text) > p.MaxBytes {
					emit(cur)
					cur = Payload{Window: window, Service: svc}
				}
				cur.Lines = append(cur.Lines, l)
				cur.Bytes += len(l.Text)
			}
			emit(cur)
		}
	}

	consumer ship(pl Payload) threads(2) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.payloads = append(p.payloads, pl)
	}

	after_run {
		bytes := 0
		for _, pl := range p.payloads {
			bytes += pl.Bytes
		}
		fmt.Printf("%d lines in %d windows shipped as %d payloads, %d bytes\n", p.Count, p.windows, len(p.payloads), bytes)
	}
}
