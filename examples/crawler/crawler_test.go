package crawler

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func keys[V any](m map[string]V, prefix string) []string {
	var out []string
	for k := range m {
		out = append(out, strings.TrimPrefix(k, prefix))
	}
	sort.Strings(out)
	return out
}

func TestCrawlDemoSite(t *testing.T) {
	for _, workers := range []int{1, 4} {
		site := DemoSite()
		srv := site.Serve()
		p := NewCrawler()
		p.Seed = srv.URL + "/"
		p.Workers = workers
		res, err := p.Run(context.Background())
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{
			"/": 0, "/shop": 1, "/blog": 1, "/about": 1,
			"/shop/shoes": 2, "/shop/hats": 2, "/blog/2024": 2, "/blog/2025": 2, "/about/team": 2,
		}
		got := map[string]int{}
		for u, pg := range p.pages {
			got[strings.TrimPrefix(u, srv.URL)] = pg.Depth
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("workers %d: pages %v\nwant  %v", workers, got, want)
		}
		if p.pages[srv.URL+"/shop"].Title != "Shop" {
			t.Errorf("workers %d: /shop has title %q", workers, p.pages[srv.URL+"/shop"].Title)
		}
		if fr := keys(p.frontier, srv.URL); !slices.Equal(fr, []string{"/blog/2024/launch", "/blog/2025/gone", "/shop/hats/old", "/shop/shoes/red"}) {
			t.Errorf("workers %d: frontier %v", workers, fr)
		}
		// every page fetched once, /careers too (it is a 404); nothing past the last hop
		hits := site.Hits()
		wantHits := map[string]int64{"/careers": 1}
		for path := range want {
			wantHits[path] = 1
		}
		if fmt.Sprint(hits) != fmt.Sprint(wantHits) {
			t.Errorf("workers %d: server hits %v\nwant %v", workers, hits, wantHits)
		}
		if peak := site.Peak(); peak > int64(workers) {
			t.Errorf("workers %d: %d requests in flight at once", workers, peak)
		}

		if len(res.Failures) != 1 {
			t.Fatalf("workers %d: failures %v, want the 404", workers, res.Failures)
		}
		f := res.Failures[0]
		if f.Stage != "hop2" || f.Item.(Link).URL != srv.URL+"/careers" || !strings.Contains(f.Err.Error(), "404 Not Found") {
			t.Errorf("workers %d: failure %v", workers, f)
		}
		for name, in := range map[string]int64{"hop0": 1, "hop1": 3, "hop2": 6} {
			if st, _ := res.Stage(name); st.In != in {
				t.Errorf("workers %d: %s fetched %d, want %d", workers, name, st.In, in)
			}
		}
	}
}

// A bigger site: page i links to 3i+1, 3i+2, 3i+3 (a tree), to i/2 and to
// (7i+3) mod n, so many pages are linked from several places at several
// depths. The crawl finds exactly the pages within two links of the seed.
func TestCrawlGraph(t *testing.T) {
	const n = 400
	links := func(i int) []int { return []int{3*i + 1, 3*i + 2, 3*i + 3, i / 2, (7*i + 3) % n} }
	pages := map[string]string{}
	for i := 0; i < n; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "<title>page %d</title>", i)
		for _, l := range links(i) {
			if l < n {
				fmt.Fprintf(&b, `<a href="/p/%d">x</a>`, l)
			}
		}
		pages[fmt.Sprintf("/p/%d", i)] = b.String()
	}
	// breadth-first distances from page 5
	dist := map[int]int{5: 0}
	queue := []int{5}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, l := range links(i) {
			if _, ok := dist[l]; !ok && l < n && dist[i] < 2 {
				dist[l] = dist[i] + 1
				queue = append(queue, l)
			}
		}
	}
	want := map[string]int{}
	for i, d := range dist {
		want[fmt.Sprintf("/p/%d", i)] = d
	}

	for _, workers := range []int{2, 8} {
		site := &Site{Pages: pages}
		srv := site.Serve()
		p := NewCrawler()
		p.Seed = srv.URL + "/p/5"
		p.Workers = workers
		res, err := p.Run(context.Background())
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for u, pg := range p.pages {
			got[strings.TrimPrefix(u, srv.URL)] = pg.Depth
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("workers %d: found %v\nwant  %v", workers, got, want)
		}
		for path, h := range site.Hits() {
			if h != 1 || want[path] == 0 && path != "/p/5" {
				t.Errorf("workers %d: %s fetched %d times", workers, path, h)
			}
		}
		if len(site.Hits()) != len(want) || site.Peak() > int64(workers) || len(res.Failures) != 0 {
			t.Errorf("workers %d: %d paths hit for %d pages, peak %d, failures %v", workers, len(site.Hits()), len(want), site.Peak(), res.Failures)
		}
		if res.Status != mgrt.StatusSucceeded {
			t.Errorf("status %s", res.Status)
		}
	}
}

// Without a seed the run serves the demo site itself, and stops it.
func TestCrawlOwnSite(t *testing.T) {
	p := NewCrawler()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.pages) != 9 || len(res.Failures) != 1 || p.server != nil || p.Seed != "" {
		t.Errorf("%d pages, %d failures, server left %v, seed %q", len(p.pages), len(res.Failures), p.server, p.Seed)
	}
}
