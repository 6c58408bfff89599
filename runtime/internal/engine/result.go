package engine

import (
	"fmt"
	"runtime/debug"
	"time"
)

// Status is how a run ended.
type Status string

// The run statuses.
const (
	StatusSucceeded Status = "succeeded" // every stage ended normally (items may still have failed)
	StatusFailed    Status = "failed"    // a fatal error: producer error, hook error, fail_fast, invalid graph
	StatusCanceled  Status = "canceled"  // the run's context was canceled or Handle.Stop was called
)

// Result is what a run did.
type Result struct {
	JobID    string        // random hex id of this run
	Pipeline string        // GraphConfig.Pipeline
	Status   Status        // how the run ended
	Started  time.Time     // when the run started
	Duration time.Duration // how long it ran
	Stages   []StageStats  // one per stage, in stage creation order
	Failures []Failure     // items that failed for good and were not dead-lettered, in the order they failed
	Err      error         // first fatal error (producer error, hook error, fail_fast), nil otherwise
}

// Stage returns the stats of the stage called name, and false if there is none.
func (r Result) Stage(name string) (StageStats, bool) {
	for _, s := range r.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return StageStats{}, false
}

// Failure is an item that failed for good: every attempt failed and no dead-letter stage took it.
type Failure struct {
	Stage    string // qualified stage name
	Pos      Pos    // the stage's position in the .mg file
	Item     any    // the item itself (for an accumulator, the batch)
	Err      error  // exactly as the body returned it, or a *PanicError
	Attempts int    // how many times the body ran for the item
}

// Error returns `file:line:col: stage "x": item ...: err`.
func (f Failure) Error() string {
	return fmt.Sprintf("%sstage %q: item %s: %v", posPrefix(f.Pos), f.Stage, itemString(f.Item), f.Err)
}

// Unwrap returns the body's error.
func (f Failure) Unwrap() error { return f.Err }

// PanicError is a panic recovered in a stage body or a hook.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack of the panicking goroutine
}

// Error returns "panic: " and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

func newPanicError(v any) *PanicError { return &PanicError{Value: v, Stack: debug.Stack()} }

// StageError is a fatal error attributed to a stage: a producer's error, a stage hook's error,
// or a graph the runtime cannot run.
type StageError struct {
	Stage string // qualified stage name
	Pos   Pos    // the stage's position in the .mg file
	Hook  string // "before", "after", "on_error" for a hook's error; "" otherwise
	Err   error
}

// Error returns `file:line:col: stage "x": err` (with "before hook: " and so on for hooks).
func (e *StageError) Error() string {
	hook := ""
	if e.Hook != "" {
		hook = e.Hook + " hook: "
	}
	return fmt.Sprintf("%sstage %q: %s%v", posPrefix(e.Pos), e.Stage, hook, e.Err)
}

// Unwrap returns the underlying error.
func (e *StageError) Unwrap() error { return e.Err }

// HookError is the error of a run-level hook (before_run, after_run, after_producer).
type HookError struct {
	Pipeline string
	Hook     string // "before_run", "after_run", "after_producer"
	Err      error
}

// Error returns `pipeline "x": before_run hook: err`.
func (e *HookError) Error() string {
	return fmt.Sprintf("pipeline %q: %s hook: %v", e.Pipeline, e.Hook, e.Err)
}

// Unwrap returns the hook's error.
func (e *HookError) Unwrap() error { return e.Err }

func posPrefix(p Pos) string {
	if !p.IsValid() && p.File == "" {
		return ""
	}
	return p.String() + ": "
}

// itemString formats an item for an error message, cut to a readable length.
func itemString(v any) string {
	const max = 60
	s := fmt.Sprintf("%v", v)
	if len(s) > max {
		r := []rune(s)
		if len(r) > max {
			s = string(r[:max]) + "…"
		}
	}
	return s
}
