package mgrt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hookLog records events; hooks also check that no other hook runs at the same time.
type hookLog struct {
	mu      sync.Mutex
	events  []string
	inHook  atomic.Int32
	overlap atomic.Bool
}

func (l *hookLog) add(e string) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
}

func (l *hookLog) hook(name string) func(context.Context) error {
	return func(context.Context) error {
		if l.inHook.Add(1) != 1 {
			l.overlap.Store(true)
		}
		time.Sleep(time.Millisecond) // widen the window for an overlap
		l.add(name)
		l.inHook.Add(-1)
		return nil
	}
}

func (l *hookLog) count(e string) int {
	n := 0
	for _, x := range l.events {
		if x == e {
			n++
		}
	}
	return n
}

func (l *hookLog) first(e string) int {
	for i, x := range l.events {
		if x == e {
			return i
		}
	}
	return -1
}

func (l *hookLog) last(e string) int {
	for i := len(l.events) - 1; i >= 0; i-- {
		if l.events[i] == e {
			return i
		}
	}
	return -1
}

// TestHooks is shared/spec/hooks.mg: every hook once, in the guaranteed order, never two at
// once.
func TestHooks(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		var l hookLog
		g := newGraph(GraphConfig{Pipeline: "hooks"})
		gen := Producer(g, spec("gen"), func(w *Emitter[int]) func(context.Context) error {
			return func(context.Context) error {
				for i := range 50 {
					l.add("emit")
					w.Emit(i)
				}
				return nil
			}
		})
		work := Processor(g, threads("work", 3), func(w *Emitter[int]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				l.add("item")
				w.Emit(v)
				return nil
			}
		})
		mid := mapInts(g, spec("mid"), func(x int) int { l.add("mid"); return x })
		var items atomic.Int32
		sink := Consumer(g, spec("sink"), func(*Emitter[Nothing]) func(context.Context, int) error {
			return func(context.Context, int) error { items.Add(1); return nil }
		})
		Connect(gen, work)
		Connect(work, mid)
		Connect(mid, sink)
		g.BeforeRun(l.hook("before_run"))
		g.BeforeRun(l.hook("before_run2"))
		g.AfterProducers(l.hook("after_producer"))
		gen.Before(l.hook("before(gen)"))
		gen.After(l.hook("after(gen)"))
		work.Before(l.hook("before(work)"))
		work.After(l.hook("after(work)"))
		mid.Before(l.hook("before(mid)"))
		mid.After(l.hook("after(mid)"))
		sink.After(l.hook("after(sink)"))
		var afterRunResult *Result
		g.AfterRun(func(ctx context.Context, r *Result) error {
			afterRunResult = r
			return l.hook("after_run")(ctx)
		})
		mustRun(t, g)
		for _, h := range []string{"before_run", "before_run2", "after_producer", "before(gen)", "after(gen)", "before(work)",
			"after(work)", "before(mid)", "after(mid)", "after(sink)", "after_run"} {
			if n := l.count(h); n != 1 {
				t.Errorf("%s ran %d times", h, n)
			}
		}
		if l.overlap.Load() {
			t.Error("two hooks ran at the same time")
		}
		checks := []struct {
			what string
			ok   bool
		}{
			{"before_run first", l.first("before_run") == 0 && l.first("before_run2") == 1},
			{"before(gen) before first emit", l.first("before(gen)") < l.first("emit")},
			{"before(work) before first item", l.first("before(work)") < l.first("item")},
			{"after(work) after last item", l.first("after(work)") > l.last("item")},
			{"before(mid) before first mid", l.first("before(mid)") < l.first("mid")},
			{"after(mid) after last mid", l.first("after(mid)") > l.last("mid")},
			{"after_producer after last emit", l.first("after_producer") > l.last("emit")},
			{"after(gen) after last emit", l.first("after(gen)") > l.last("emit")},
			{"after(work) before after(mid)", l.first("after(work)") < l.first("after(mid)")},
			{"after_run last", l.last("after_run") == len(l.events)-1},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("%s: %v", c.what, l.events)
			}
		}
		if items.Load() != 50 || afterRunResult == nil || len(afterRunResult.Stages) != 4 || afterRunResult.Stages[3].In != 50 {
			t.Errorf("items=%d after_run result %+v", items.Load(), afterRunResult)
		}
	})
}

