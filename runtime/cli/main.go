// Package cli is the main of programs built by `minigungen build` (DESIGN 3.5): flags, the
// runs of the selected pipelines, signals, reports and exit statuses. Generated mains call
// Main; extensions (live progress, the HUD, metrics) add their flags and watch each run
// through the Extension interface, so that the core of a built binary stays small and a
// worker process pays for nothing it does not use.
package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// App is a built program: its pipelines and parameter flags, from the .mg file.
type App struct {
	Doc        string // what the program does, from the .mg doc comments; printed by -h
	Version    string // printed by -version: the .mg file and the minigungen that built it
	Programs   []Program
	Params     []Param
	Extensions []Extension // optional flags and live views
	// Lean says this is the lean image of a built program: asked for a view flag (-progress,
	// -hud, -metrics-addr, -h), it runs the full image carried after it (views.go).
	Lean bool
}

// Program is one pipeline a built binary can run.
type Program struct {
	Name   string   // the pipeline's name, for -pipeline
	Runs   bool     // run when no -pipeline is given: it has a producer somewhere
	Params []string // flag names of the parameters it declares
	// Start creates the pipeline, applies the parameters given on the command
	// line (flag name to text), and starts it.
	Start func(ctx context.Context, set map[string]string) (*mgrt.Handle, error)
}

// Param is one parameter flag of a built binary. Its flag takes the parameter's type from
// Default: an integer, unsigned, float, string, boolean (-name alone means true) or duration
// (10ms) flag, a comma-separated list for a slice (-tags a,b), comma-separated key=value pairs
// for a map (-limits a=1,b=2), or the text a TextUnmarshaler or flag.Value reads. -h prints
// it as the flag package prints its own: "-count int  items to make (default 100)".
type Param struct {
	Name    string // the flag's name
	Usage   string // its usage line: the parameter's doc comment
	Default any    // the parameter's default value, of its Go type
}

// Extension adds flags to a built binary and watches its runs.
type Extension interface {
	// Flags defines the extension's flags.
	Flags(fs *flag.FlagSet)
	// Watch is called when a pipeline's run has started; the function it returns (nil for
	// none) is called once the run has ended, before the run's report is printed. h.Stats
	// gives live per-stage stats (counts, queues, busy shares, the bottleneck), h.JobID the
	// run's job id.
	Watch(pipeline string, h *mgrt.Handle, stderr io.Writer) (stop func())
}

// Server is an Extension that may serve instead of running the pipelines (the workers of
// remote stages: -worker STAGE). Serve is called once the flags are parsed, with the value
// of -pipeline; when served is true the program exits with status.
type Server interface {
	Serve(pipeline string, stderr io.Writer) (status int, served bool)
}

// Exit statuses of built binaries (DESIGN 3.5).
const (
	ExitOK           = 0   // every run succeeded (items may have failed within a failure budget)
	ExitFailed       = 1   // a run failed: a producer's or hook's error, fail_fast, the budget exceeded, a setup error
	ExitUsage        = 2   // a bad flag or argument
	ExitWithFailures = 3   // no run failed, but one without a failure budget had items that failed for good
	ExitSIGINT       = 130 // stopped by SIGINT
	ExitSIGTERM      = 143 // stopped by SIGTERM
)

// Main runs a built binary: it parses os.Args, runs the selected pipelines and
// returns the exit status. The runtime writes to stderr only.
func Main(app App) int {
	return MainArgs(os.Args[1:], os.Stderr, app)
}

