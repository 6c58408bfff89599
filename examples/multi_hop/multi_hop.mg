// Multi-hop: one pipeline whose items pass through goroutines, a fresh
// process per batch and a pool of worker processes, and back to the parent.
// multi_hop_test.go runs it as a package.
package multi_hop

import (
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"strings"
	"sync"
)

go {
	// Doc is one document to index.
	type Doc struct {
		ID    int
		Words []string
	}

	// TermCount is a term's count in one batch of documents, and the process
	// that counted it.
	type TermCount struct {
		Term  string
		Count int
		Batch int // smallest document id of the batch
		PID   int
	}

	// Posting is a counted term once its index shard is chosen.
	type Posting struct {
		TermCount
		Shard     int
		ScorerPID int
	}

	var vocabulary = strings.Fields("go pipe stage queue batch fork pool emit route merge state hook retry")

	// text is document i: a few words of the vocabulary.
	func text(i int) string {
		var w []string
		for k := 0; k < 3+i%5; k++ {
			w = append(w, vocabulary[(i*7+k*k)%len(vocabulary)])
		}
		return strings.Join(w, " ")
	}
}

// Index: tokenize on goroutines, count terms per batch in a fresh process
// each, pick each term's shard in a pool of two worker processes, and
// collect the postings in the parent.
pipeline Index {
	param Docs int = 500
	param Shards int = 4

	state {
		mu       sync.Mutex
		parent   int
		totals   map[string]int
		shards   map[string]int
		counters map[int]bool   // pids of the count processes
		scorers  map[int]bool   // pids of the score processes
		batches  map[int]bool   // batches counted
		forks    map[string]int // worker processes started, by stage
	}

	before_run {
		p.parent = os.Getpid()
		p.totals = map[string]int{}
		p.shards = map[string]int{}
		p.counters = map[int]bool{}
		p.scorers = map[int]bool{}
		p.batches = map[int]bool{}
		p.forks = map[string]int{}
	}

	before_fork(count) { p.forks["count"]++ }
	before_fork(score) { p.forks["score"]++ }

	producer docs() string {
		for i := 0; i < p.Docs; i++ {
			emit(fmt.Sprintf("%d:%s", i, text(i)))
		}
	}

	// hop 1: goroutines of this process; ordered, so the batches after it are
	// runs of consecutive documents
	processor tokenize(line string) Doc threads(4) ordered {
		id, body, _ := strings.Cut(line, ":")
		var d Doc
		fmt.Sscan(id, &d.ID)
		d.Words = strings.Fields(body)
		emit(d)
	}

	batch 50

	// hop 2: one fresh process for each batch; emits one TermCount per term
	processor count(b []Doc) TermCount process_per_batch(max: 2) {
		first := b[0].ID
		counts := map[string]int{}
		for _, d := range b {
			first = min(first, d.ID)
			for _, w := range d.Words {
				counts[w]++
			}
		}
		terms := make([]string, 0, len(counts))
		for t := range counts {
			terms = append(terms, t)
		}
		sort.Strings(terms)
		for _, t := range terms {
			emit(TermCount{Term: t, Count: counts[t], Batch: first, PID: os.Getpid()})
		}
	}

	// hop 3: two persistent worker processes
	processor score(tc TermCount) Posting processes(2) {
		h := fnv.New32a()
		h.Write([]byte(tc.Term))
		emit(Posting{TermCount: tc, Shard: int(h.Sum32()) % p.Shards, ScorerPID: os.Getpid()})
	}

	// back in the parent
	consumer collect(ps Posting) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.totals[ps.Term] += ps.Count
		p.shards[ps.Term] = ps.Shard
		p.counters[ps.PID] = true
		p.scorers[ps.ScorerPID] = true
		p.batches[ps.Batch] = true
	}

	after_run {
		fmt.Printf("%d terms from %d batches, counted by %d processes, scored by %d\n",
			len(p.totals), len(p.batches), len(p.counters), len(p.scorers))
	}
}
