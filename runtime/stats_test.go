package mgrt

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestStatsSane(t *testing.T) {
	graphTest(t, func(t *testing.T, newGraph func(GraphConfig) *Graph) {
		g := newGraph(GraphConfig{Pipeline: "stats", QueueSize: 16})
		src := countTo(g, spec("src"), 2000)
		work := Processor(g, threads("work", 2), func(w *Emitter[int]) func(context.Context, int) error {
			return func(_ context.Context, v int) error {
				if v%100 == 0 {
					time.Sleep(time.Millisecond)
				}
				w.Emit(v)
				return nil
			}
		})
		mid := mapInts(g, spec("mid"), func(x int) int { return x })
		var c collector[int]
		Connect(src, work)
		Connect(work, mid)
		Connect(mid, collect(g, spec("sink"), &c))
		t0 := time.Now()
		res := mustRun(t, g)
		if b, err := hex.DecodeString(res.JobID); err != nil || len(b) != 8 {
			t.Errorf("job id %q", res.JobID)
		}
		if res.Pipeline != "stats" || res.Duration <= 0 || res.Started.Before(t0) || res.Duration > time.Since(t0) {
			t.Errorf("result %+v", res)
		}
		names := []string{}
		for _, s := range res.Stages {
			names = append(names, s.Name)
		}
		if !slices.Equal(names, []string{"src", "work", "mid", "sink"}) {
			t.Fatalf("stages %v", names)
		}
		for _, s := range res.Stages[1:] {
			if s.In != 2000 {
				t.Errorf("%s in = %d", s.Name, s.In)
			}
			if s.P50 <= 0 || s.P50 > s.P90 || s.P90 > s.P95 || s.P95 > s.P99 {
				t.Errorf("%s latencies %v %v %v %v", s.Name, s.P50, s.P90, s.P95, s.P99)
			}
			if s.Throughput <= 0 {
				t.Errorf("%s throughput %v", s.Name, s.Throughput)
			}
		}
		w := stats(t, res, "work")
		if w.Out != 2000 || w.Strategy.String() != "threads(2)" || w.Kind != KindProcessor || w.Pos != threads("work", 2).Pos {
			t.Errorf("work %+v", w)
		}
		if w.P99 < 500*time.Microsecond {
			t.Errorf("work p99 %v misses the 1ms items", w.P99)
		}
		if src := stats(t, res, "src"); src.Out != 2000 || src.P50 != 0 || src.Throughput <= 0 {
			t.Errorf("src %+v", src)
		}
		if sink := stats(t, res, "sink"); sink.BlockedIn <= 0 {
			t.Errorf("the sink never waited for input: %+v", sink)
		}
	})
}

func TestStatsTable(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{Pipeline: "orders"})
	src := countTo(g, spec("generate"), 100)
	dbl := mapInts(g, threads("double", 4), func(x int) int { return x * 2 })
	Connect(src, dbl)
	Connect(dbl, collect(g, spec("save"), &collector[int]{}))
	res := mustRun(t, g)
	table := res.StatsTable()
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if len(lines) < 5 {
		t.Fatalf("table:\n%s", table)
	}
	if !strings.HasPrefix(lines[0], "pipeline orders (test.mg)  job "+res.JobID+"  succeeded in ") {
		t.Errorf("title %q", lines[0])
	}
	header := lines[1]
	for _, col := range []string{"stage", "strategy", "in", "out", "failed", "p50", "p99", "rate", "busy", "idle", "blocked", "at"} {
		if !strings.Contains(header, " "+col) {
			t.Errorf("header lacks %q: %s", col, header)
		}
	}
	// Columns are aligned: "out" ends at the same place on every row.
	end := strings.Index(header, " out ") + len(" out")
	marks := 0
	for i, want := range []string{"generate", "double", "save"} {
		row := lines[2+i]
		if row[0] == '*' {
			marks++
		}
		if !strings.HasPrefix(row[2:], want) {
			t.Errorf("row %d: %q", i, row)
		}
		if row[end] != ' ' || row[end-1] == ' ' {
			t.Errorf("misaligned row %q under %q", row, header)
		}
	}
	if marks != 1 {
		t.Errorf("%d bottlenecks marked, want 1:\n%s", marks, table)
	}
	if !strings.Contains(lines[3], "threads(4)") || !strings.HasSuffix(lines[3], " 7:3") {
		t.Errorf("double row %q", lines[3])
	}
	if !strings.Contains(table, "busy: share of the time in bodies") {
		t.Errorf("no legend:\n%s", table)
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
}

