package engine

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The JSON forms of a run's Result (written by -stats-json in built binaries), of StageStats
// (Handle.Stats) and of GraphInfo (Graph()) follow one schema: snake_case keys, kinds,
// strategies and statuses as words, positions as "file:line:col", durations as integer
// nanoseconds with "_ns" in the key, rates as numbers. Keys are never left out unless marked
// "omitted when" below; new keys may be added, existing ones keep their meaning.
//
// A Result (-stats-json writes an array of them, one per run, in run order):
//
//	{
//	  "job_id":       "3f9a0c2e1b7d4a56",          // random hex id of the run
//	  "pipeline":     "Orders",
//	  "status":       "completed_with_failures",   // succeeded | completed_with_failures | failed | canceled
//	  "started":      "2026-01-02T15:04:05.123456789Z", // RFC 3339
//	  "duration_ns":  1234567,
//	  "failed_items": 3,                            // every item that failed for good
//	  "error":        "…",                          // the run's fatal error; omitted when none
//	  "stages":       [ stage stats, in creation order ],
//	  "failures":     [ failure, the first keep_failures ones ]
//	}
//
// A stage's stats (StageStats):
//
//	{
//	  "name": "check", "kind": "processor",        // producer | processor | consumer | accumulator | custom
//	  "pos": "orders.mg:12:7",
//	  "strategy": {"kind": "threads", "n": 4},     // see a strategy below
//	  "in": 1000, "out": 990, "failed": 3, "retried": 7, "dead_lettered": 0, "dropped": 0,
//	  "total": 1000,                               // a producer's total(N); omitted when unknown
//	  "p50_ns": 1200, "p90_ns": 2000, "p95_ns": 2500, "p99_ns": 9000,
//	  "items_per_second": 76600000.5,
//	  "blocked_in_ns": 1000, "blocked_out_ns": 0,  // summed over the stage's goroutines
//	  "elapsed_ns": 13000000,                      // the run's start to the stage's end (or now)
//	  "busy_ns": 12000000,                         // time in bodies, summed over goroutines or workers
//	  "busy_share": 0.92,                          // busy_ns / (elapsed_ns * concurrency), 0 to 1
//	  "concurrency": 4,                            // bodies that may run at once
//	  "goroutines": 4, "processes": 0,             // running the stage (processes: live workers)
//	  "queue_len": 0, "queue_cap": 1000,           // input queue; cap -1 unbounded, 0 none
//	  "bottleneck": true                           // the stage the others wait on, at most one
//	}
//
// A strategy: {"kind": "inline"}, {"kind": "threads", "n": 4},
// {"kind": "process_per_batch", "n": 4, "ipc": "tempfile"}, {"kind": "processes", "n": 4,
// "recycle": 100}, {"kind": "remote", "n": 3, "chunk": 100, "ack_wait_ns": 30000000000,
// "in_flight": 8, "max_deliver": 5}; "n", "ipc", "recycle" and the remote keys are omitted
// when zero.
//
// A failure (Failure):
//
//	{
//	  "stage": "check", "pos": "orders.mg:12:7",   // the stage and its position
//	  "item": "Order{ID: 7}",                       // the item as fmt's %v prints it, cut to 60 characters
//	  "error": "…", "attempts": 3,
//	  "panicked_at": "orders.mg:15"                 // the .mg line of a panic; omitted when none
//	}
//
// A graph (GraphInfo):
//
//	{
//	  "pipeline": "Orders",
//	  "stages": [{"name": "gen", "kind": "producer", "pos": "orders.mg:9:11",
//	              "strategy": {"kind": "inline"}, "queue_size": 0, "total": 100}, …],
//	  "edges":  [{"from": "gen", "to": "check"}, {"from": "check", "to": "bad", "dead_letter": true}]
//	}
//
// "queue_size" is the input queue's capacity (-1 unbounded, 0 for producers); "total" and
// "dead_letter" are omitted when zero.

// MarshalText returns the kind's word: "producer", "processor", ...
func (k StageKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's word.
func (k *StageKind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = StageKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown stage kind %q", b)
}

// MarshalText returns the strategy's word: "inline", "threads", ...
func (k StrategyKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a strategy's word.
func (k *StrategyKind) UnmarshalText(b []byte) error {
	for i, n := range strategyNames {
		if n == string(b) {
			*k = StrategyKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown strategy %q", b)
}

// MarshalText returns "file:line:col" ("file:line" without a column), "" for the zero Pos.
func (p Pos) MarshalText() ([]byte, error) {
	if p == (Pos{}) {
		return []byte{}, nil
	}
	return []byte(p.String()), nil
}

// UnmarshalText reads what MarshalText writes.
func (p *Pos) UnmarshalText(b []byte) error {
	s := string(b)
	if s == "" || s == "-" {
		*p = Pos{}
		return nil
	}
	var nums []int
	for range 2 {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			break
		}
		n, err := strconv.Atoi(s[i+1:])
		if err != nil {
			break
		}
		nums = append(nums, n)
		s = s[:i]
	}
	switch len(nums) {
	case 2:
		*p = Pos{File: s, Line: nums[1], Col: nums[0]}
	case 1:
		*p = Pos{File: s, Line: nums[0]}
	default:
		return fmt.Errorf("invalid position %q", b)
	}
	return nil
}

// resultJSON is the JSON form of a Result.
type resultJSON struct {
	JobID       string        `json:"job_id"`
	Pipeline    string        `json:"pipeline"`
	Status      Status        `json:"status"`
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration_ns"`
	FailedItems int64         `json:"failed_items"`
	Err         string        `json:"error,omitempty"`
	Stages      []StageStats  `json:"stages"`
	Failures    []Failure     `json:"failures"`
}

// MarshalJSON writes the result in the schema above (errors as their text).
func (r Result) MarshalJSON() ([]byte, error) {
	rj := resultJSON{JobID: r.JobID, Pipeline: r.Pipeline, Status: r.Status, Started: r.Started,
		Duration: r.Duration, FailedItems: r.FailedItems, Stages: r.Stages, Failures: r.Failures}
	rj.Err = ErrText(r.Err)
	if rj.Stages == nil {
		rj.Stages = []StageStats{}
	}
	if rj.Failures == nil {
		rj.Failures = []Failure{}
	}
	return json.Marshal(rj)
}

// failureJSON is the JSON form of a Failure.
type failureJSON struct {
	Stage      string `json:"stage"`
	Pos        Pos    `json:"pos"`
	Item       string `json:"item"`
	Err        string `json:"error"`
	Attempts   int    `json:"attempts"`
	PanickedAt Pos    `json:"panicked_at,omitzero"`
}

// MarshalJSON writes the failure in the schema above.
func (f Failure) MarshalJSON() ([]byte, error) {
	fj := failureJSON{Stage: f.Stage, Pos: f.Pos, Item: itemString(f.Item), Attempts: f.Attempts, PanickedAt: f.PanickedAt()}
	fj.Err = ErrText(f.Err)
	return json.Marshal(fj)
}

// PanickedAt returns the .mg line where the item's body panicked (PanicError.At, or the At
// field of an error from a worker process), or the zero Pos when it did not panic there.
func (f Failure) PanickedAt() Pos {
	if a, ok := f.Err.(interface{ PanicAt() Pos }); ok {
		return a.PanicAt()
	}
	return Pos{}
}

// PanicAt returns At (the interface Failure.PanickedAt looks for).
func (e *PanicError) PanicAt() Pos { return e.At }
