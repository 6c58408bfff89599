package multi_hop

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestIndex(t *testing.T) {
	for _, docs := range []int{1, 50, 51, 500} {
		p := NewIndex()
		p.Docs = docs
		res, err := p.Run(context.Background())
		if err != nil {
			t.Fatalf("docs %d: %v", docs, err)
		}
		totals := map[string]int{}
		postings := 0
		for b := 0; b < docs; b += 50 {
			seen := map[string]bool{}
			for i := b; i < min(b+50, docs); i++ {
				for _, w := range strings.Fields(text(i)) {
					totals[w]++
					seen[w] = true
				}
			}
			postings += len(seen)
		}
		if fmt.Sprint(p.totals) != fmt.Sprint(totals) {
			t.Errorf("docs %d: totals %v\nwant %v", docs, p.totals, totals)
		}
		for term, shard := range p.shards {
			h := fnv.New32a()
			h.Write([]byte(term))
			if shard != int(h.Sum32())%p.Shards {
				t.Errorf("docs %d: %s on shard %d", docs, term, shard)
			}
		}

		// tokenize is ordered: batch k holds documents 50k to 50k+49
		batches := (docs + 49) / 50
		for b := 0; b < batches; b++ {
			if !p.batches[50*b] {
				t.Errorf("docs %d: no batch starting at document %d in %v", docs, 50*b, p.batches)
			}
		}
		if len(p.batches) != batches {
			t.Errorf("docs %d: %d batches, want %d", docs, len(p.batches), batches)
		}
		// one fresh process per batch, a pool of two workers (the least loaded
		// gets the next items, so a short run may keep one of them idle)
		if len(p.counters) != batches || p.forks["count"] != batches {
			t.Errorf("docs %d: %d count processes (%d started) for %d batches", docs, len(p.counters), p.forks["count"], batches)
		}
		if p.forks["score"] != 2 || len(p.scorers) < 1 || len(p.scorers) > 2 {
			t.Errorf("docs %d: %d score workers started, %d used", docs, p.forks["score"], len(p.scorers))
		}
		for pid := range p.counters {
			if pid == os.Getpid() || p.scorers[pid] {
				t.Errorf("docs %d: count ran in process %d, the parent or a scorer", docs, pid)
			}
		}
		if p.scorers[os.Getpid()] {
			t.Errorf("docs %d: score ran in the parent", docs)
		}

		for name, want := range map[string][2]int64{
			"tokenize": {int64(docs), int64(docs)},
			"count":    {int64(batches), int64(postings)},
			"score":    {int64(postings), int64(postings)},
			"collect":  {int64(postings), 0},
		} {
			if st, _ := res.Stage(name); st.In != want[0] || st.Out != want[1] || st.Failed != 0 {
				t.Errorf("docs %d: %s in %d out %d failed %d, want %v", docs, name, st.In, st.Out, st.Failed, want)
			}
		}
		if res.Status != mgrt.StatusSucceeded {
			t.Errorf("docs %d: status %s", docs, res.Status)
		}
	}
}
