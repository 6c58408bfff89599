package statistics

import (
	"context"
	"fmt"
	"maps"
	"os"
	"testing"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestStatistics(t *testing.T) {
	p := NewStatistics()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}

	// What the log holds, counted here line by line.
	wantStatus := map[int]int{}
	wantPath := map[string]int{}
	wantBytes := 0
	slowest, fastest := time.Duration(0), time.Hour
	for i := 0; i < 1000; i++ {
		wantStatus[[]int{200, 200, 200, 304, 404, 500}[i%6]]++
		wantPath[fmt.Sprintf("/items/%d", i%50)]++
		wantBytes += i * 37 % 5000
		lat := time.Duration(1+i*13%250) * time.Millisecond
		slowest, fastest = max(slowest, lat), min(fastest, lat)
	}
	if !maps.Equal(p.perStatus, wantStatus) {
		t.Errorf("per status %v, want %v", p.perStatus, wantStatus)
	}
	if !maps.Equal(p.perPath, wantPath) {
		t.Errorf("per path: %d paths, want %d", len(p.perPath), len(wantPath))
	}
	if p.bytes != wantBytes || p.slowest != slowest || p.fastest != fastest {
		t.Errorf("bytes %d, slowest %v, fastest %v; want %d, %v, %v", p.bytes, p.slowest, p.fastest, wantBytes, slowest, fastest)
	}
	if slowest != 250*time.Millisecond || fastest != time.Millisecond {
		t.Errorf("the log's own extremes are %v and %v", slowest, fastest)
	}

	// The pool: three worker processes, never the parent, sharing every line
	// between them (items wait until every worker of the pool is ready).
	total := 0
	for pid, n := range p.perPID {
		if pid == os.Getpid() || n <= 0 {
			t.Errorf("process %d parsed %d lines (the parent is %d)", pid, n, os.Getpid())
		}
		total += n
	}
	if len(p.perPID) != 3 || total != 1000 {
		t.Errorf("lines per worker %v (total %d), want 3 workers parsing 1000", p.perPID, total)
	}

	// The run's own stats agree.
	for _, w := range []struct {
		name     string
		strategy string
		in, out  int64
	}{
		{"lines", "inline", 0, 1000},
		{"parse", "processes(3)", 1000, 1000},
		{"tally", "inline", 1000, 0},
	} {
		st, ok := res.Stage(w.name)
		if !ok || st.Strategy.String() != w.strategy || st.In != w.in || st.Out != w.out || st.Failed != 0 {
			t.Errorf("stage %s: %s in=%d out=%d failed=%d, want %s in=%d out=%d", w.name, st.Strategy, st.In, st.Out, st.Failed, w.strategy, w.in, w.out)
		}
	}
}
