// Package cli is the main of programs built by `minigungen build` (DESIGN 3.5): flags, the
// runs of the selected pipelines, signals, reports and exit statuses. Generated mains call
// Main; extensions (live progress, the HUD, metrics) add their flags and watch each run
// through the Extension interface, so that the core of a built binary stays small and a
// worker process pays for nothing it does not use.
package cli

import (
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// App is a built program: its pipelines and parameter flags, from the .mg file.
type App struct {
	Doc        string // what the program does, from the .mg doc comments; printed by -h
	Programs   []Program
	Params     []Param
	Extensions []Extension // optional flags and live views
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

// Param is one parameter flag of a built binary.
type Param struct {
	Name  string
	Usage string
	Bool  bool // a boolean parameter: -name alone means true
}

// Extension adds flags to a built binary and watches its runs.
type Extension interface {
	// Flags defines the extension's flags.
	Flags(fs *flag.FlagSet)
	// Watch is called when a pipeline's run has started; the function it returns (nil for
	// none) is called once the run has ended, before the run's report is printed.
	Watch(pipeline string, h *mgrt.Handle, stderr io.Writer) (stop func())
}

// Server is an Extension that may serve instead of running the pipelines (the workers of
// remote stages: -worker STAGE). Serve is called once the flags are parsed, with the value
// of -pipeline; when served is true the program exits with status.
type Server interface {
	Serve(pipeline string, stderr io.Writer) (status int, served bool)
}

// Exit statuses of built binaries.
const (
	ExitOK      = 0
	ExitFailed  = 1
	ExitUsage   = 2
	ExitSIGINT  = 130
	ExitSIGTERM = 143
)

// Main runs a built binary: it parses os.Args, runs the selected pipelines and
// returns the exit status. The runtime writes to stderr only.
func Main(app App) int {
	return MainArgs(os.Args[1:], os.Stderr, app)
}

// MainArgs is Main with explicit arguments and error output.
func MainArgs(args []string, stderr io.Writer, app App) int {
	programs, flags := app.Programs, app.Params
	name := filepath.Base(os.Args[0])
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var names []string
	for _, p := range programs {
		names = append(names, p.Name)
	}
	pipeline := fs.String("pipeline", "", "run only this pipeline: "+strings.Join(names, ", "))
	stats := fs.Bool("stats", false, "print a table of per-stage stats to stderr at the end")
	statsJSON := fs.String("stats-json", "", "write the runs' results as JSON to `FILE`")
	progress := fs.Bool("progress", false, "show live per-stage counts on stderr when it is a terminal")
	shutdown := fs.Duration("shutdown-timeout", 10*time.Second, "how long stopping workers may take before they are killed")
	logLevel := fs.String("log-level", "info", "what the runtime reports on stderr: error (failed runs), warn and info (also failed items), debug (also each run's job and status)")
	set := map[string]string{}
	for _, f := range flags {
		f := f
		record := func(s string) error {
			set[f.Name] = s
			return nil
		}
		if f.Bool {
			fs.BoolFunc(f.Name, f.Usage, record)
		} else {
			fs.Func(f.Name, f.Usage, record)
		}
	}
	for _, x := range app.Extensions {
		x.Flags(fs)
	}
	fs.Usage = func() {
		if app.Doc != "" {
			fmt.Fprintf(stderr, "%s\n\n", strings.TrimSpace(app.Doc))
		}
		fmt.Fprintf(stderr, "Usage of %s:\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, fs.Arg(0))
		return ExitUsage
	}
	switch *logLevel {
	case "error", "warn", "info", "debug":
	default:
		fmt.Fprintf(stderr, "%s: -log-level must be error, warn, info or debug\n", name)
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

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx = mgrt.WithShutdownTimeout(ctx, *shutdown)
	var sigMu sync.Mutex
	var got os.Signal
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
				fmt.Fprintf(stderr, "%s: %v: stopping (again to quit at once)\n", name, s)
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
			if v, ok := set[prm]; ok {
				params[prm] = v
			}
		}
		h, err := p.Start(ctx, params)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %s: %v\n", name, p.Name, err)
			return ExitUsage
		}
		var stops []func()
		if *progress && isTerminal(stderr) {
			stops = append(stops, showProgress(stderr, p.Name, h))
		}
		for _, x := range app.Extensions {
			if stop := x.Watch(p.Name, h, stderr); stop != nil {
				stops = append(stops, stop)
			}
		}
		res, err := h.Wait()
		for _, stop := range stops {
			stop()
		}
		results = append(results, res)
		if *logLevel != "error" {
			reportFailures(stderr, res)
		}
		if *logLevel == "debug" {
			fmt.Fprintf(stderr, "%s: pipeline %s: job %s %s in %s\n", name, res.Pipeline, res.JobID, res.Status, res.Duration)
		}
		if *stats {
			fmt.Fprint(stderr, res.StatsTable())
		}
		if err != nil && res.Status != mgrt.StatusCanceled {
			fmt.Fprintf(stderr, "%s: pipeline %s failed (job %s): %v\n", name, p.Name, res.JobID, err)
			status = ExitFailed
		}
		if ctx.Err() != nil {
			break
		}
	}
	if *statsJSON != "" {
		if err := writeResultsJSON(*statsJSON, results); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			status = ExitFailed
		}
	}
	sigMu.Lock()
	defer sigMu.Unlock()
	if got != nil {
		return signalStatus(got)
	}
	return status
}