// TestHooksWhenStageFails: a stage whose every item fails still runs its hooks once.
func TestHooksWhenStageFails(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		var l hookLog
		g := newGraph(GraphConfig{})
		src := countTo(g, spec("src"), 20)
		bad := Processor(g, spec("bad"), func(w *Emitter[int]) func(context.Context, int) error {
			return func(context.Context, int) error { panic("always") }
		})
		never := collect(g, spec("never"), &collector[int]{})
		Connect(src, bad)
		Connect(bad, never)
		bad.Before(l.hook("before(bad)"))
		bad.After(l.hook("after(bad)"))
		bad.OnError(func(ctx context.Context, err error, item any) error { return l.hook("on_error")(ctx) })
		never.Before(l.hook("before(never)"))
		never.After(l.hook("after(never)"))
		res := mustRun(t, g)
		if l.count("before(bad)") != 1 || l.count("after(bad)") != 1 || l.count("on_error") != 20 {
			t.Errorf("events %v", l.events)
		}
		// never got no item: its Before runs at its end, just before its After.
		if b, a := l.first("before(never)"), l.first("after(never)"); b < 0 || a != b+1 {
			t.Errorf("events %v", l.events)
		}
		if l.overlap.Load() || len(res.Failures) != 20 {
			t.Errorf("overlap=%v failures=%d", l.overlap.Load(), len(res.Failures))
		}
	})
}

// TestBeforeRunError: no stage runs, the run fails, after_run does not run.
func TestBeforeRunError(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{Pipeline: "p"})
	var ran atomic.Bool
	src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
		ran.Store(true)
		return func(context.Context) error { return nil }
	})
	Connect(src, collect(g, spec("sink"), &collector[int]{}))
	g.BeforeRun(func(context.Context) error { return errBoom })
	var afterRun atomic.Bool
	g.AfterRun(func(context.Context, *Result) error { afterRun.Store(true); return nil })
	res, err := Run(context.Background(), g)
	if !errors.Is(err, errBoom) || res.Status != StatusFailed || ran.Load() || afterRun.Load() {
		t.Fatalf("err=%v status=%s ran=%v after_run=%v", err, res.Status, ran.Load(), afterRun.Load())
	}
	if err.Error() != `pipeline "p": before_run hook: boom` {
		t.Errorf("error %q", err)
	}
}

// TestHookErrors: a stage hook's error fails (and cancels) the run; after_run's error fails
// it too; a hook's panic is an error.
func TestHookErrors(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		cases := []struct {
			name  string
			setup func(g *Graph, src *Node[Nothing, int], mid *Node[int, int])
			want  string
		}{
			{"before", func(g *Graph, src *Node[Nothing, int], mid *Node[int, int]) {
				mid.Before(func(context.Context) error { return errBoom })
			}, `stage "mid": before hook: boom`},
			{"after", func(g *Graph, src *Node[Nothing, int], mid *Node[int, int]) {
				mid.After(func(context.Context) error { panic("oops") })
			}, `stage "mid": after hook: panic: oops`},
			{"on_error", func(g *Graph, src *Node[Nothing, int], mid *Node[int, int]) {
				mid.OnError(func(context.Context, error, any) error { return errBoom })
			}, `stage "mid": on_error hook: boom`},
			{"after_producer", func(g *Graph, src *Node[Nothing, int], mid *Node[int, int]) {
				g.AfterProducers(func(context.Context) error { return errBoom })
			}, `after_producer hook: boom`},
			{"after_run", func(g *Graph, src *Node[Nothing, int], mid *Node[int, int]) {
				g.AfterRun(func(context.Context, *Result) error { return errBoom })
			}, `after_run hook: boom`},
		}
		for _, c := range cases {
			g := newGraph(GraphConfig{Pipeline: "p"})
			src := countTo(g, spec("src"), 10)
			mid := Processor(g, spec("mid"), func(w *Emitter[int]) func(context.Context, int) error {
				return func(_ context.Context, v int) error {
					if v == 3 {
						return fmt.Errorf("item %d", v)
					}
					w.Emit(v)
					return nil
				}
			})
			Connect(src, mid)
			Connect(mid, collect(g, spec("sink"), &collector[int]{}))
			c.setup(g, src, mid)
			res, err := Run(context.Background(), g)
			if err == nil || !strings.Contains(err.Error(), c.want) || res.Status != StatusFailed || res.Err != err {
				t.Errorf("%s: err=%v status=%s", c.name, err, res.Status)
			}
		}
	})
}