// However long the names and large the numbers, the table fits 100 columns, with units.
func TestStatsTableWidth(t *testing.T) {
	long := strings.Repeat("very_long_stage_name_", 3)
	res := Result{Pipeline: "Wide", JobID: "0123456789abcdef", Status: StatusCompletedWithFailures,
		Duration: 83 * time.Second, FailedItems: 1234567,
		Err:      errors.New(strings.Repeat("an error that goes on ", 10)),
		Failures: []Failure{{Stage: long, Pos: Pos{File: "wide.mg", Line: 1000, Col: 200}, Item: strings.Repeat("x", 500), Err: errBoom, Attempts: 3}}}
	for i, st := range []Strategy{{Kind: ProcessPerBatch, N: 128, IPC: "tempfile"}, {Kind: Processes, N: 64, Recycle: 1000}, {Kind: Threads, N: 1000}, {}} {
		res.Stages = append(res.Stages, StageStats{
			Name: fmt.Sprintf("%s%d", long, i), Kind: KindProcessor, Pos: Pos{File: "other/dir/wide.mg", Line: 12345, Col: 678},
			Strategy: st, In: 9_876_543_210, Out: 123_456_789_012, Failed: 1_234_567, Retried: 99_999_999, DeadLettered: 5, Dropped: 7,
			P50: 1234567 * time.Microsecond, P99: 98765 * time.Second, Throughput: 76.6e6, Elapsed: time.Hour,
			Busy: time.Hour, BusyShare: 1, Goroutines: 1, Concurrency: 1, BlockedIn: time.Minute, BlockedOut: 2 * time.Minute,
			Bottleneck: i == 1,
		})
	}
	table := res.StatsTable()
	for _, l := range strings.Split(strings.TrimRight(table, "\n"), "\n") {
		if n := utf8.RuneCountInString(l); n > 100 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	for _, want := range []string{"76.6M/s", "9.88G", "123G", "1.23M", "1.23s", "98765s", "100%", "2%", "3%", "100M retried", "Process stages:"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Count(table, "\n* ") != 1 {
		t.Errorf("the bottleneck is not marked once:\n%s", table)
	}
	t.Logf("\n%s", table)
}

func TestInfo(t *testing.T) {
	g := NewGraph(GraphConfig{Pipeline: "flow", QueueSize: 50})
	src := countTo(g, spec("src"), 1)
	s := threads("parse", 4)
	s.QueueSize = -1
	parse := mapInts(g, s, func(x int) int { return x })
	dl := collect(g, spec("dlq"), &collector[Failed[int]]{})
	sink := collect(g, spec("sink"), &collector[int]{})
	Connect(src, parse)
	Connect(parse, sink)
	Connect(src, parse) // the same edge again: one edge
	DeadLetter(parse, dl)
	info := g.Info()
	want := GraphInfo{
		Pipeline: "flow",
		Stages: []StageInfo{
			{Name: "src", Kind: KindProducer, Pos: spec("src").Pos},
			{Name: "parse", Kind: KindProcessor, Pos: s.Pos, Strategy: s.Strategy, QueueSize: -1},
			{Name: "dlq", Kind: KindConsumer, Pos: spec("dlq").Pos, QueueSize: 50},
			{Name: "sink", Kind: KindConsumer, Pos: spec("sink").Pos, QueueSize: 50},
		},
		Edges: []EdgeInfo{{From: "src", To: "parse"}, {From: "parse", To: "sink"}, {From: "parse", To: "dlq", DeadLetter: true}},
	}
	if !slices.Equal(info.Stages, want.Stages) || !slices.Equal(info.Edges, want.Edges) || info.Pipeline != want.Pipeline {
		t.Fatalf("info\n%+v\nwant\n%+v", info, want)
	}
}

func TestStrings(t *testing.T) {
	cases := map[string]string{
		Strategy{}.String():                                             "inline",
		Strategy{Kind: Threads, N: 4}.String():                          "threads(4)",
		Strategy{Kind: ProcessPerBatch, N: 2}.String():                  "process_per_batch(max: 2)",
		Strategy{Kind: ProcessPerBatch, N: 2, IPC: "tempfile"}.String(): "process_per_batch(max: 2, ipc: tempfile)",
		Strategy{Kind: Processes, N: 4, Recycle: 100}.String():          "processes(4, recycle: 100)",
		KindAccumulator.String():                                        "accumulator",
		KindCustom.String():                                             "custom",
		Threads.String():                                                "threads",
		RoutingRoundRobin.String():                                      "round_robin",
		Pos{File: "a.mg", Line: 3, Col: 7}.String():                     "a.mg:3:7",
		Pos{}.String():                                                  "-",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	f := Failure{Stage: "x", Item: strings.Repeat("a", 100), Err: errBoom}
	if got := f.Error(); !strings.HasPrefix(got, `stage "x": item aaaa`) || !strings.HasSuffix(got, "…: boom") {
		t.Errorf("Failure.Error() = %q", got)
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLiveStats: while a run goes on, Handle.Stats shows the items waiting in a queue and its
// capacity, the goroutines of each stage, a producer's emits before it ends, and after the
// run the bottleneck.
func TestLiveStats(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{Pipeline: "live"})
	gate, release := make(chan struct{}), make(chan struct{})
	src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := range 5000 {
				w.Emit(i)
			}
			<-release // a producer that waits in user code after its emits
			return nil
		}
	})
	s := threads("slow", 2)
	s.QueueSize = 100
	slow := Consumer(g, s, func(*Emitter[Nothing]) func(context.Context, int) error {
		return func(_ context.Context, v int) error {
			<-gate
			if v < 200 {
				time.Sleep(50 * time.Microsecond)
			}
			return nil
		}
	})
	Connect(src, slow)
	h := Start(context.Background(), g)
	get := func(name string) StageStats {
		for _, st := range h.Stats() {
			if st.Name == name {
				return st
			}
		}
		t.Fatalf("no stage %q", name)
		return StageStats{}
	}
	waitFor(t, "items waiting in the queue", func() bool { return get("slow").QueueLen > 0 })
	st := get("slow")
	if st.QueueCap != 100 || st.Goroutines != 2 || st.Concurrency != 2 || get("src").Goroutines != 1 {
		t.Errorf("slow: queue cap %d, %d goroutines, concurrency %d", st.QueueCap, st.Goroutines, st.Concurrency)
	}
	close(gate)
	waitFor(t, "the producer's emits in live stats", func() bool { return get("src").Out >= 4000 })
	if !h.Running() {
		t.Fatal("the run ended")
	}
	close(release)
	res, err := h.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sl := stats(t, res, "slow"); sl.Busy <= 0 || sl.BusyShare <= 0 || sl.QueueLen != 0 {
		t.Errorf("slow %+v should have been busy, its queue empty", sl)
	}
	if s := stats(t, res, "src"); s.Out != 5000 {
		t.Errorf("src %+v", s)
	}
}

// TestBottleneck: the stage the others wait on is marked, once.
func TestBottleneck(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{Pipeline: "neck", QueueSize: 10})
	fast := mapInts(g, spec("fast"), func(x int) int { return x })
	slow := mapInts(g, spec("slow"), func(x int) int {
		time.Sleep(200 * time.Microsecond)
		return x
	})
	Connect(countTo(g, spec("src"), 500), fast)
	Connect(fast, slow)
	Connect(slow, collect(g, spec("sink"), &collector[int]{}))
	res := mustRun(t, g)
	for _, s := range res.Stages {
		if s.Bottleneck != (s.Name == "slow") {
			t.Errorf("%s: bottleneck %v (busy %.2f)", s.Name, s.Bottleneck, s.BusyShare)
		}
	}
	// A slow producer holds nobody back: the others wait for its items.
	g = NewGraph(GraphConfig{Pipeline: "source"})
	src := Producer(g, spec("src"), func(w *Emitter[int]) func(context.Context) error {
		return func(context.Context) error {
			for i := range 100 {
				time.Sleep(200 * time.Microsecond)
				w.Emit(i)
			}
			return nil
		}
	})
	Connect(src, collect(g, spec("sink"), &collector[int]{}))
	res = mustRun(t, g)
	if s := stats(t, res, "src"); !s.Bottleneck {
		t.Errorf("the slow producer is not the bottleneck: %+v", res.Stages)
	}
	// A producer that ends at once, into a slow stage whose queue never fills: the slow stage,
	// though the producer was busy all of its own (short) time.
	g = NewGraph(GraphConfig{Pipeline: "quick"})
	slow = mapInts(g, threads("slow", 2), func(x int) int {
		time.Sleep(time.Millisecond)
		return x
	})
	Connect(countTo(g, spec("src"), 100), slow)
	Connect(slow, collect(g, spec("sink"), &collector[int]{}))
	res = mustRun(t, g)
	for _, s := range res.Stages {
		if s.Bottleneck != (s.Name == "slow") {
			t.Errorf("%s: bottleneck %v (busy %.2f of %v)", s.Name, s.Bottleneck, s.BusyShare, s.Elapsed)
		}
	}
}

