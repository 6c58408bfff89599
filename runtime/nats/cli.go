package mgnats

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/minigun-go/minigun/runtime/internal/engine"
)

// CLI returns the flags of remote stages for a built binary (an extension of package
// runtime/cli, which generated mains of files with remote stages add):
//
//	-nats URL            the NATS server (or cluster) of remote stages, instead of an embedded one
//	-nats-creds FILE     its credentials
//	-nats-max-payload N  the embedded server's max_payload
//	-worker STAGE        serve the remote stage STAGE of this program's jobs on the server of
//	                     -nats, instead of running the pipelines
//	-worker-concurrency K  worker processes per job (with -worker)
func CLI() *Extension { return &Extension{} }

// Extension is the built-binary side of remote stages (see CLI).
type Extension struct {
	url, creds, worker string
	maxPayload         int
	concurrency        int
}

// Flags defines the flags.
func (x *Extension) Flags(fs *flag.FlagSet) {
	fs.StringVar(&x.url, "nats", "", "run remote stages through the NATS server (or comma-separated cluster) at `URL` instead of an embedded one; with -worker, the coordinator's server")
	fs.StringVar(&x.creds, "nats-creds", "", "the NATS credentials `FILE` for -nats")
	fs.IntVar(&x.maxPayload, "nats-max-payload", 0, "the embedded NATS server's max_payload in `bytes` (default 1 MiB): the largest item, or results of one, that can cross")
	fs.StringVar(&x.worker, "worker", "", "serve the remote `STAGE` of this program's running jobs on the server of -nats, instead of running the pipelines")
	fs.IntVar(&x.concurrency, "worker-concurrency", 1, "with -worker: worker processes per job")
}

// Watch does nothing: remote stages show in the run's stats like any stage.
func (x *Extension) Watch(string, *engine.Handle, io.Writer) func() { return nil }

// Serve configures the coordinator's server and, with -worker, serves the stage until
// SIGINT or SIGTERM instead of running the pipelines (served true).
func (x *Extension) Serve(pipeline string, stderr io.Writer) (status int, served bool) {
	cfg := Config{URL: x.url, Creds: x.creds, MaxPayload: x.maxPayload}
	if x.url == "" {
		cfg.URL = os.Getenv(EnvURL)
	}
	if cfg.Creds == "" {
		cfg.Creds = os.Getenv(EnvCreds)
	}
	cfg.Token = os.Getenv(EnvToken)
	Configure(cfg)
	if x.worker == "" {
		return 0, false
	}
	name := "minigun"
	if len(os.Args) > 0 {
		name = os.Args[0]
	}
	var found []*pipelineInfo
	var all []string
	for _, p := range registeredPipelines() {
		short := p.key[strings.LastIndexByte(p.key, '.')+1:]
		for _, s := range p.stages {
			all = append(all, short+"."+s)
		}
		if (pipeline == "" || short == pipeline) && slices.Contains(p.stages, x.worker) {
			found = append(found, p)
		}
	}
	slices.Sort(all)
	switch {
	case cfg.URL == "":
		fmt.Fprintf(stderr, "%s: -worker %s needs the server its coordinator uses: -nats URL (or %s)\n", name, x.worker, EnvURL)
		return 2, true
	case len(found) == 0:
		fmt.Fprintf(stderr, "%s: -worker %s: no remote stage of that name (remote stages: %s)\n", name, x.worker, strings.Join(all, ", "))
		return 2, true
	case len(found) > 1:
		fmt.Fprintf(stderr, "%s: -worker %s: several pipelines have that remote stage: name one with -pipeline\n", name, x.worker)
		return 2, true
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := Serve(ctx, found[0].key, x.worker, WorkerConfig{Config: cfg, Concurrency: x.concurrency, Stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1, true
	}
	return 0, true
}
