// Package metrics is the -metrics-addr flag of built binaries (DESIGN 3.5): while the
// program runs, Prometheus metrics at http://ADDR/metrics, from github.com/prometheus/client_golang
// on a registry of its own served by an http.ServeMux of its own (never the default ones):
// per stage, items in, out, failed, retried, dead-lettered and dropped, busy time, queue
// length and capacity, workers, latency histograms; per run, its status; for the program, the
// live worker processes.
//
// Nothing is made before the flag is given: no registry, no collector, no listener. The
// client library itself registers its default collectors at package initialisation, which
// every process of a built binary pays for, worker processes included (README: "Start time").
package metrics

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	mgrt "github.com/minigun-go/minigun/runtime"
	"github.com/minigun-go/minigun/runtime/cli"
)

// Extension returns the -metrics-addr extension of built binaries.
func Extension() cli.Extension { return &extension{} }

type extension struct {
	addr string

	once   sync.Once
	server *Server // nil when it could not listen
}

func (x *extension) Flags(fs *flag.FlagSet) {
	fs.StringVar(&x.addr, "metrics-addr", "", "serve Prometheus metrics at http://`ADDR`/metrics while the pipelines run (host:port; :0 picks a port)")
}

func (x *extension) Watch(pipeline string, h *mgrt.Handle, stderr io.Writer) func() {
	if x.addr == "" {
		return nil
	}
	x.once.Do(func() {
		s, err := Listen(x.addr)
		if err != nil {
			fmt.Fprintf(stderr, "metrics: %v; running without metrics\n", err)
			return
		}
		fmt.Fprintf(stderr, "metrics: serving http://%s/metrics\n", s.Addr())
		x.server = s
	})
	if x.server == nil {
		return nil
	}
	return x.server.Watch(pipeline, h)
}

// Server serves the metrics of the runs it watches. The runs of a program are watched one
// after the other; an ended run's last values stay until a run of the same pipeline replaces
// them.
type Server struct {
	reg *prometheus.Registry
	ln  net.Listener
	srv *http.Server

	mu   sync.Mutex
	runs []*watched // in the order they started, one per pipeline
}

type watched struct {
	pipeline string
	h        *mgrt.Handle
	ended    bool
	res      mgrt.Result
}