// TestStatsJSON: a result, its stages and a graph's info marshal to the documented schema:
// snake_case keys, kinds and strategies as words, durations in _ns keys.
func TestStatsJSON(t *testing.T) {
	noLeak(t)
	g := NewGraph(GraphConfig{Pipeline: "js"})
	s := spec("src")
	s.Total = 10
	src := countTo(g, s, 10)
	dbl := mapInts(g, threads("double", 3), func(x int) int { return x })
	Connect(src, dbl)
	Connect(dbl, failEvery(g, 5))
	res, err := Run(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"job_id", "pipeline", "status", "started", "duration_ns", "failed_items", "stages", "failures"} {
		if _, ok := got[k]; !ok {
			t.Errorf("result lacks %q: %s", k, data)
		}
	}
	if got["status"] != "completed_with_failures" || got["failed_items"] != 2.0 {
		t.Errorf("status %v failed_items %v", got["status"], got["failed_items"])
	}
	stages := got["stages"].([]any)
	dj := stages[1].(map[string]any)
	for _, k := range []string{"name", "kind", "pos", "strategy", "in", "out", "failed", "retried", "dead_lettered", "dropped",
		"p50_ns", "p90_ns", "p95_ns", "p99_ns", "items_per_second", "blocked_in_ns", "blocked_out_ns", "elapsed_ns", "busy_ns",
		"busy_share", "concurrency", "goroutines", "processes", "queue_len", "queue_cap", "bottleneck"} {
		if _, ok := dj[k]; !ok {
			t.Errorf("stage lacks %q: %v", k, dj)
		}
	}
	for k := range dj {
		if strings.ToLower(k) != k || strings.Contains(k, "-") {
			t.Errorf("key %q is not snake_case", k)
		}
	}
	if dj["kind"] != "processor" || dj["pos"] != "test.mg:7:3" || fmt.Sprint(dj["strategy"]) != "map[kind:threads n:3]" {
		t.Errorf("double: kind %v pos %v strategy %v", dj["kind"], dj["pos"], dj["strategy"])
	}
	if sj := stages[0].(map[string]any); sj["total"] != 10.0 || sj["kind"] != "producer" {
		t.Errorf("src: %v", sj)
	}
	// The failures of items 4 and 9, in the order they failed: threads(3) before check may
	// hand it either first.
	var f map[string]any
	for _, x := range got["failures"].([]any) {
		if x.(map[string]any)["item"] == "4" {
			f = x.(map[string]any)
		}
	}
	if f == nil || f["stage"] != "check" || f["item"] != "4" || f["error"] != "item 4: boom" || f["attempts"] != 1.0 || f["pos"] != "test.mg:6:3" {
		t.Errorf("failure %v", f)
	}
	// The stats round-trip.
	var back []StageStats
	if err := json.Unmarshal(mustJSON(t, res.Stages), &back); err != nil || !slices.Equal(back, res.Stages) {
		t.Errorf("stages do not round-trip (%v):\n%+v\n%+v", err, back, res.Stages)
	}
	info := mustJSON(t, g.Info())
	want := `{"pipeline":"js","stages":[{"name":"src","kind":"producer","pos":"test.mg:4:3","strategy":{"kind":"inline"},"queue_size":0,"total":10},` +
		`{"name":"double","kind":"processor","pos":"test.mg:7:3","strategy":{"kind":"threads","n":3},"queue_size":1000},` +
		`{"name":"check","kind":"consumer","pos":"test.mg:6:3","strategy":{"kind":"threads","n":2},"queue_size":1000}],` +
		`"edges":[{"from":"src","to":"double"},{"from":"double","to":"check"}]}`
	if string(info) != want {
		t.Errorf("graph info:\n%s\nwant\n%s", info, want)
	}
	var gi GraphInfo
	if err := json.Unmarshal(info, &gi); err != nil || !slices.Equal(gi.Stages, g.Info().Stages) {
		t.Errorf("graph info does not round-trip: %v %+v", err, gi)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
