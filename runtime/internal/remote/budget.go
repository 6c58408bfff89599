package remote

import "sync"

// The run's max_processes budget is the engine's: a slot for each worker process that is not a
// persistent one, taken before it starts and given back once it has exited. A transport may
// start processes ahead of need (process_per_batch keeps a few warm workers ready for the items
// waiting for one): such a process holds its slot while it waits for work, and says so with
// Run.IdleProcess. A stage that has to wait for a slot reclaims one of them: the idle process is
// stopped and its slot given back. Nothing starts ahead of need while a stage waits for a slot
// (Run.TryAcquireProcess says no), so an idle process never keeps another stage waiting long,
// and stages that feed each other cannot hold each other's slots.

// budget is what the stages of one run share about its process budget.
type budget struct {
	mu      sync.Mutex
	refs    int
	waiting int                // stages waiting in AcquireProcess
	idle    map[*idleProc]bool // processes holding a slot while they wait for work
	order   []*idleProc        // the same, oldest first (entries may be stale)
}

type idleProc struct{ reclaim func() }

var budgets struct {
	mu sync.Mutex
	m  map[string]*budget
}

// openBudget returns the budget of the run with this job id, shared by its stages; each
// openBudget is paired with a closeBudget.
func openBudget(jobID string) *budget {
	budgets.mu.Lock()
	defer budgets.mu.Unlock()
	if budgets.m == nil {
		budgets.m = map[string]*budget{}
	}
	b := budgets.m[jobID]
	if b == nil {
		b = &budget{idle: map[*idleProc]bool{}}
		budgets.m[jobID] = b
	}
	b.refs++
	return b
}

func closeBudget(jobID string, b *budget) {
	budgets.mu.Lock()
	defer budgets.mu.Unlock()
	if b.refs--; b.refs == 0 {
		delete(budgets.m, jobID)
	}
}

// waitStart notes a stage that is about to wait for a slot and returns an idle process to
// reclaim, if there is one.
func (b *budget) waitStart() *idleProc {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.waiting++
	return b.popIdle()
}

func (b *budget) waitEnd() {
	b.mu.Lock()
	b.waiting--
	b.mu.Unlock()
}

// popIdle takes the oldest idle process off the list (under b.mu).
func (b *budget) popIdle() *idleProc {
	for len(b.order) > 0 {
		ip := b.order[0]
		b.order[0] = nil
		b.order = b.order[1:]
		if b.idle[ip] {
			delete(b.idle, ip)
			return ip
		}
	}
	return nil
}

func (b *budget) someoneWaits() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting > 0
}

// hold registers an idle process; claim takes it off the list when it gets work, false if it
// was reclaimed. If a stage waits for a slot already, the process is reclaimed at once.
func (b *budget) hold(reclaim func()) (claim func() bool) {
	ip := &idleProc{reclaim: reclaim}
	b.mu.Lock()
	if b.waiting > 0 {
		b.mu.Unlock()
		go reclaim()
		return func() bool { return false }
	}
	b.idle[ip] = true
	b.order = append(b.order, ip)
	b.mu.Unlock()
	return func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		if !b.idle[ip] {
			return false
		}
		delete(b.idle, ip)
		return true
	}
}
