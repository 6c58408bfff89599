package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minigun-go/minigun/runtime/internal/viewtest"
)

// A server on a registry and a mux of its own: the watched run's per-stage series while it
// runs, its status once it ended; nothing on the default registry or mux.
func TestServe(t *testing.T) {
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := make(chan struct{})
	h := viewtest.Start(4000, 0, release)
	stop := s.Watch("Views", h)
	get := func() string {
		resp, err := http.Get("http://" + s.Addr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	time.Sleep(200 * time.Millisecond)
	body := get()
	for _, want := range []string{
		`minigun_stage_items_in_total{kind="processor",pipeline="Views",stage="validate",strategy="inline"}`,
		`minigun_stage_items_expected{kind="producer",pipeline="Views",stage="generate_orders_from_a_source_with_a_very_long_name",strategy="inline"} 4000`,
		`minigun_stage_queue_capacity{kind="processor",pipeline="Views",stage="enrich_each_order_with_the_customer_details_it_needs",strategy="threads(4)"} 1000`,
		`minigun_stage_workers{kind="processor",pipeline="Views",stage="enrich_each_order_with_the_customer_details_it_needs",strategy="threads(4)"} 4`,
		`minigun_stage_latency_seconds_bucket{kind="processor",pipeline="Views",stage="validate",strategy="inline",le="+Inf"}`,
		`status="running"} 1`,
		`minigun_worker_processes 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s while the run goes:\n%s", want, body)
		}
	}
	close(release)
	h.Wait()
	stop()
	body = get()
	for _, want := range []string{
		`minigun_stage_items_failed_total{kind="processor",pipeline="Views",stage="validate",strategy="inline"} 42`,
		`status="completed_with_failures"} 1`, // validate fails items
		`status="running"} 0`,
		`minigun_run_duration_seconds{`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s once the run ended:\n%s", want, body)
		}
	}
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "minigun_") {
			t.Errorf("%s is on the default registry", mf.GetName())
		}
	}
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("the default mux serves /metrics: %d", rec.Code)
	}
}

// Without the flag nothing is served and nothing is watched.
func TestOff(t *testing.T) {
	x := Extension()
	if stop := x.Watch("Views", nil, io.Discard); stop != nil {
		t.Error("watching without -metrics-addr")
	}
}
