package connectionhooks

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestConnectionHooks(t *testing.T) {
	p := NewConnectionHooks()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}

	// The parent: its own connection around the run, one before_fork per batch.
	parent := fmt.Sprintf("parent-%d", os.Getpid())
	wantLog := []string{"open " + parent, "before_fork", "before_fork", "before_fork", "close " + parent}
	if !slices.Equal(p.parentLog, wantLog) {
		t.Errorf("parent log %q, want %q", p.parentLog, wantLog)
	}
	if conn == nil || conn.Name != parent || conn.open {
		t.Errorf("the parent's connection after the run: %+v, want %s, closed", conn, parent)
	}

	// Each worker: connect in after_fork, then insert its batch, in that order.
	byPID := map[int][]string{}
	for _, e := range p.events {
		pidText, event, _ := strings.Cut(e, " ")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			t.Fatalf("event %q has no pid", e)
		}
		byPID[pid] = append(byPID[pid], event)
	}
	if len(byPID) != 3 {
		t.Errorf("events from %d workers, want 3: %q", len(byPID), p.events)
	}
	for pid, events := range byPID {
		want := []string{fmt.Sprintf("connect worker-%d", pid), "insert 20 rows"}
		if pid == os.Getpid() || !slices.Equal(events, want) {
			t.Errorf("worker %d: events %q, want %q", pid, events, want)
		}
	}

	// Rows: each batch of 20 consecutive rows went through one worker's own
	// connection, and every row was stored once.
	byConn := map[string][]int{}
	for _, r := range p.rows {
		name, rowText, _ := strings.Cut(r, ":")
		row, err := strconv.Atoi(rowText)
		if err != nil {
			t.Fatalf("row %q", r)
		}
		byConn[name] = append(byConn[name], row)
	}
	if len(byConn) != 3 {
		t.Errorf("rows through %d connections, want 3", len(byConn))
	}
	var all []int
	for name, rows := range byConn {
		pid, _ := strconv.Atoi(strings.TrimPrefix(name, "worker-"))
		if byPID[pid] == nil {
			t.Errorf("rows through %s, which no worker connected", name)
		}
		batch := make([]int, 20)
		for i := range batch {
			batch[i] = rows[0] + i
		}
		if rows[0]%20 != 0 || !slices.Equal(rows, batch) {
			t.Errorf("connection %s stored rows %v, want one batch of 20 in order", name, rows)
		}
		all = append(all, rows...)
	}
	slices.Sort(all)
	for i, r := range all {
		if r != i {
			t.Fatalf("stored rows %v, want 0..59 once each", all)
		}
	}
	if len(all) != 60 {
		t.Errorf("%d rows stored, want 60", len(all))
	}
}
