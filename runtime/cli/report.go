package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	mgrt "github.com/minigun-go/minigun/runtime"
)

// Log levels of built binaries (-log-level), from the fewest lines to the most:
//
//	error  runs that failed, with their error (the last line on stderr)
//	warn   also each item that failed for good (the first 20 of a run), runs that completed
//	       with failures or were canceled, with their failures or drops per stage, and signals
//	       (the default)
//	info   also each run's start and end: job, status, duration, items in and out
//	debug  also the stack of each failed item's panic (a worker process's stack for a
//	       process stage)
//
// Lines go to stderr through log/slog, as text (key=value) or JSON (-log-format); every line
// carries its time, and a run's lines its job id and pipeline.
func parseLevel(s string) (slog.Level, bool) {
	switch s {
	case "error":
		return slog.LevelError, true
	case "warn":
		return slog.LevelWarn, true
	case "info":
		return slog.LevelInfo, true
	case "debug":
		return slog.LevelDebug, true
	}
	return 0, false
}

// logSink makes the slog.Logger of a built binary when the first line is logged: a run that
// logs nothing (the common case at the default level) does not pay for it at start.
type logSink struct {
	w      io.Writer
	format string
	level  slog.Level
	once   sync.Once
	l      *slog.Logger
}

func (s *logSink) logger() *slog.Logger {
	s.once.Do(func() {
		opts := &slog.HandlerOptions{Level: s.level}
		if s.format == "json" {
			s.l = slog.New(slog.NewJSONHandler(s.w, opts))
		} else {
			s.l = slog.New(slog.NewTextHandler(s.w, opts))
		}
	})
	return s.l
}

// logger logs through a logSink with attributes of its own (a run's job and pipeline).
type logger struct {
	sink  *logSink
	attrs []any
}

func newLogger(w io.Writer, format string, level slog.Level) logger {
	return logger{sink: &logSink{w: w, format: format, level: level}}
}

// with returns a logger that adds attrs to every line.
func (l logger) with(attrs ...any) logger {
	return logger{l.sink, append(slices.Clip(l.attrs), attrs...)}
}

func (l logger) enabled(level slog.Level) bool { return level >= l.sink.level }

func (l logger) log(level slog.Level, msg string, attrs ...any) {
	if l.enabled(level) {
		l.sink.logger().Log(context.Background(), level, msg, append(slices.Clip(l.attrs), attrs...)...)
	}
}

func (l logger) info(msg string, attrs ...any)  { l.log(slog.LevelInfo, msg, attrs...) }
func (l logger) warn(msg string, attrs ...any)  { l.log(slog.LevelWarn, msg, attrs...) }
func (l logger) error(msg string, attrs ...any) { l.log(slog.LevelError, msg, attrs...) }

// mostFailures is how many failed items of a run are logged, each on its own line.
const mostFailures = 20

// reportFailures logs the items of a run that failed for good, the first mostFailures, with
// their stacks at debug level.
func reportFailures(log logger, res mgrt.Result) {
	if !log.enabled(slog.LevelWarn) {
		return
	}
	debug := log.enabled(slog.LevelDebug)
	for i, f := range res.Failures {
		if i == mostFailures {
			break
		}
		attrs := []any{"stage", f.Stage, "pos", f.Pos.String(), "item", itemText(f.Item), "attempts", f.Attempts, "error", errText(f.Err)}
		if at := f.PanickedAt(); at.IsValid() {
			attrs = append(attrs, "panicked_at", at.String())
		}
		var re *mgrt.RemoteError
		if errors.As(f.Err, &re) && re.PID > 0 {
			attrs = append(attrs, "pid", re.PID)
		}
		if debug {
			if stack := stackOf(f.Err); stack != "" {
				attrs = append(attrs, "stack", stack)
			}
		}
		log.warn("item failed", attrs...)
	}
	if n := res.FailedItems - int64(min(len(res.Failures), mostFailures)); n > 0 {
		log.warn(fmt.Sprintf("%d more items failed for good, not listed", n), "failed_items", res.FailedItems)
	}
}

