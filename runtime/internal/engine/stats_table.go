package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StatsTable returns the stages' stats as an aligned text table, one row per stage, for
// `-stats` in built binaries. The first line names the pipeline, the job, the status and the
// duration.
func (r Result) StatsTable() string {
	header := []string{"stage", "kind", "strategy", "in", "out", "failed", "retried", "dead", "dropped",
		"p50", "p90", "p99", "items/s", "blocked in", "blocked out", "pos"}
	rows := [][]string{header}
	for _, s := range r.Stages {
		rows = append(rows, []string{
			s.Name, s.Kind.String(), strategyCell(s),
			count(s.In), count(s.Out), count(s.Failed), count(s.Retried), count(s.DeadLettered), count(s.Dropped),
			duration(s.P50), duration(s.P90), duration(s.P99), rate(s.Throughput),
			duration(s.BlockedIn), duration(s.BlockedOut), s.Pos.String(),
		})
	}
	// Text columns are left-aligned, numbers right-aligned.
	left := map[int]bool{0: true, 1: true, 2: true, 15: true}
	widths := make([]int, len(header))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline %s  job %s  %s in %s\n", r.Pipeline, r.JobID, r.Status, duration(r.Duration))
	for _, row := range rows {
		var line strings.Builder
		for i, c := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if left[i] {
				line.WriteString(c + pad)
			} else {
				line.WriteString(pad + c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	if n := len(r.Failures); n > 0 {
		fmt.Fprintf(&b, "%d failed item(s); first: %v\n", n, r.Failures[0])
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "error: %v\n", r.Err)
	}
	return b.String()
}

func count(n int64) string { return strconv.FormatInt(n, 10) }

func rate(f float64) string {
	switch {
	case f == 0:
		return "-"
	case f >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64)
	default:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
}

// duration formats d with three significant digits, "-" for zero.
func duration(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Microsecond:
		return d.String()
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e3, 'f', sig(float64(d)/1e3), 64) + "µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', sig(float64(d)/1e6), 64) + "ms"
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', sig(d.Seconds()), 64) + "s"
	}
}

// sig returns how many decimals show three significant digits of v (v >= 1).
func sig(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	default:
		return 2
	}
}

// strategyCell is a stage's strategy, with the workers of a remote stage.
func strategyCell(s StageStats) string {
	if s.Workers > 0 {
		return s.Strategy.String() + " " + strconv.Itoa(s.Workers) + "w"
	}
	return s.Strategy.String()
}
