package engine

import (
	"bytes"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Status is how a run ended.
type Status string

// The run statuses (DESIGN 3.6). Status is known in the after_run hooks, which may still turn
// a run into a failed one by returning an error.
const (
	// StatusSucceeded: every stage ended normally, and no item failed for good or, with a
	// failure budget (GraphConfig.Budget), no more than it allows.
	StatusSucceeded Status = "succeeded"
	// StatusCompletedWithFailures: every stage ended normally, the run has no failure
	// budget, and items failed for good (Result.FailedItems of them).
	StatusCompletedWithFailures Status = "completed_with_failures"
	// StatusFailed: a fatal error (Result.Err): a producer's error, a hook's error, fail_fast,
	// the failure budget exceeded, an invalid graph or parameter.
	StatusFailed Status = "failed"
	// StatusCanceled: the run's context was canceled or Handle.Stop was called.
	StatusCanceled Status = "canceled"
)

// Result is what a run did.
type Result struct {
	JobID    string        // random hex id of this run
	Pipeline string        // GraphConfig.Pipeline
	Status   Status        // how the run ended
	Started  time.Time     // when the run started
	Duration time.Duration // how long it ran
	Stages   []StageStats  // one per stage, in stage creation order
	// Failures are the first items that failed for good and were not dead-lettered, in the
	// order they failed: at most GraphConfig.KeepFailures of them (default 1000). Every
	// failure is counted, in FailedItems and in each stage's StageStats.Failed; those past
	// the limit are not held in memory.
	Failures    []Failure
	FailedItems int64 // items that failed for good, kept in Failures or not
	Err         error // first fatal error (producer error, hook error, fail_fast, budget), nil otherwise
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
	Err      error  // exactly as the body returned it, a *PanicError, or from a worker process a RemoteError
	Attempts int    // how many times the body ran for the item
}

// ErrText is err's text; a body's error whose Error method panics (a nil *T returned as an
// error) reads as fmt prints it ("<nil>", or the panic), and does not end the program.
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprint(err)
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
	// At is the line of the .mg file that panicked: the innermost frame of the stack in a
	// .mg file (generated bodies carry //line directives), or the zero Pos if none is.
	At Pos
}

// Error returns "panic: " and the panic value, then "(panicked at file.mg:LINE)" when the
// panic happened in a .mg file's code.
func (e *PanicError) Error() string {
	if e.At.IsValid() {
		return fmt.Sprintf("panic: %v (panicked at %s)", e.Value, e.At)
	}
	return fmt.Sprintf("panic: %v", e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// NewPanicError returns the PanicError of the panic value v, with the stack of the calling
// goroutine (call it from the deferred function that recovered v).
func NewPanicError(v any) *PanicError {
	stack := debug.Stack()
	return &PanicError{Value: v, Stack: stack, At: PanicPos(stack)}
}

func newPanicError(v any) *PanicError { return NewPanicError(v) }

// PanicPos returns the innermost frame of a goroutine's stack trace (as debug.Stack prints it)
// that is in a .mg file, "file.mg:LINE" with Col 0, or the zero Pos. Generated stage bodies,
// hooks and go { } blocks carry //line directives, so their frames name the .mg file.
func PanicPos(stack []byte) Pos {
	for len(stack) > 0 {
		line := stack
		if i := bytes.IndexByte(stack, '\n'); i >= 0 {
			line, stack = stack[:i], stack[i+1:]
		} else {
			stack = nil
		}
		// A frame's location line: "\t/path/file.go:123 +0x1f".
		if len(line) == 0 || line[0] != '\t' {
			continue
		}
		loc := string(bytes.TrimSpace(line))
		if i := strings.LastIndex(loc, " +0x"); i >= 0 {
			loc = loc[:i]
		}
		colon := strings.LastIndexByte(loc, ':')
		if colon < 0 || !strings.HasSuffix(loc[:colon], ".mg") {
			continue
		}
		n, err := strconv.Atoi(loc[colon+1:])
		if err != nil || n <= 0 {
			continue
		}
		file := loc[:colon]
		if i := strings.LastIndexAny(file, "/\\"); i >= 0 {
			file = file[i+1:]
		}
		return Pos{File: file, Line: n}
	}
	return Pos{}
}

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

// BudgetError is the fatal error of a run in which more items failed for good than its
// failure budget allows (GraphConfig.Budget and MaxFailures, DESIGN 3.6): the run fails and
// is canceled as with fail_fast.
type BudgetError struct {
	Pipeline    string
	MaxFailures int     // the budget
	Failed      int64   // the items that had failed for good, this one included
	Failure     Failure // the failure that exceeded the budget
}

// Error returns `pipeline "x": N+1 items failed for good, more than max_failures N allows; the
// last: file:line:col: stage "y": item ...`.
func (e *BudgetError) Error() string {
	what := fmt.Sprintf("%d items failed for good, more than max_failures %d allows", e.Failed, e.MaxFailures)
	if e.MaxFailures == 0 {
		what = "an item failed for good and max_failures is 0"
	}
	return fmt.Sprintf("pipeline %q: %s; the last: %v", e.Pipeline, what, e.Failure)
}

// Unwrap returns the failure that exceeded the budget.
func (e *BudgetError) Unwrap() error { return e.Failure }

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
