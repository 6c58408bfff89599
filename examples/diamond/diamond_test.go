package diamond

import (
	"context"
	"hash/crc32"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestDiamondShape(t *testing.T) {
	want := []mgrt.EdgeInfo{
		{From: "docs", To: "count_words"},
		{From: "docs", To: "checksum"},
		{From: "count_words", To: "join"},
		{From: "checksum", To: "join"},
		{From: "join", To: "save"},
	}
	if got := NewDiamond().Graph().Edges; !slices.Equal(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
}

func TestDiamond(t *testing.T) {
	for _, count := range []int{0, 1, 40} {
		p := NewDiamond()
		p.Count = count
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("count %d: %v", count, err)
		}
		if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
			t.Fatalf("count %d: status %s, failures %v", count, res.Status, res.Failures)
		}

		// One report per document, both halves right, none left waiting.
		if len(p.reports) != count || len(p.pending) != 0 {
			t.Fatalf("count %d: %d reports, %d unjoined", count, len(p.reports), len(p.pending))
		}
		corpus := []string{
			"the quick brown fox",
			"jumps over the lazy dog",
			"pipelines move items between stages",
			"a diamond splits and joins again",
		}
		for i, r := range p.reports { // after_run sorted them by document
			text := strings.Repeat(corpus[i%4]+" ", 1+i%3)
			want := Report{DocID: i, Words: len(strings.Fields(corpus[i%4])) * (1 + i%3), CRC: crc32.ChecksumIEEE([]byte(text))}
			if r != want {
				t.Errorf("count %d: report %+v, want %+v", count, r, want)
			}
		}

		// Each branch saw every document (the producer emitted each once, to
		// both); the join saw both parts of each.
		n := int64(count)
		for _, w := range []struct {
			name    string
			in, out int64
		}{
			{"docs", 0, n}, {"count_words", n, n}, {"checksum", n, n}, {"join", 2 * n, n}, {"save", n, 0},
		} {
			if st, ok := res.Stage(w.name); !ok || st.In != w.in || st.Out != w.out {
				t.Errorf("count %d: stage %s in=%d out=%d, want %d %d", count, w.name, st.In, st.Out, w.in, w.out)
			}
		}
	}
}
