// Named queues: two intake stages send jobs to the named queues they belong
// to, and each queue's subscribers share its jobs. named_queues_test.go runs
// it as a package.
package named_queues

import (
	"fmt"
	"strings"
	"sync"
)

go {
	// Email is an outgoing message; Kind decides which queue carries it.
	type Email struct {
		ID   int
		To   string
		Kind string // "password_reset", "receipt" or "newsletter"
	}

	// Sent is an email and the sender that delivered it.
	type Sent struct {
		Email  Email
		Sender string
	}
}

// Mailer: signups and checkouts write emails; transactional ones go to the
// urgent queue, shared by three fast senders, newsletters to the bulk queue,
// shared by two batching senders.
pipeline Mailer {
	param Users int = 100

	state {
		mu   sync.Mutex
		sent map[string][]Sent // sender -> what it delivered
	}

	before_run {
		p.sent = map[string][]Sent{}
	}

	queue urgent Email
	queue bulk Email queue_size(64)

	producer signups() Email to(accounts) {
		for i := 0; i < p.Users; i++ {
			emit(Email{ID: 2 * i, To: fmt.Sprintf("user%d@example.com", i), Kind: "password_reset"})
		}
	}

	producer checkouts() Email to(billing) {
		for i := 0; i < p.Users; i++ {
			emit(Email{ID: 2*i + 1, To: fmt.Sprintf("user%d@example.com", i), Kind: "receipt"})
		}
	}

	// accounts and billing send to the same queues; each email goes to one of them
	processor accounts(e Email) Email to(urgent, bulk) {
		to.urgent(e)
		if e.ID%4 == 0 { // every other signup also subscribes to the newsletter
			to.bulk(Email{ID: 1000000 + e.ID, To: e.To, Kind: "newsletter"})
		}
	}

	processor billing(e Email) Email to(urgent) {
		to.urgent(e)
	}

	consumer smtp1(e Email) from(urgent) { p.deliver("smtp1", e) }
	consumer smtp2(e Email) from(urgent) { p.deliver("smtp2", e) }
	consumer smtp3(e Email) threads(2) from(urgent) { p.deliver("smtp3", e) }

	batch 10 from(bulk)
	consumer bulk_a(b []Email) {
		for _, e := range b {
			p.deliver("bulk_a", e)
		}
	}

	batch 10 from(bulk)
	consumer bulk_b(b []Email) {
		for _, e := range b {
			p.deliver("bulk_b", e)
		}
	}

	after_run {
		var parts []string
		for _, s := range []string{"smtp1", "smtp2", "smtp3", "bulk_a", "bulk_b"} {
			parts = append(parts, fmt.Sprintf("%s=%d", s, len(p.sent[s])))
		}
		fmt.Println(strings.Join(parts, " "))
	}
}

go {
	func (p *Mailer) deliver(sender string, e Email) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.sent[sender] = append(p.sent[sender], Sent{Email: e, Sender: sender})
	}
}
