// Lifecycle hooks of a run, in the order they are guaranteed to fire.
// lifecycle_hooks_test.go runs it.
package lifecyclehooks

import (
	"fmt"
	"strings"
	"sync"
)

go {
	// Account is a subscriber to charge.
	type Account struct {
		ID    int
		Cents int
		Card  string
	}

	// Receipt is a successful charge.
	type Receipt struct {
		Account int
		Cents   int
	}

	// account is subscriber id: every seventh card is expired.
	func account(id int) Account {
		card := "valid"
		if id%7 == 0 {
			card = "expired"
		}
		return Account{ID: id, Cents: 500 + id*25, Card: card}
	}

	// note adds an event to the run's log. Hooks and bodies may run at the
	// same time, so the log has a lock of its own.
	func (p *LifecycleHooks) note(format string, args ...any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.log = append(p.log, fmt.Sprintf(format, args...))
	}
}

// LifecycleHooks charges subscribers on three goroutines and emails their
// receipts, logging every hook of the run as it fires: before_run, then
// before(stage) ahead of each stage's first item and after(stage) after its
// last, after_producer once every producer has finished, on_error for each
// charge that failed for good (after its retry), and after_run last, seeing
// the run's result.
pipeline LifecycleHooks {
	// how many subscribers to charge
	param Count int = 30

	state {
		mu      sync.Mutex
		log     []string
		charged int
		failed  int // from result, in after_run
	}

	before_run { p.note("before_run") }

	producer accounts() Account {
		for id := 1; id <= p.Count; id++ {
			p.note("read %d", id)
			emit(account(id))
		}
	}
	before(accounts) { p.note("before(accounts)") }
	after(accounts) { p.note("after(accounts)") }

	after_producer { p.note("after_producer") }

	processor charge(a Account) Receipt threads(3) retry(1) {
		p.note("charge %d", a.ID)
		if a.Card == "expired" {
			return fmt.Errorf("account %d: card expired", a.ID)
		}
		emit(Receipt{Account: a.ID, Cents: a.Cents})
	}
	before(charge) { p.note("before(charge)") }
	after(charge) { p.note("after(charge)") }
	on_error(charge) (err error, item any) {
		p.note("on_error(charge) %d: %v", item.(Account).ID, err)
	}

	consumer email(r Receipt) {
		p.note("email %d", r.Account)
		p.mu.Lock()
		p.charged += r.Cents
		p.mu.Unlock()
	}
	before(email) { p.note("before(email)") }
	after(email) { p.note("after(email)") }

	after_run {
		st, _ := result.Stage("charge")
		p.failed = int(st.Failed)
		p.note("after_run")
		for _, e := range p.log {
			if !strings.HasPrefix(e, "read ") && !strings.HasPrefix(e, "charge ") && !strings.HasPrefix(e, "email ") {
				fmt.Println(e)
			}
		}
		fmt.Printf("charged %d.%02d, %d charges failed\n", p.charged/100, p.charged%100, p.failed)
	}
}