// MainArgs is Main with explicit arguments and error output.
func MainArgs(args []string, stderr io.Writer, app App) int {
	programs := app.Programs
	name := filepath.Base(os.Args[0])
	if err := runViews(args, app); err != nil {
		fmt.Fprintf(stderr, "%s: cannot start the views: %v\n", name, err)
	}
	defer removeViewsFile()()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var names []string
	for _, p := range programs {
		names = append(names, p.Name)
	}
	pipeline := fs.String("pipeline", "", "run only this pipeline: "+strings.Join(names, ", "))
	stats := fs.Bool("stats", false, "print a table of per-stage stats to stderr at the end of each run")
	statsJSON := fs.String("stats-json", "", "write the runs' results (stats and failures) as JSON to `FILE`")
	shutdown := fs.Duration("shutdown-timeout", 10*time.Second, "how long stopping workers may take before they are killed")
	logLevel := fs.String("log-level", "warn", "what the runtime logs on stderr: error (failed runs), warn (also failed items and signals),\ninfo (also each run's start and end), debug (also failed items' stacks)")
	logFormat := fs.String("log-format", "text", "how log lines look: text (key=value) or json; each carries its time and job id")
	var budget optionalInt
	fs.Var(&budget, "max-failures", "the failure budget: up to N items may fail for good and the run still succeeds, one more\nfails it (overrides the .mg's max_failures and fail_fast; default: theirs, else no budget)")
	keep := fs.Int("keep-failures", 1000, "how many failed items a run's result keeps (the others are counted)")
	version := fs.Bool("version", false, "print the program's version and exit")
	values := map[string]*paramValue{}
	for _, p := range app.Params {
		v := newParamValue(p)
		values[p.Name] = v
		fs.Var(v, p.Name, p.Usage)
	}
	for _, x := range app.Extensions {
		x.Flags(fs)
	}
	// The flag package prints a bad flag's error itself; -h prints the description and
	// every flag, an error only a pointer to -h.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if app.Doc != "" {
				fmt.Fprintf(stderr, "%s\n\n", strings.TrimSpace(app.Doc))
			}
			fmt.Fprintf(stderr, "Usage of %s:\n", name)
			printDefaults(fs)
			return ExitOK
		}
		fmt.Fprintf(stderr, "Run %s -h for the flags.\n", name)
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, fs.Arg(0))
		return ExitUsage
	}
	if *version {
		v := app.Version
		if v == "" {
			v = "(devel)"
		}
		fmt.Fprintf(stderr, "%s %s %s %s/%s\n", name, v, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
		return ExitOK
	}
	level, ok := parseLevel(*logLevel)
	if !ok {
		fmt.Fprintf(stderr, "%s: -log-level must be error, warn, info or debug\n", name)
		return ExitUsage
	}
	if *logFormat != "text" && *logFormat != "json" {
		fmt.Fprintf(stderr, "%s: -log-format must be text or json\n", name)
		return ExitUsage
	}
	if *keep < 0 {
		fmt.Fprintf(stderr, "%s: -keep-failures must be 0 or more\n", name)
		return ExitUsage
	}
	if *shutdown <= 0 {
		fmt.Fprintf(stderr, "%s: -shutdown-timeout must be more than 0 (the time stopping workers may take)\n", name)
		return ExitUsage
	}
	for _, x := range app.Extensions {
		if sv, ok := x.(Server); ok {
			if status, served := sv.Serve(*pipeline, stderr); served {
				return status
			}
		}
	}
	var selected []Program
	for _, p := range programs {
		if *pipeline == "" && p.Runs || p.Name == *pipeline {
			selected = append(selected, p)
		}
	}
	if *pipeline != "" && len(selected) == 0 {
		fmt.Fprintf(stderr, "%s: unknown pipeline %q (have %s)\n", name, *pipeline, strings.Join(names, ", "))
		return ExitUsage
	}
	if len(selected) == 1 && !selected[0].Runs {
		// Named with -pipeline, it has nothing to start it: it runs nested in another.
		fmt.Fprintf(stderr, "%s: pipeline %q has no producer: it runs only nested in another pipeline\n", name, *pipeline)
		return ExitUsage
	}
	lg := newLogger(stderr, *logFormat, level)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx = mgrt.WithShutdownTimeout(ctx, *shutdown)
	ctx = mgrt.WithKeepFailures(ctx, *keep)
	if budget.set {
		ctx = mgrt.WithFailureBudget(ctx, budget.n)
	}
	var sigMu sync.Mutex
	var got os.Signal
	var current atomic.Pointer[logger] // the running pipeline's, for the signal's line
	current.Store(&lg)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			sigMu.Lock()
			first := got == nil
			if first {
				got = s
			}
			sigMu.Unlock()
			if first {
				current.Load().warn("stopping: "+signalName(s)+"; again to quit at once", "signal", signalName(s))
				cancel()
				continue
			}
			// A second signal stops at once; no worker process outlives the program.
			mgrt.KillWorkers()
			os.Exit(signalStatus(s))
		}
	}()

	status := ExitOK
	var results []mgrt.Result
	for _, p := range selected {
		params := map[string]string{}
		for _, prm := range p.Params {
			if v, ok := values[prm]; ok && v.set {
				params[prm] = v.text
			}
		}
		h, err := p.Start(ctx, params)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %s: %v\n", name, p.Name, err)
			return ExitUsage
		}
		log := lg.with("job", h.JobID(), "pipeline", p.Name)
		current.Store(&log)
		log.info("run started")
		var stops []func()
		for _, x := range app.Extensions {
			if stop := x.Watch(p.Name, h, stderr); stop != nil {
				stops = append(stops, stop)
			}
		}
		res, _ := h.Wait()
		for _, stop := range stops {
			stop()
		}
		results = append(results, res)
		reportFailures(log, res)
		logRunEnd(log, res)
		if *stats {
			fmt.Fprint(stderr, res.StatsTable())
		}
		switch res.Status {
		case mgrt.StatusFailed, mgrt.StatusCanceled:
			status = ExitFailed
		case mgrt.StatusCompletedWithFailures:
			if status == ExitOK {
				status = ExitWithFailures
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if *statsJSON != "" {
		if err := writeResultsJSON(*statsJSON, results); err != nil {
			lg.error("writing -stats-json: " + err.Error())
			status = ExitFailed
		}
	}
	sigMu.Lock()
	defer sigMu.Unlock()
	sig := ""
	if got != nil {
		sig = signalName(got)
	}
	// Last, a line per run that did not succeed, saying what failed per stage; the failed
	// runs' lines after the others, so that the last line is about what the exit status says.
	var lines []summary
	for _, res := range results {
		if sm, ok := summarize(res, sig); ok {
			lines = append(lines, sm)
		}
	}
	slices.SortStableFunc(lines, func(a, b summary) int { return cmp.Compare(a.level, b.level) })
	for _, sm := range lines {
		lg.log(sm.level, sm.msg, sm.attrs...)
	}
	if got != nil {
		return signalStatus(got)
	}
	return status
}

// signalName names a signal as the summary line does: "SIGINT", "SIGTERM".
func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

func signalStatus(s os.Signal) int {
	if s == syscall.SIGTERM {
		return ExitSIGTERM
	}
	return ExitSIGINT
}
