package mgnats_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// Three local workers on the embedded server: exact output over 1M items (merged state is
// checked by the tests below, whose stages have it: folding a delta per item is the
// slowest part of the coordinator under the race detector).
func TestEmbeddedSums(t *testing.T) {
	noLeak(t)
	const n = 1_000_000
	p, g := newTP(t, tpParams{N: n, Procs: 3, NoState: true})
	res, err := mgrt.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.got.Load(); got != wantSum(n) {
		t.Errorf("sink sum %d, want %d", got, wantSum(n))
	}
	if p.count.Load() != n {
		t.Errorf("sink got %d items, want %d", p.count.Load(), n)
	}
	st := stage(t, res, "double")
	if st.In != n || st.Out != n || st.Failed != 0 || st.Retried != 0 || st.Workers != 3 {
		t.Errorf("double stats %+v (want 3 workers at most)", st)
	}
	if !strings.Contains(res.StatsTable(), "remote(3) 3w") {
		t.Errorf("the stats table does not show the workers:\n%s", res.StatsTable())
	}
	t.Logf("%v, %.0f items/s", res.Duration, float64(n)/res.Duration.Seconds())
}

// A stage whose body does not read ctx (NoCtx, set by the compiler) gets no item context in
// its workers: no key, and nothing made per item for it. The others get their keys (above).
func TestNoCtxMakesNoItemContext(t *testing.T) {
	noLeak(t)
	const n = 300
	p, g := newTP(t, tpParams{N: n, Procs: 2, Chunk: 16, Track: true, NoCtx: true})
	if _, err := mgrt.Run(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	if got := p.got.Load(); got != wantSum(n) {
		t.Errorf("sink sum %d, want %d", got, wantSum(n))
	}
	if len(p.keys) != n {
		t.Fatalf("%d items reached the sink, want %d", len(p.keys), n)
	}
	for _, k := range p.keys {
		if k != "" {
			t.Fatalf("item key %q in a NoCtx stage, want none", k)
		}
	}
}

// A worker killed in the middle of a chunk: its chunk comes back after ack_wait to another
// worker, the output is exact and one more attempt is counted.
func TestWorkerKilledMidChunk(t *testing.T) {
	noLeak(t)
	const n = 5000
	p, g := newTP(t, tpParams{N: n, Procs: 2, Kill: 1234, Marker: filepath.Join(t.TempDir(), "died"),
		AckWait: 300 * time.Millisecond, Track: true})
	res, err := mgrt.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.got.Load(); got != wantSum(n) {
		t.Errorf("sink sum %d, want %d", got, wantSum(n))
	}
	for v := 1; v <= n; v++ {
		if p.seen[v] != 1 {
			t.Fatalf("value %d reached the sink %d times", v, p.seen[v])
		}
	}
	if want := int(wantSum(n) / 2); p.Sum != want {
		t.Errorf("merged Sum %d, want %d", p.Sum, want)
	}
	keys := map[string]bool{}
	for _, k := range p.keys {
		if !strings.HasPrefix(k, res.JobID+"/double/") || keys[k] {
			t.Fatalf("item key %q: want distinct keys %s/double/CHUNK/INDEX", k, res.JobID)
		}
		keys[k] = true
	}
	st := stage(t, res, "double")
	if st.Retried != 1 || st.Failed != 0 || st.In != n {
		t.Errorf("double stats %+v, want 1 retry", st)
	}
}

// ordered: the emits leave the remote stage in input order.
func TestOrdered(t *testing.T) {
	noLeak(t)
	const n = 100_000
	p, g := newTP(t, tpParams{N: n, Procs: 3, Ordered: true, NoState: true})
	res, err := mgrt.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.order) != n {
		t.Fatalf("%d items reached the sink, want %d", len(p.order), n)
	}
	for i, v := range p.order {
		if v != i+1 {
			t.Fatalf("item %d is %d: out of order", i, v)
		}
	}
	t.Logf("%v", res.Duration)
}

