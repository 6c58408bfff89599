// Routing on several levels with to(...) and to.NAME.
// complex_routing_test.go runs it.
package complexrouting

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

go {
	// Ticket is a support request on its way to the team that handles it.
	type Ticket struct {
		ID       int
		Subject  string
		Priority int    // 1 (low) to 4 (urgent)
		Cents    int    // the amount in question, for billing
		Route    string // the stages it went through, "a > b > c"
	}

	// via returns t with stage appended to its route.
	func via(t Ticket, stage string) Ticket {
		if t.Route == "" {
			t.Route = stage
		} else {
			t.Route += " > " + stage
		}
		return t
	}

	var inbox = []Ticket{
		{ID: 1, Subject: "password reset not working", Priority: 2},
		{ID: 2, Subject: "possible data breach", Priority: 4},
		{ID: 3, Subject: "refund for double charge", Priority: 2, Cents: 4999},
		{ID: 4, Subject: "refund for late delivery", Priority: 1, Cents: 25000},
		{ID: 5, Subject: "invoice address wrong", Priority: 1},
		{ID: 6, Subject: "how do I export my data", Priority: 1},
		{ID: 7, Subject: "password leaked in logs", Priority: 3},
		{ID: 8, Subject: "invoice questions and a feature idea", Priority: 2},
		{ID: 9, Subject: "billing: change plan", Priority: 1},
	}
}

// ComplexRouting routes support tickets on three levels. classify sends each
// ticket to one team's triage with to.NAME; the two stages called triage, in
// the security and billing sub-pipelines, are to.security_triage and
// to.billing_triage. Security's triage pages the on-call engineer for an
// urgent ticket and always opens an incident (emit reaches both of its
// downstreams); paging opens the incident too, and open_incident takes both.
// Billing's triage routes by amount and may hand a ticket over to another
// team's stage (general.reply); general replies, then archives, in source
// order.
pipeline ComplexRouting {
	state {
		mu      sync.Mutex
		handled map[string][]string // stage that acted on a ticket -> "id: route"
	}

	before_run {
		p.handled = map[string][]string{}
	}

	producer tickets() Ticket {
		for _, t := range inbox {
			emit(t)
		}
	}

	// level 1: one team per ticket
	processor classify(t Ticket) Ticket to(security.triage, billing.triage, general.reply) {
		t = via(t, "classify")
		s := strings.ToLower(t.Subject)
		switch {
		case strings.Contains(s, "password") || strings.Contains(s, "breach"):
			to.security_triage(t)
		case strings.Contains(s, "refund") || strings.Contains(s, "invoice") || strings.HasPrefix(s, "billing"):
			to.billing_triage(t)
		default:
			to.reply(t)
		}
	}

	pipeline security {
		// level 2: urgent tickets to both page_oncall and open_incident, the others only to open_incident
		processor triage(t Ticket) Ticket threads(2) to(page_oncall, open_incident) {
			t = via(t, "security.triage")
			if t.Priority >= 3 {
				emit(t)
			} else {
				to.open_incident(t)
			}
		}
		// level 3: paging opens an incident too
		processor page_oncall(t Ticket) Ticket to(open_incident) {
			p.handle("page_oncall", via(t, "page_oncall"))
			emit(via(t, "page_oncall"))
		}
		consumer open_incident(t Ticket) from(triage, page_oncall) {
			p.handle("open_incident", via(t, "open_incident"))
		}
	}

	pipeline billing {
		// level 2: refunds by amount, invoices, the rest handed over to general
		processor triage(t Ticket) Ticket to(refund, approve_refund, invoices, general.reply) {
			t = via(t, "billing.triage")
			s := strings.ToLower(t.Subject)
			switch {
			case strings.Contains(s, "refund") && t.Cents > 10000:
				to.approve_refund(t)
			case strings.Contains(s, "refund"):
				to.refund(t)
			case strings.Contains(s, "invoice"):
				to.invoices(t)
			default:
				to.reply(t)
			}
		}
		// level 3: a large refund needs an approval, then is paid like the others
		processor approve_refund(t Ticket) Ticket to(refund) {
			emit(via(t, "approve_refund"))
		}
		consumer refund(t Ticket) from(triage, approve_refund) {
			p.handle("refund", via(t, "refund"))
		}
		consumer invoices(t Ticket) from(triage) {
			p.handle("invoices", via(t, "invoices"))
		}
	}

	pipeline general {
		processor reply(t Ticket) Ticket {
			emit(via(t, "general.reply"))
		}
		consumer archive(t Ticket) {
			p.handle("archive", via(t, "archive"))
		}
	}

	after_run {
		stages := make([]string, 0, len(p.handled))
		for s := range p.handled {
			stages = append(stages, s)
		}
		sort.Strings(stages)
		for _, s := range stages {
			sort.Strings(p.handled[s])
			fmt.Printf("%s:\n  %s\n", s, strings.Join(p.handled[s], "\n  "))
		}
	}
}

go {
	// handle records that the stage called stage acted on ticket t.
	func (p *ComplexRouting) handle(stage string, t Ticket) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.handled[stage] = append(p.handled[stage], fmt.Sprintf("%d: %s", t.ID, t.Route))
	}
}
