// Minigun's 35_nested_contexts: strategy blocks inside strategy blocks.
// nested_contexts_test.go runs it.
package nestedcontexts

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
)

go {
	// Page is a fetched web page.
	type Page struct {
		URL   string
		Words []string
	}

	// Shard is the term counts of a batch of pages.
	type Shard struct {
		Pages int
		Terms map[string]int
	}

	var vocabulary = strings.Fields("Go pipeline worker process batch queue stage hook merge state")

	// stopWords are left out of the index.
	var stopWords = []string{"go", "state"}

	// fetchPage stands for an HTTP GET: page i holds five words of the vocabulary.
	func fetchPage(url string) Page {
		var i int
		fmt.Sscanf(url, "https://example.com/page/%d", &i)
		pg := Page{URL: url}
		for k := 0; k < 5; k++ {
			pg.Words = append(pg.Words, vocabulary[(i*(k+1)+k)%len(vocabulary)])
		}
		return pg
	}
}

// NestedContexts crawls pages and builds a term index. Strategy blocks nest:
// the outer threads(4) block gives its stages four goroutines, the inner
// context(heavy) block runs its stages in worker processes, the innermost
// block wins, and a stage's own option beats every block around it.
pipeline NestedContexts {
	// how many pages to crawl
	param Count int = 120

	state {
		mu        sync.Mutex
		fetched   int
		index     map[string]int
		shards    int
		countPIDs map[int]bool merge(union)
		prunePIDs map[int]bool merge(union)
	}

	context heavy = process_per_batch(max: 2)

	before_run {
		p.index = map[string]int{}
	}

	producer urls() string {
		for i := 0; i < p.Count; i++ {
			emit(fmt.Sprintf("https://example.com/page/%d", i))
		}
	}

	threads(4) {
		// threads(4), from the block
		processor fetch(url string) Page {
			p.mu.Lock()
			p.fetched++
			p.mu.Unlock()
			emit(fetchPage(url))
		}

		// its own option beats the block
		processor lowercase(pg Page) Page inline {
			for i, w := range pg.Words {
				pg.Words[i] = strings.ToLower(w)
			}
			emit(pg)
		}

		// a batch always runs in the parent
		batch 30

		context(heavy) {
			// process_per_batch(max: 2), from the innermost block
			processor count(b []Page) Shard {
				p.countPIDs[os.Getpid()] = true
				sh := Shard{Pages: len(b), Terms: map[string]int{}}
				for _, pg := range b {
					for _, w := range pg.Words {
						sh.Terms[w]++
					}
				}
				emit(sh)
			}

			// its own option beats both blocks: a pool of two workers drops
			// the stop words
			processor prune(sh Shard) Shard processes(2) {
				p.prunePIDs[os.Getpid()] = true
				for _, w := range stopWords {
					delete(sh.Terms, w)
				}
				emit(sh)
			}
		}

		// threads(4) again, after the inner block
		consumer publish(sh Shard) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.shards++
			for w, n := range sh.Terms {
				p.index[w] += n
			}
		}
	}

	after_run {
		terms := make([]string, 0, len(p.index))
		for w := range p.index {
			terms = append(terms, w)
		}
		sort.Strings(terms)
		for _, w := range terms {
			fmt.Printf("%-10s %d\n", w, p.index[w])
		}
		fmt.Printf("%d pages fetched, %d shards counted by %d processes and pruned by %d\n",
			p.fetched, p.shards, len(p.countPIDs), len(p.prunePIDs))
	}
}
