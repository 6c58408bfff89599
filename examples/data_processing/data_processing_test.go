package dataprocessing

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestDataProcessing(t *testing.T) {
	p := NewDataProcessing()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Fatalf("status %s, failures %v", res.Status, res.Failures)
	}

	// Alerts from realtime and from the alerts sub-pipeline's own producer
	// (after_run sorted them).
	wantAlerts := []Alert{
		{"roof", "maintenance at 14:00"},
		{"boiler", "reading 30: 350 is far from 201"},
		{"boiler", "reading 51: 352 is far from 202"},
	}
	if !slices.Equal(p.alerts, wantAlerts) {
		t.Errorf("alerts %v, want %v", p.alerts, wantAlerts)
	}

	// The archive holds every valid reading once, in order within each chunk:
	// 90 lines less 3 garbled (24, 49, 74) and 1 implausible (70).
	var want []string
	for seq := 0; seq < 90; seq++ {
		if seq%25 == 24 || seq == 70 {
			continue
		}
		v := 200 + 10*(seq%3) + (seq*7)%5
		if seq == 30 || seq == 51 {
			v += 150
		}
		want = append(want, fmt.Sprintf("%d %s %d", seq, []string{"boiler", "cellar", "roof"}[seq%3], v))
	}
	chunks := slices.Clone(p.chunks)
	slices.SortFunc(chunks, func(a, b Chunk) int { return a.First - b.First })
	var got []string
	for _, c := range chunks {
		zr, err := gzip.NewReader(bytes.NewReader(c.Gzip))
		if err != nil {
			t.Fatal(err)
		}
		text, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
		if len(lines) != c.Count || !strings.HasPrefix(lines[0], fmt.Sprint(c.First, " ")) || !strings.HasPrefix(lines[len(lines)-1], fmt.Sprint(c.Last, " ")) {
			t.Errorf("chunk %d-%d of %d holds %d lines", c.First, c.Last, c.Count, len(lines))
		}
		got = append(got, lines...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("archive:\n%q\nwant:\n%q", got, want)
	}
	if len(chunks) != 5 || p.garbled != 3 {
		t.Errorf("%d chunks, %d garbled lines; want 5 (4 of 20, 1 of 6) and 3", len(chunks), p.garbled)
	}

	// Items through each sub-pipeline's stages: validate's output reaches
	// both realtime and archive, and alerts.notify takes both its inputs.
	for _, w := range []struct {
		name    string
		in, out int64
	}{
		{"ingest.feed", 0, 90}, {"ingest.decode", 90, 87},
		{"validate.plausible", 87, 86},
		{"realtime.detect", 86, 2},
		{"archive.batch", 86, 5}, {"archive.compress", 5, 5}, {"archive.store", 5, 0},
		{"alerts.scheduled", 0, 1}, {"alerts.notify", 3, 0},
	} {
		if st, ok := res.Stage(w.name); !ok || st.In != w.in || st.Out != w.out {
			t.Errorf("stage %s: in=%d out=%d, want %d %d", w.name, st.In, st.Out, w.in, w.out)
		}
	}
}