// An item that kills every worker that runs it: its chunk reaches max_deliver and is sent
// again item by item; the item fails for good (with its stage's failure record), every
// other item comes through exactly once, and dead workers are replaced. With one worker,
// the item sent after the poison one is always the one the dying worker holds besides it:
// it reaches max_deliver too, never started, and must be sent again, not failed.
func TestPoisonItem(t *testing.T) {
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprintf("procs%d", procs), func(t *testing.T) {
			noLeak(t)
			const n = 3000
			p, g := newTP(t, tpParams{N: n, Procs: procs, Poison: 777, AckWait: 200 * time.Millisecond, Track: true})
			res, err := mgrt.Run(context.Background(), g)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.got.Load(), wantSum(n)-2*777; got != want {
				t.Errorf("sink sum %d, want %d", got, want)
			}
			for v := 1; v <= n; v++ {
				if want := 1; v == 777 && p.seen[v] != 0 || v != 777 && p.seen[v] != want {
					t.Fatalf("value %d reached the sink %d times (failures %v)", v, p.seen[v], res.Failures)
				}
			}
			st := stage(t, res, "double")
			if st.Failed != 1 || len(res.Failures) != 1 {
				t.Fatalf("double stats %+v, failures %v", st, res.Failures)
			}
			f := res.Failures[0]
			if f.Item != 777 || !strings.Contains(f.Err.Error(), "max_deliver") {
				t.Errorf("failure %v: want item 777 failed after max_deliver", f)
			}
		})
	}
}

// Many items that kill their workers, among three workers: a worker that ran a good item
// and then takes a poison one dies with the good item's results just published; they must
// have left the process, or the good item runs again until it fails at max_deliver.
func TestPoisonItems(t *testing.T) {
	noLeak(t)
	const n, every, off = 3000, 97, 13
	p, g := newTP(t, tpParams{N: n, Procs: 3, Chunk: 64, Poison: off, Poisons: every, AckWait: 300 * time.Millisecond, Track: true})
	res, err := mgrt.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	poisons := 0
	for v := 1; v <= n; v++ {
		poison := v%every == off
		if poison {
			poisons++
		}
		if want := 1; poison && p.seen[v] != 0 || !poison && p.seen[v] != want {
			t.Errorf("value %d (poison %v) reached the sink %d times", v, poison, p.seen[v])
		}
	}
	if len(res.Failures) != poisons {
		t.Errorf("%d failures, want %d (one per poison item): %v", len(res.Failures), poisons, res.Failures)
	}
	for _, f := range res.Failures {
		if f.Item.(int)%every != off {
			t.Errorf("good item %v failed: %v", f.Item, f.Err)
		}
	}
}

// Results larger than a message go in several parts, applied together; an item whose emits
// alone are larger than a message fails, saying what to raise.
func TestLargeResults(t *testing.T) {
	noLeak(t)
	const n = 60
	p, g := newTP(t, tpParams{N: n, Procs: 2, Big: 200 << 10, Huge: 7, NoState: true})
	res, err := mgrt.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.got.Load(), wantSum(n)-2*7; got != want {
		t.Errorf("sink sum %d, want %d", got, want)
	}
	if len(res.Failures) != 1 || res.Failures[0].Item != 7 || !strings.Contains(res.Failures[0].Err.Error(), "-nats-max-payload") {
		t.Errorf("failures %v: want item 7 failed, naming -nats-max-payload", res.Failures)
	}
}

// A body's error is retried in the worker; an item that fails for good goes to the dead
// letter stage with its attempts and the worker's error.
func TestRetryAndDeadLetter(t *testing.T) {
	noLeak(t)
	const n = 2000
	p, g := newTP(t, tpParams{N: n, Procs: 1, Retry: 2, FailOnce: 10, Fail: 20, Dead: true})
	res, err := mgrt.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.got.Load(), wantSum(n)-2*20; got != want {
		t.Errorf("sink sum %d, want %d", got, want)
	}
	st := stage(t, res, "double")
	if st.Retried != 3 || st.DeadLettered != 1 || st.Failed != 0 || p.dead.Load() != 1 {
		t.Errorf("double stats %+v, dead letters seen %d: want 3 retries, 1 dead letter", st, p.dead.Load())
	}
}

// before_fork runs in the coordinator before each local worker starts; after_fork in each
// worker before its first item.
func TestForkHooks(t *testing.T) {
	noLeak(t)
	const n = 5000
	p, g := newTP(t, tpParams{N: n, Procs: 2, Hooks: true})
	res, err := mgrt.Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.got.Load(); got != wantSum(n) || len(res.Failures) > 0 {
		t.Errorf("sink sum %d, want %d; failures %v", got, wantSum(n), res.Failures)
	}
	if got := p.beforeFork.Load(); got != 2 {
		t.Errorf("before_fork ran %d times, want 2 (one per local worker)", got)
	}
}
