// Static edges, dynamic to.NAME routing and broadcast in one pipeline: orders
// are validated, every valid order is both audited and routed, and routed
// orders are shipped by region. mixed_routing_test.go runs it as a package.
package mixed_routing

import (
	"fmt"
	"strings"
	"sync"
)

go {
	// Order is one order of a web shop.
	type Order struct {
		ID      int
		Country string
		Cents   int
		Flagged bool // set by route when the order needs a manual check
	}

	// Shipment is an order handed to a carrier.
	type Shipment struct {
		Order   int
		Carrier string
		Cents   int
	}

	var countries = []string{"FR", "DE", "FR", "US", "JP", "FR", "DE", "BR", "", "fr"}
}

// Shop: source -> validate (static edge), validate broadcasts to audit and
// route, route sends each order to one of domestic, international or review
// (to.NAME), domestic and international both feed ship (static fan-in), and
// review either releases an order to ship or holds it.
pipeline Shop {
	param Count int = 100
	// orders of more than this many cents go to manual review
	param ReviewAbove int = 50000

	state {
		mu        sync.Mutex
		invalid   []int
		audited   map[int]bool
		held      []int
		shipments map[int]Shipment
		carriers  map[string]int
	}

	before_run {
		p.invalid = nil
		p.held = nil
		p.audited = map[int]bool{}
		p.shipments = map[int]Shipment{}
		p.carriers = map[string]int{}
	}

	producer source() Order {
		for i := 1; i <= p.Count; i++ {
			emit(Order{ID: i, Country: countries[i%len(countries)], Cents: i * 997 % 70000})
		}
	}

	// static edge from source; two downstreams: every valid order goes to both (broadcast)
	processor validate(o Order) Order to(audit, route) {
		o.Country = strings.ToUpper(o.Country)
		if o.Country == "" {
			p.mu.Lock()
			p.invalid = append(p.invalid, o.ID)
			p.mu.Unlock()
			return nil
		}
		emit(o)
	}

	consumer audit(o Order) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.audited[o.ID] = true
	}

	// dynamic: each order to exactly one of its three targets
	processor route(o Order) Order to(domestic, international, review) {
		switch {
		case o.Cents > p.ReviewAbove:
			o.Flagged = true
			to.review(o)
		case o.Country == "FR":
			to.domestic(o)
		default:
			to.international(o)
		}
	}

	processor domestic(o Order) Shipment to(ship) {
		emit(Shipment{Order: o.ID, Carrier: "colissimo", Cents: o.Cents})
	}

	processor international(o Order) Shipment threads(2) to(ship) {
		carrier := "dhl"
		if o.Country == "US" || o.Country == "BR" {
			carrier = "fedex"
		}
		emit(Shipment{Order: o.ID, Carrier: carrier, Cents: o.Cents})
	}

	// a reviewed order ships by courier when it is domestic; the rest are held
	processor review(o Order) Shipment to(ship) {
		if o.Country != "FR" {
			p.mu.Lock()
			p.held = append(p.held, o.ID)
			p.mu.Unlock()
			return nil
		}
		emit(Shipment{Order: o.ID, Carrier: "courier", Cents: o.Cents})
	}

	consumer ship(s Shipment) from(domestic, international, review) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.shipments[s.Order] = s
		p.carriers[s.Carrier]++
	}

	after_run {
		fmt.Printf("invalid=%d audited=%d shipped=%d held=%d carriers=%v\n",
			len(p.invalid), len(p.audited), len(p.shipments), len(p.held), p.carriers)
	}
}