func signalStatus(s os.Signal) int {
	if s == syscall.SIGTERM {
		return ExitSIGTERM
	}
	return ExitSIGINT
}

// reportFailures prints the items that failed for good, at most 20, each
// with the run's job id.
func reportFailures(w io.Writer, res mgrt.Result) {
	const most = 20
	for i, f := range res.Failures {
		if i == most {
			fmt.Fprintf(w, "... and %d more failed items (job %s)\n", len(res.Failures)-most, res.JobID)
			break
		}
		fmt.Fprintf(w, "%s (job %s)\n", f.Error(), res.JobID)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// showProgress redraws one line of per-stage counts until stopped.
func showProgress(w io.Writer, name string, h *mgrt.Handle) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				var b strings.Builder
				fmt.Fprintf(&b, "\r\033[K%s:", name)
				for _, s := range h.Stats() {
					fmt.Fprintf(&b, " %s %d/%d", s.Name, s.In, s.Out)
					if s.Workers > 0 {
						fmt.Fprintf(&b, " [%d workers]", s.Workers)
					}
					if s.Failed > 0 {
						fmt.Fprintf(&b, " (%d failed)", s.Failed)
					}
				}
				fmt.Fprint(w, b.String())
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// resultJSON is the JSON form of a Result (errors as text).
type resultJSON struct {
	JobID    string            `json:"job_id"`
	Pipeline string            `json:"pipeline"`
	Status   mgrt.Status       `json:"status"`
	Started  time.Time         `json:"started"`
	Duration time.Duration     `json:"duration_ns"`
	Stages   []mgrt.StageStats `json:"stages"`
	Failures []failureJSON     `json:"failures"`
	Err      string            `json:"error,omitempty"`
}

type failureJSON struct {
	Stage    string `json:"stage"`
	Pos      string `json:"pos"`
	Item     string `json:"item"`
	Err      string `json:"error"`
	Attempts int    `json:"attempts"`
}

func writeResultsJSON(path string, results []mgrt.Result) error {
	out := make([]resultJSON, 0, len(results))
	for _, r := range results {
		rj := resultJSON{JobID: r.JobID, Pipeline: r.Pipeline, Status: r.Status, Started: r.Started, Duration: r.Duration, Stages: r.Stages, Failures: []failureJSON{}}
		if r.Err != nil {
			rj.Err = r.Err.Error()
		}
		for _, f := range r.Failures {
			rj.Failures = append(rj.Failures, failureJSON{Stage: f.Stage, Pos: f.Pos.String(), Item: fmt.Sprint(f.Item), Err: fmt.Sprint(f.Err), Attempts: f.Attempts})
		}
		out = append(out, rj)
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// SetParam parses text into the parameter dst points to: numbers, strings,
// booleans, durations, and any type implementing encoding.TextUnmarshaler or
// flag.Value.
func SetParam(dst any, text string) error {
	switch d := dst.(type) {
	case *time.Duration:
		v, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("invalid duration %q", text)
		}
		*d = v
		return nil
	case encoding.TextUnmarshaler:
		return d.UnmarshalText([]byte(text))
	case flag.Value:
		return d.Set(text)
	}
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("cannot set a %T from the command line", dst)
	}
	e := v.Elem()
	switch e.Kind() {
	case reflect.String:
		e.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("invalid boolean %q", text)
		}
		e.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(text, 0, e.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid integer %q", text)
		}
		e.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(text, 0, e.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid unsigned integer %q", text)
		}
		e.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(text, e.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid number %q", text)
		}
		e.SetFloat(f)
	default:
		return fmt.Errorf("cannot set a %s from the command line", e.Type())
	}
	return nil
}
