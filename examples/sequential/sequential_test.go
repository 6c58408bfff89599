package sequential

import (
	"context"
	"slices"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestSequentialWiring(t *testing.T) {
	info := NewSequential().Graph()
	var names []string
	for _, s := range info.Stages {
		names = append(names, s.Name)
		if s.Strategy.Kind != mgrt.Inline {
			t.Errorf("stage %s runs %s, want inline (the default)", s.Name, s.Strategy)
		}
	}
	order := []string{"read", "split", "drop_debug", "redact", "format", "write"}
	if !slices.Equal(names, order) {
		t.Errorf("stages %v, want %v", names, order)
	}
	var want []mgrt.EdgeInfo
	for i := 1; i < len(order); i++ {
		want = append(want, mgrt.EdgeInfo{From: order[i-1], To: order[i]})
	}
	if !slices.Equal(info.Edges, want) {
		t.Errorf("edges %v, want each stage to the next: %v", info.Edges, want)
	}
}

func TestSequential(t *testing.T) {
	p := NewSequential()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}
	want := []string{
		"1 INFO  user <email> logged in",
		"2 WARN  disk 91% full",
		"3 INFO  rotated logs",
		"4 ERROR payment failed for <email>",
		"5 INFO  user <email> logged out",
	}
	if !slices.Equal(p.out, want) {
		t.Errorf("output:\n%q\nwant:\n%q", p.out, want)
	}
	for _, w := range []struct {
		name    string
		in, out int64
	}{
		{"read", 0, 5}, {"split", 5, 6}, {"drop_debug", 6, 5}, {"redact", 5, 5}, {"format", 5, 5}, {"write", 5, 0},
	} {
		if st, ok := res.Stage(w.name); !ok || st.In != w.in || st.Out != w.out {
			t.Errorf("stage %s: in=%d out=%d, want %d %d", w.name, st.In, st.Out, w.in, w.out)
		}
	}
}