// stackOf returns the stack a failure carries: a panic's, or a worker process's.
func stackOf(err error) string {
	var pe *mgrt.PanicError
	if errors.As(err, &pe) {
		return string(pe.Stack)
	}
	var re *mgrt.RemoteError
	if errors.As(err, &re) {
		return re.Stack
	}
	return ""
}

// errText is err's text, as fmt prints it: an error whose Error method panics (a nil *T
// returned as an error) reads "<nil>" or the panic, and does not end the program.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprint(err)
}

// itemText is an item as a log line shows it, cut to a readable length.
func itemText(v any) string {
	const most = 200
	s := fmt.Sprint(v)
	if r := []rune(s); len(r) > most {
		s = string(r[:most]) + "…"
	}
	return s
}

// summary is the line that says how a run that did not succeed ended, per stage; it is
// logged after every run has ended, so that the last line on stderr says what failed.
type summary struct {
	level slog.Level
	msg   string
	attrs []any
}

// summarize returns the summary line of a run, and false for a run that succeeded.
func summarize(res mgrt.Result, sig string) (summary, bool) {
	attrs := []any{"job", res.JobID, "pipeline", res.Pipeline, "status", string(res.Status)}
	failed := ""
	if res.FailedItems > 0 {
		failed = fmt.Sprintf("%s failed for good (%s)", items(res.FailedItems), failedPerStage(res.Stages))
		attrs = append(attrs, "failed_items", res.FailedItems)
	}
	switch res.Status {
	case mgrt.StatusFailed:
		// The run's error names its pipeline for Go callers; the line names it already.
		why := strings.TrimPrefix(fmt.Sprint(res.Err), fmt.Sprintf("pipeline %q: ", res.Pipeline))
		msg := fmt.Sprintf("pipeline %s failed: %s", res.Pipeline, why)
		if failed != "" {
			msg += "; " + failed
		}
		return summary{slog.LevelError, msg, attrs}, true
	case mgrt.StatusCompletedWithFailures:
		return summary{slog.LevelWarn, fmt.Sprintf("pipeline %s completed with failures: %s", res.Pipeline, failed), attrs}, true
	case mgrt.StatusCanceled:
		msg := fmt.Sprintf("pipeline %s canceled", res.Pipeline)
		if sig != "" {
			msg += " by " + sig
		}
		var dropped []string
		var n int64
		for _, s := range res.Stages {
			if s.Dropped > 0 {
				n += s.Dropped
				dropped = append(dropped, fmt.Sprintf("%s %d", s.Name, s.Dropped))
			}
		}
		if n > 0 {
			msg += fmt.Sprintf(": %s not processed (%s)", items(n), strings.Join(dropped, ", "))
		}
		if failed != "" {
			msg += "; " + failed
		}
		return summary{slog.LevelWarn, msg, attrs}, true
	}
	return summary{}, false
}

// failedPerStage lists the stages whose items failed for good with their counts, in stage
// order: "check 2, save 1".
func failedPerStage(stages []mgrt.StageStats) string {
	var parts []string
	for _, s := range stages {
		if s.Failed > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s.Name, s.Failed))
		}
	}
	return strings.Join(parts, ", ")
}

func items(n int64) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}

// logRunEnd logs, at info level, how a run ended with each stage's counts.
func logRunEnd(log logger, res mgrt.Result) {
	if !log.enabled(slog.LevelInfo) {
		return
	}
	var counts []string
	for _, s := range res.Stages {
		counts = append(counts, fmt.Sprintf("%s %d/%d", s.Name, s.In, s.Out))
	}
	log.info("run ended", "status", string(res.Status), "duration", res.Duration.String(), "failed_items", res.FailedItems,
		"stages_in_out", strings.Join(counts, ", "))
}

// writeResultsJSON writes the runs' results, an array in the schema of mgrt.Result's JSON
// form, to path.
func writeResultsJSON(path string, results []mgrt.Result) error {
	if results == nil {
		results = []mgrt.Result{}
	}
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