// Listen starts serving at addr (host:port).
func Listen(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{reg: prometheus.NewRegistry(), ln: ln}
	s.reg.MustRegister(collector{s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener failed: the metrics are gone, the run goes on
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops serving.
func (s *Server) Close() error { return s.srv.Close() }

// Registry is the server's registry.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Watch adds the run h of pipeline; the function it returns records its end.
func (s *Server) Watch(pipeline string, h *mgrt.Handle) (stop func()) {
	w := &watched{pipeline: pipeline, h: h}
	s.mu.Lock()
	kept := s.runs[:0]
	for _, r := range s.runs {
		if r.pipeline != pipeline {
			kept = append(kept, r)
		}
	}
	s.runs = append(kept, w)
	s.mu.Unlock()
	return func() {
		res, _ := h.Wait()
		s.mu.Lock()
		w.ended, w.res = true, res
		s.mu.Unlock()
	}
}

// latencyBounds are the upper bounds of the latency histograms' buckets.
var latencyBounds = []float64{1e-6, 5e-6, 25e-6, 100e-6, 500e-6, 1e-3, 5e-3, 25e-3, 100e-3, 500e-3, 1, 5, 25}

var stageLabels = []string{"pipeline", "stage", "kind", "strategy"}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("minigun_"+name, help, labels, nil)
}

// The metrics, made when the first server is (not at package initialisation).
type descs struct {
	in, out, failed, retried, dead, dropped *prometheus.Desc
	busy, blockedIn, blockedOut             *prometheus.Desc
	queueLen, queueCap, workers, total      *prometheus.Desc
	latency                                 *prometheus.Desc
	status, started, duration               *prometheus.Desc
	processes                               *prometheus.Desc
}

var (
	descOnce sync.Once
	ds       descs
)

func getDescs() *descs {
	descOnce.Do(func() {
		ds = descs{
			in:         desc("stage_items_in_total", "Items a stage started to process (for an accumulator, collected).", stageLabels...),
			out:        desc("stage_items_out_total", "Values a stage emitted.", stageLabels...),
			failed:     desc("stage_items_failed_total", "Items that failed for good and were not dead-lettered.", stageLabels...),
			retried:    desc("stage_items_retried_total", "Attempts that failed and were retried.", stageLabels...),
			dead:       desc("stage_items_dead_lettered_total", "Items sent to the stage's dead-letter stage.", stageLabels...),
			dropped:    desc("stage_items_dropped_total", "Items received but not processed because the run was canceled.", stageLabels...),
			busy:       desc("stage_busy_seconds_total", "Time the stage's goroutines or process slots worked, summed.", stageLabels...),
			blockedIn:  desc("stage_blocked_in_seconds_total", "Time the stage waited for input, summed over its goroutines.", stageLabels...),
			blockedOut: desc("stage_blocked_out_seconds_total", "Time the stage waited for room downstream, summed over its goroutines.", stageLabels...),
			queueLen:   desc("stage_queue_length", "Items waiting in the stage's input queue.", stageLabels...),
			queueCap:   desc("stage_queue_capacity", "Capacity of the stage's input queue in items (-1 unbounded).", stageLabels...),
			workers:    desc("stage_workers", "Goroutines running the stage's bodies, or its live worker processes.", stageLabels...),
			total:      desc("stage_items_expected", "Items a producer declared it will emit (total(N)).", stageLabels...),
			latency:    desc("stage_latency_seconds", "Per-item latency of sampled items (for an accumulator, per batch).", stageLabels...),
			status:     desc("run_status", "1 for the run's current status: running, succeeded, completed_with_failures, failed or canceled.", "pipeline", "job", "status"),
			started:    desc("run_start_time_seconds", "When the run started, in seconds since the Unix epoch.", "pipeline", "job"),
			duration:   desc("run_duration_seconds", "How long the run has run, or ran.", "pipeline", "job"),
			processes:  desc("worker_processes", "Live worker processes of the program's runs."),
		}
	})
	return &ds
}

// collector reads the watched runs' stats at each scrape.
type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	d := getDescs()
	for _, x := range []*prometheus.Desc{d.in, d.out, d.failed, d.retried, d.dead, d.dropped, d.busy,
		d.blockedIn, d.blockedOut, d.queueLen, d.queueCap, d.workers, d.total, d.latency,
		d.status, d.started, d.duration, d.processes} {
		ch <- x
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	d := getDescs()
	c.s.mu.Lock()
	runs := make([]watched, len(c.s.runs))
	for i, r := range c.s.runs {
		runs[i] = *r
	}
	c.s.mu.Unlock()
	processes := 0
	bounds := make([]time.Duration, len(latencyBounds))
	for i, b := range latencyBounds {
		bounds[i] = time.Duration(b * float64(time.Second))
	}
	for _, r := range runs {
		stages := r.res.Stages
		job, status := r.res.JobID, string(r.res.Status)
		if !r.ended {
			stages, job, status = r.h.Stats(), r.h.JobID(), "running"
		}
		for _, st := range []string{"running", string(mgrt.StatusSucceeded), string(mgrt.StatusCompletedWithFailures), string(mgrt.StatusFailed), string(mgrt.StatusCanceled)} {
			v := 0.0
			if st == status {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(d.status, prometheus.GaugeValue, v, r.pipeline, job, st)
		}
		if r.ended {
			ch <- prometheus.MustNewConstMetric(d.started, prometheus.GaugeValue, float64(r.res.Started.UnixNano())/1e9, r.pipeline, job)
			ch <- prometheus.MustNewConstMetric(d.duration, prometheus.GaugeValue, r.res.Duration.Seconds(), r.pipeline, job)
		}
		for i, st := range stages {
			labels := []string{r.pipeline, st.Name, st.Kind.String(), st.Strategy.String()}
			counter := func(dd *prometheus.Desc, v float64) {
				ch <- prometheus.MustNewConstMetric(dd, prometheus.CounterValue, v, labels...)
			}
			gauge := func(dd *prometheus.Desc, v float64) {
				ch <- prometheus.MustNewConstMetric(dd, prometheus.GaugeValue, v, labels...)
			}
			counter(d.in, float64(st.In))
			counter(d.out, float64(st.Out))
			counter(d.failed, float64(st.Failed))
			counter(d.retried, float64(st.Retried))
			counter(d.dead, float64(st.DeadLettered))
			counter(d.dropped, float64(st.Dropped))
			counter(d.busy, st.Busy.Seconds())
			counter(d.blockedIn, st.BlockedIn.Seconds())
			counter(d.blockedOut, st.BlockedOut.Seconds())
			gauge(d.workers, float64(st.Workers))
			if st.Kind == mgrt.KindProducer {
				if st.Total > 0 {
					gauge(d.total, float64(st.Total))
				}
				continue
			}
			gauge(d.queueLen, float64(st.QueueLen))
			gauge(d.queueCap, float64(st.QueueCap))
			if !st.Strategy.Kind.InProcess() && !r.ended {
				processes += st.Workers
			}
			counts, samples, sum := r.h.Latency(i, bounds)
			buckets := make(map[float64]uint64, len(bounds))
			for j, b := range latencyBounds {
				buckets[b] = counts[j]
			}
			ch <- prometheus.MustNewConstHistogram(d.latency, samples, sum.Seconds(), buckets, labels...)
		}
	}
	ch <- prometheus.MustNewConstMetric(d.processes, prometheus.GaugeValue, float64(processes))
}
