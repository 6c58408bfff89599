package inlinehooks

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func whats(events []Event) []string {
	var w []string
	for _, e := range events {
		w = append(w, e.What)
	}
	return w
}

func TestInlineHooks(t *testing.T) {
	p := NewInlineHooks()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}

	// Every document arrives once, compressed and signed with the key the
	// sign workers loaded in after_fork(sign).
	if len(p.stored) != 20 {
		t.Fatalf("%d documents stored, want 20", len(p.stored))
	}
	seen := map[int]bool{}
	for _, d := range p.stored {
		seen[d.ID] = true
		r, err := gzip.NewReader(bytes.NewReader(d.Body))
		if err != nil {
			t.Fatalf("doc %d: %v", d.ID, err)
		}
		body, err := io.ReadAll(r)
		want := fmt.Sprintf("report %d: %s", d.ID, strings.Repeat("quarterly figures ", d.ID))
		if err != nil || string(body) != want {
			t.Errorf("doc %d: body %q (%v), want %q", d.ID, body, err, want)
		}
		h := hmac.New(sha256.New, []byte("example signing key"))
		h.Write(d.Body)
		if !hmac.Equal(d.MAC, h.Sum(nil)) {
			t.Errorf("doc %d: bad signature", d.ID)
		}
	}
	for id := 1; id <= 20; id++ {
		if !seen[id] {
			t.Errorf("document %d was not stored", id)
		}
	}

	// The parent: run hooks around everything, render's hooks around it, one
	// before_fork per worker process: four batches plus a pool of two.
	parent := whats(p.parentEvents)
	if len(parent) != 10 || parent[0] != "before_run" || parent[9] != "after_run" {
		t.Errorf("parent events %q, want before_run, ..., after_run", parent)
	}
	count := func(xs []string, s string) int {
		n := 0
		for _, x := range xs {
			if x == s {
				n++
			}
		}
		return n
	}
	if n := count(parent, "before_fork"); n != 6 {
		t.Errorf("before_fork ran %d times in the parent, want 6: %q", n, parent)
	}
	if b, a := slices.Index(parent, "before(render)"), slices.Index(parent, "after(render)"); b < 1 || a < b || count(parent, "before(render)") != 1 || count(parent, "after(render)") != 1 {
		t.Errorf("render hooks in %q, want before(render) once, then after(render) once", parent)
	}
	for _, e := range p.parentEvents {
		if e.PID != os.Getpid() {
			t.Errorf("parent event %q from pid %d", e.What, e.PID)
		}
	}

	// The workers: each started with after_fork; sign's also loaded the key;
	// compress workers made one batch of five each (render, on two goroutines,
	// decides which), sign workers shared the documents.
	byPID := map[int][]string{}
	for _, e := range p.workerEvents {
		byPID[e.PID] = append(byPID[e.PID], e.What)
	}
	var signed []int
	compressors, signers := 0, 0
	for pid, ev := range byPID {
		if pid == os.Getpid() {
			t.Errorf("worker events from the parent: %q", ev)
		}
		switch {
		case slices.Equal(ev, []string{"after_fork", "compress 5 docs"}):
			compressors++
		case len(ev) >= 2 && slices.Contains(ev[:2], "after_fork") && slices.Contains(ev[:2], "after_fork(sign)"):
			signers++
			for _, s := range ev[2:] {
				id, err := strconv.Atoi(strings.TrimPrefix(s, "sign "))
				if err != nil {
					t.Errorf("sign worker %d: event %q", pid, s)
				}
				signed = append(signed, id)
			}
		default:
			t.Errorf("worker %d: events %q", pid, ev)
		}
	}
	if compressors != 4 {
		t.Errorf("%d compress workers, want 4 (one per batch of 5)", compressors)
	}
	slices.Sort(signed)
	ids := make([]int, 20)
	for i := range ids {
		ids[i] = i + 1
	}
	if signers != 2 || !slices.Equal(signed, ids) {
		t.Errorf("%d sign workers signed %v, want 2 workers signing 1..20 once each", signers, signed)
	}

	// One timeline: before_run first, after_run last, and a worker's after_fork
	// only after a before_fork that let it start.
	tl := whats(p.timeline)
	if len(tl) != len(p.parentEvents)+len(p.workerEvents) || tl[0] != "before_run" || tl[len(tl)-1] != "after_run" {
		t.Errorf("timeline %q", tl)
	}
	forks, started := 0, 0
	for _, w := range tl {
		switch w {
		case "before_fork":
			forks++
		case "after_fork":
			started++
			if started > forks {
				t.Errorf("timeline %q: after_fork number %d before the %d-th before_fork", tl, started, started)
			}
		}
	}
}
