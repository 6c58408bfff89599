package mgnats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WorkerConfig says how a machine serves a remote stage (ServeRemote, -worker STAGE).
type WorkerConfig struct {
	Config // the coordinator's server (URL required)
	// Concurrency is how many worker processes serve each job (default 1).
	Concurrency int
	// Stdout and Stderr receive the workers' lines, prefixed "[stage pid] ", and Stderr
	// what Serve reports (default: this process's).
	Stdout, Stderr io.Writer
}

// Serve serves the remote stage stage of the pipeline whose worker key is key (mgrt.WorkerKey)
// until ctx is done: it watches the job registry of the server cfg names and, for every
// running job of that pipeline whose graph fingerprint matches this program's, starts
// cfg.Concurrency worker processes of this executable that join it, run its chunks and leave
// when the job's stage ends. A job whose fingerprint differs is refused, with a message on
// Stderr and to the coordinator. Jobs that start later are joined as they come.
//
// A worker process runs as a local worker of the coordinator does: package initialisation,
// a fresh pipeline value with the job's parameters, the after_fork hooks, then chunks. The
// before_fork hooks run in the coordinator only; the workers' output stays on this machine.
func Serve(ctx context.Context, key, stage string, cfg WorkerConfig) error {
	if cfg.URL == "" {
		return errors.New("a worker needs the NATS server of the coordinator: -nats URL (or MINIGUN_NATS_URL)")
	}
	if p := lookupPipeline(key); p != nil && !slices.Contains(p.stages, stage) {
		return fmt.Errorf("pipeline %s has no remote stage %q (its remote stages: %s)", key, stage, strings.Join(p.stages, ", "))
	}
	stdout, stderr := cfg.Stdout, cfg.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	nc, err := connect(cfg.Config, "minigun worker "+stage)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	actx, cancel := context.WithTimeout(ctx, adminTimeout)
	kv, err := registry(actx, js)
	cancel()
	if err != nil {
		return err
	}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	w, err := kv.Watch(wctx, pipelineToken(key)+".*.*")
	if err != nil {
		return fmt.Errorf("watching the job registry: %w", err)
	}
	defer w.Stop()
	fp := fingerprintOf(key)
	fmt.Fprintf(stderr, "minigun worker: serving stage %s of %s from %s\n", stage, key, cfg.URL)
	var wg sync.WaitGroup
	var mu sync.Mutex
	procs := map[*proc]bool{}
	seen := map[string]bool{}
	listed, ttl := false, leaseTTL()
	defer func() {
		mu.Lock()
		for p := range procs {
			p.stop(5 * time.Second)
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		var e jetstream.KeyValueEntry
		select {
		case <-ctx.Done():
			return nil
		case x, ok := <-w.Updates():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("the job registry's watch ended")
			}
			e = x
		}
		if e == nil {
			listed = true // the jobs running when the worker started have been seen
			continue
		}
		if e.Operation() != jetstream.KeyValuePut {
			delete(seen, e.Key())
			continue
		}
		if seen[e.Key()] {
			continue
		}
		if !listed && time.Since(e.Created()) > ttl {
			// Not renewed for leaseTTL: its coordinator died. (A renewal, if it lives after
			// all, comes as an update.)
			continue
		}
		rec, err := decodeRecord(e.Value())
		if err != nil || rec.Stage != stage || rec.Pipeline != key {
			continue
		}
		seen[e.Key()] = true
		if rec.Fingerprint != fp {
			err := refusal(rec, fp)
			_ = nc.Publish(rec.Refused, []byte(err.Error()))
			fmt.Fprintf(stderr, "minigun worker: %v\n", err)
			continue
		}
		fmt.Fprintf(stderr, "minigun worker: joining job %s (stage %s, coordinator on %s)\n", rec.Job, stage, rec.Host)
		for range max(cfg.Concurrency, 1) {
			p, err := spawn(key, stage, cfg.Config, e.Key(), rec.Hello, stdout, stderr)
			if err != nil {
				fmt.Fprintf(stderr, "minigun worker: %v\n", err)
				break
			}
			mu.Lock()
			procs[p] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := p.readStatus(func(line string) { _ = nc.Publish(rec.Started, []byte(line)) })
				if err != nil && !errors.Is(err, errEnded) {
					fmt.Fprintf(stderr, "minigun worker: job %s: %v\n", rec.Job, err)
				}
				_ = p.wait()
				mu.Lock()
				delete(procs, p)
				mu.Unlock()
			}()
		}
	}
}

func lookupPipeline(key string) *pipelineInfo {
	pipelines.mu.Lock()
	defer pipelines.mu.Unlock()
	return pipelines.m[key]
}
