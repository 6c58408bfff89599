// A message router: JSON envelopes from a bus are routed by their type to the
// handler that decodes that type. message_router_test.go runs it as a package.
package message_router

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	mgrt "github.com/minigun-go/minigun/runtime"
)

go {
	// Envelope is a message as it comes off the bus: a type tag and a JSON body.
	type Envelope struct {
		ID   int             `json:"id"`
		Type string          `json:"type"`
		Body json.RawMessage `json:"body"`
	}

	// sample is the bus a run reads when it is given no file.
	const sample = `{"id":1,"type":"user.signed_up","body":{"email":"ada@example.com"}}
{"id":2,"type":"order.placed","body":{"order":"o-1","cents":2500}}
{"id":3,"type":"payment.received","body":{"order":"o-1","cents":2500}}
{"id":4,"type":"order.cancelled","body":{"order":"o-1"}}
{"id":5,"type":"order.placed","body":{"order":"o-2","cents":"many"}}`

	type OrderPlaced struct {
		Order string `json:"order"`
		Cents int    `json:"cents"`
	}

	type PaymentReceived struct {
		Order string `json:"order"`
		Cents int    `json:"cents"`
	}

	type UserSignedUp struct {
		Email string `json:"email"`
	}

	// Inbox is what the handlers made of the messages.
	type Inbox struct {
		Orders     map[string]int // order -> cents placed
		Payments   map[string]int // order -> cents paid
		Users      []string
		Unroutable []int    // ids of envelopes of an unknown type
		Unknown    []string // their types, as the router's error names them
	}

	// ErrUnknownType is the router's error for a type no handler takes.
	type ErrUnknownType struct{ Type string }

	func (e *ErrUnknownType) Error() string { return fmt.Sprintf("no handler for message type %q", e.Type) }
}

// Router routes each envelope to the handler of its type; an envelope of an
// unknown type is dead-lettered; a handler that cannot decode its message
// fails that message.
pipeline Router {
	// JSON-lines file of envelopes to route (empty: a small sample bus)
	param File string

	state {
		mu    sync.Mutex
		inbox Inbox
	}

	before_run {
		p.inbox = Inbox{Orders: map[string]int{}, Payments: map[string]int{}}
	}

	// reads one envelope per line; a line that is not an envelope fails the run
	producer bus() Envelope {
		var sc *bufio.Scanner
		if p.File == "" {
			sc = bufio.NewScanner(strings.NewReader(sample))
		} else {
			f, err := os.Open(p.File)
			if err != nil {
				return err
			}
			defer f.Close()
			sc = bufio.NewScanner(f)
		}
		for line := 1; sc.Scan(); line++ {
			var m Envelope
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				return fmt.Errorf("%s:%d: %w", p.File, line, err)
			}
			emit(m)
		}
		return sc.Err()
	}

	processor route(m Envelope) Envelope to(orders, payments, users) dead_letter(unroutable) {
		switch m.Type {
		case "order.placed":
			to.orders(m)
		case "payment.received":
			to.payments(m)
		case "user.signed_up":
			to.users(m)
		default:
			return &ErrUnknownType{Type: m.Type}
		}
	}

	consumer orders(m Envelope) threads(2) {
		var o OrderPlaced
		if err := json.Unmarshal(m.Body, &o); err != nil {
			return fmt.Errorf("message %d: %w", m.ID, err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.inbox.Orders[o.Order] += o.Cents
	}

	consumer payments(m Envelope) {
		var pay PaymentReceived
		if err := json.Unmarshal(m.Body, &pay); err != nil {
			return fmt.Errorf("message %d: %w", m.ID, err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.inbox.Payments[pay.Order] += pay.Cents
	}

	consumer users(m Envelope) {
		var u UserSignedUp
		if err := json.Unmarshal(m.Body, &u); err != nil {
			return fmt.Errorf("message %d: %w", m.ID, err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.inbox.Users = append(p.inbox.Users, u.Email)
	}

	consumer unroutable(f mgrt.Failed[Envelope]) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.inbox.Unroutable = append(p.inbox.Unroutable, f.Item.ID)
		var u *ErrUnknownType
		if errors.As(f.Err, &u) && f.Stage == "route" {
			p.inbox.Unknown = append(p.inbox.Unknown, u.Type)
		}
	}

	after_run {
		fmt.Printf("orders=%d payments=%d users=%d unroutable=%d failed=%d\n",
			len(p.inbox.Orders), len(p.inbox.Payments), len(p.inbox.Users), len(p.inbox.Unroutable), len(result.Failures))
	}
}
