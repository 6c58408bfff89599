package mgrt

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"
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
	if len(lines) != 5 {
		t.Fatalf("table:\n%s", table)
	}
	if !strings.HasPrefix(lines[0], "pipeline orders  job "+res.JobID+"  succeeded in ") {
		t.Errorf("title %q", lines[0])
	}
	header := lines[1]
	for _, col := range []string{"stage", "kind", "strategy", "in", "out", "failed", "retried", "dead", "dropped", "p50", "p99", "items/s", "blocked in", "blocked out", "pos"} {
		if !strings.Contains(header, col) {
			t.Errorf("header lacks %q: %s", col, header)
		}
	}
	// Columns are aligned: "out" ends at the same place on every row.
	end := strings.Index(header, " out ") + len(" out")
	for i, want := range []string{"generate", "double", "save"} {
		row := lines[2+i]
		if !strings.HasPrefix(row, want) {
			t.Errorf("row %d: %q", i, row)
		}
		if row[end] != ' ' || row[end-1] == ' ' {
			t.Errorf("misaligned row %q under %q", row, header)
		}
	}
	if !strings.Contains(lines[3], "threads(4)") || !strings.Contains(lines[3], "test.mg:") {
		t.Errorf("double row %q", lines[3])
	}
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
