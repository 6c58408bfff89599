// A web crawler: real HTTP, up to two links away from the seed, with a bound
// on the requests in flight and every URL fetched once. crawler_test.go runs it as a package
// against a local test server.
package crawler

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

go {
	// Link is a URL to fetch and how many links away from the seed it was found.
	type Link struct {
		URL   string
		Depth int
	}

	// Page is a fetched page.
	type Page struct {
		URL   string
		Depth int
		Title string
		Links []string // absolute URLs of the same host, in page order
	}

	var (
		hrefRE  = regexp.MustCompile(`href="([^"]*)"`)
		titleRE = regexp.MustCompile(`<title>([^<]*)</title>`)
	)

	// Site is a set of HTML pages by path, served on a local port by Serve.
	type Site struct {
		Pages   map[string]string
		Latency time.Duration // added to every response

		hits     sync.Map // path -> *atomic.Int64
		inFlight atomic.Int64
		peak     atomic.Int64
	}

	// Serve starts an HTTP server for the site on a local port.
	func (s *Site) Serve() *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := s.inFlight.Add(1)
			defer s.inFlight.Add(-1)
			for {
				m := s.peak.Load()
				if n <= m || s.peak.CompareAndSwap(m, n) {
					break
				}
			}
			c, _ := s.hits.LoadOrStore(r.URL.Path, new(atomic.Int64))
			c.(*atomic.Int64).Add(1)
			time.Sleep(s.Latency)
			page, ok := s.Pages[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
		}))
	}

	// Hits returns how many requests each path got.
	func (s *Site) Hits() map[string]int64 {
		out := map[string]int64{}
		s.hits.Range(func(k, v any) bool {
			out[k.(string)] = v.(*atomic.Int64).Load()
			return true
		})
		return out
	}

	// Peak returns the most requests the server handled at once.
	func (s *Site) Peak() int64 { return s.peak.Load() }

	// DemoSite is the site a run crawls when it is given no seed: a small
	// shop with cycles (every page links home), a dead link (/careers) and an
	// external one.
	func DemoSite() *Site {
		page := func(title string, links ...string) string {
			var b strings.Builder
			fmt.Fprintf(&b, "<html><head><title>%s</title></head><body>", title)
			for _, l := range links {
				fmt.Fprintf(&b, `<a href="%s">%s</a> `, l, l)
			}
			return b.String() + "</body></html>"
		}
		pages := map[string]string{
			"/":              page("Home", "/shop", "/blog", "/about", "https://example.com/elsewhere"),
			"/shop":          page("Shop", "/", "/shop/shoes", "/shop/hats", "/shop/shoes"),
			"/blog":          page("Blog", "/", "/blog/2024", "/blog/2025", "/about"),
			"/about":         page("About", "/", "/about/team", "/careers"),
			"/shop/shoes":    page("Shoes", "/", "/shop", "/shop/shoes/red"),
			"/shop/hats":     page("Hats", "/", "/shop/hats/old"),
			"/blog/2024":     page("2024", "/", "/blog/2024/launch"),
			"/blog/2025":     page("2025", "/", "/blog/2025/gone"),
			"/about/team":    page("Team", "/", "/about"),
			"/shop/hats/old": page("Old hats", "/"),
		}
		for _, p := range []string{"/shop/shoes/red", "/blog/2024/launch"} {
			pages[p] = page(p, "/")
		}
		return &Site{Pages: pages, Latency: 2 * time.Millisecond}
	}
}

// Crawler fetches the seed, the pages it links to, and the pages those link
// to: three hops, one stage each (the depth bound is the number of hops). Each hop runs on Workers goroutines and
// max_threads caps the fetches of all three at Workers at once. A URL is
// claimed the first time a page links to it, so no page is fetched twice.
pipeline Crawler {
	// first page; empty: serve the demo site on a local port and crawl it
	param Seed string
	// requests in flight at most
	param Workers int = 4
	// per-request deadline
	param Timeout time.Duration = 5 * time.Second

	max_threads Workers

	state {
		mu       sync.Mutex
		client   *http.Client
		server   *httptest.Server
		seen     map[string]bool
		pages    map[string]Page
		frontier map[string]bool // links of the last hop's pages that were not fetched
	}

	before_run {
		p.client = &http.Client{}
		p.seen = map[string]bool{}
		p.pages = map[string]Page{}
		p.frontier = map[string]bool{}
		if p.Seed == "" {
			p.server = DemoSite().Serve()
			p.Seed = p.server.URL + "/"
		}
	}

	producer seed() Link {
		p.mu.Lock()
		p.seen[p.Seed] = true
		p.mu.Unlock()
		emit(Link{URL: p.Seed})
	}

	processor hop0(l Link) Link threads(Workers) timeout(Timeout) { return p.visit(ctx, l, emit) }
	processor hop1(l Link) Link threads(Workers) timeout(Timeout) { return p.visit(ctx, l, emit) }
	consumer hop2(l Link) threads(Workers) timeout(Timeout) { return p.visit(ctx, l, nil) }

	after_run {
		for _, pg := range p.pages {
			if pg.Depth == 2 {
				for _, u := range pg.Links {
					if !p.seen[u] {
						p.frontier[u] = true
					}
				}
			}
		}
		if p.server != nil {
			p.server.Close()
			p.server = nil
			p.Seed = ""
		}
		urls := make([]string, 0, len(p.pages))
		for u := range p.pages {
			urls = append(urls, u)
		}
		sort.Strings(urls)
		for _, u := range urls {
			pg := p.pages[u]
			fmt.Printf("%d %-40s %s\n", pg.Depth, u, pg.Title)
		}
		fmt.Printf("%d pages, %d links not followed, %d failed\n", len(p.pages), len(p.frontier), len(result.Failures))
	}
}

go {
	// visit fetches l and records the page. With follow != nil, it claims the
	// page's unseen links, all of them before sending any on, and sends them to
	// the next hop. Claims happen in hop0 (depth 1) and hop1 (depth 2) only, so
	// every page two links or fewer from the seed is fetched, once, at the
	// length of its shortest path, however the goroutines interleave.
	func (p *Crawler) visit(ctx context.Context, l Link, follow func(Link)) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.URL, nil)
		if err != nil {
			return err
		}
		resp, err := p.client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", l.URL, resp.Status)
		}
		pg := Page{URL: l.URL, Depth: l.Depth}
		if m := titleRE.FindSubmatch(body); m != nil {
			pg.Title = string(m[1])
		}
		base := resp.Request.URL
		for _, m := range hrefRE.FindAllSubmatch(body, -1) {
			ref, err := url.Parse(string(m[1]))
			if err != nil {
				continue
			}
			u := base.ResolveReference(ref)
			if u.Host != base.Host {
				continue // another site
			}
			u.Fragment = ""
			pg.Links = append(pg.Links, u.String())
		}

		var next []Link
		p.mu.Lock()
		p.pages[pg.URL] = pg
		for _, u := range pg.Links {
			if follow != nil && !p.seen[u] {
				p.seen[u] = true
				next = append(next, Link{URL: u, Depth: l.Depth + 1})
			}
		}
		p.mu.Unlock()
		for _, n := range next {
			follow(n)
		}
		return nil
	}
}
