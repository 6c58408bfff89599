// Package crawler shows a web crawler over real HTTP: three fetch stages, one
// per hop away from the seed (so the depth bound is the shape of the
// pipeline, and the graph stays acyclic), each on Workers goroutines, with
// `max_threads Workers` capping the requests in flight across all three. A
// URL is claimed under a lock the first time a page links to it, so each page
// is fetched once however many pages link to it; links to other hosts are
// skipped; a page that does not answer 200 fails its item, which the run's
// Result lists. Given no seed, the program serves a small demo site on a
// local port (net/http/httptest) and crawls that; the test crawls its own
// sites the same way.
package crawler

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
