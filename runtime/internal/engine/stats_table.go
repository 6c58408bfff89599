package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TableWidth is the most columns a line of StatsTable takes.
const TableWidth = 100

// StatsTable returns the stages' stats as an aligned text table, one row per stage, for
// `-stats` in built binaries; no line is wider than TableWidth columns. The first line names
// the pipeline, its .mg file, the job, the status and the duration; the rows give counts and
// latencies with units (1.2M, 76.6M/s, 1.2ms), the shares of each goroutine's time spent in
// bodies, waiting for input and waiting for room downstream, and the stage's line:col; the
// bottleneck is marked with "*". Lines below explain the columns and list the stages' retries,
// dead letters and drops, the failures and the run's error.
func (r Result) StatsTable() string {
	file := ""
	for _, s := range r.Stages {
		if s.Pos.File != "" {
			file = s.Pos.File
			break
		}
	}
	var b strings.Builder
	head := "pipeline " + r.Pipeline
	if file != "" {
		head += " (" + file + ")"
	}
	b.WriteString(fitLine(fmt.Sprintf("%s  job %s  %s in %s", head, r.JobID, r.Status, duration(r.Duration))))
	b.WriteByte('\n')

	header := []string{"", "stage", "strategy", "in", "out", "failed", "p50", "p99", "rate", "busy", "idle", "blocked", "at"}
	left := map[int]bool{0: true, 1: true, 2: true, 12: true}
	rows := [][]string{header}
	external := false
	for _, s := range r.Stages {
		mark := ""
		if s.Bottleneck {
			mark = "*"
		}
		at := s.Pos.String()
		if s.Pos.File == file && s.Pos.IsValid() {
			at = strconv.Itoa(s.Pos.Line) + ":" + strconv.Itoa(s.Pos.Col)
		}
		p50, p99, idle := duration(s.P50), duration(s.P99), share(s.BlockedIn, s.Elapsed, s.Goroutines)
		if s.Kind == KindProducer {
			p50, p99, idle = "-", "-", "-"
		}
		if s.Kind != KindProducer && s.Kind != KindAccumulator && !s.Strategy.Kind.InProcess() {
			external = true
		}
		rows = append(rows, []string{
			mark, s.Name, strategyCell(s), count(s.In), count(s.Out), count(s.Failed), p50, p99, rate(s.Throughput),
			percent(s.BusyShare, s.Elapsed), idle, share(s.BlockedOut, s.Elapsed, s.Goroutines), at,
		})
	}
	b.WriteString(layout(rows, left))

	legend := "busy: share of the time in bodies; idle: waiting for input; blocked: waiting for room " +
		"downstream; each per goroutine (busy: per worker process). * the bottleneck: the stage the " +
		"others wait on."
	if external {
		legend += " Process stages: latency and busy are the body's time in the worker, without the " +
			"process start or the item's trip to it."
	}
	for _, l := range wrap(legend, TableWidth) {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	for _, s := range r.Stages {
		var notes []string
		if s.Retried > 0 {
			notes = append(notes, count(s.Retried)+" retried")
		}
		if s.DeadLettered > 0 {
			notes = append(notes, count(s.DeadLettered)+" dead-lettered")
		}
		if s.Dropped > 0 {
			notes = append(notes, count(s.Dropped)+" dropped (not processed: the run stopped)")
		}
		if len(notes) > 0 {
			b.WriteString(fitLine(s.Name + ": " + strings.Join(notes, ", ")))
			b.WriteByte('\n')
		}
	}
	if r.FailedItems > 0 || len(r.Failures) > 0 {
		n := max(r.FailedItems, int64(len(r.Failures)))
		line := fmt.Sprintf("%s failed for good (%s)", plural(n, "item"), FailedPerStage(r.Stages))
		if len(r.Failures) > 0 {
			line += "; first: " + r.Failures[0].Error()
		}
		b.WriteString(fitLine(line))
		b.WriteByte('\n')
	}
	if r.Err != nil {
		b.WriteString(fitLine("error: " + r.Err.Error()))
		b.WriteByte('\n')
	}
	return b.String()
}

// FailedPerStage lists the stages whose items failed for good with their counts, in stage
// order: "check 2, save 1".
func FailedPerStage(stages []StageStats) string {
	var parts []string
	for _, s := range stages {
		if s.Failed > 0 {
			parts = append(parts, s.Name+" "+strconv.FormatInt(s.Failed, 10))
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.FormatInt(n, 10) + " " + what + "s"
}

// layout aligns rows in columns: text columns left, numbers right. It takes two spaces
// between columns, or one and shorter stage names when that does not fit TableWidth.
func layout(rows [][]string, left map[int]bool) string {
	for _, try := range []struct{ sep, name int }{{2, 20}, {1, 20}, {1, 14}, {1, 10}, {1, 6}} {
		if out, ok := layoutWith(rows, left, try.sep, try.name); ok {
			return out
		}
	}
	out, _ := layoutWith(rows, left, 1, 6)
	var b strings.Builder
	for _, l := range strings.SplitAfter(out, "\n") {
		if l != "" {
			b.WriteString(fitLine(strings.TrimSuffix(l, "\n")))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func layoutWith(rows [][]string, left map[int]bool, sep, nameMax int) (string, bool) {
	cells := make([][]string, len(rows))
	widths := make([]int, len(rows[0]))
	for i, row := range rows {
		cells[i] = append([]string(nil), row...)
		cells[i][1] = cut(cells[i][1], nameMax)
		for j, c := range cells[i] {
			widths[j] = max(widths[j], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	ok := true
	for _, row := range cells {
		var line strings.Builder
		for j, c := range row {
			if j == 1 {
				line.WriteString(" ") // after the bottleneck mark
			} else if j > 1 {
				line.WriteString(strings.Repeat(" ", sep))
			}
			pad := strings.Repeat(" ", widths[j]-utf8.RuneCountInString(c))
			if left[j] {
				line.WriteString(c + pad)
			} else {
				line.WriteString(pad + c)
			}
		}
		l := strings.TrimRight(line.String(), " ")
		if utf8.RuneCountInString(l) > TableWidth {
			ok = false
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String(), ok
}

// cut shortens s to n runes, ending it with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// fitLine cuts a line to TableWidth runes.
func fitLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return cut(s, TableWidth)
}

// wrap breaks text into lines of at most width runes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// strategyCell spells a stage's strategy briefly: producers and accumulators by their kind.
func strategyCell(s StageStats) string {
	switch s.Kind {
	case KindProducer:
		return "producer"
	case KindAccumulator:
		return "accumulator"
	}
	n := strconv.Itoa(s.Strategy.N)
	switch s.Strategy.Kind {
	case Inline:
		return "inline"
	case Threads:
		return "threads(" + n + ")"
	case ProcessPerBatch:
		return "per_batch(" + n + ")"
	case Processes:
		return "processes(" + n + ")"
	case Remote:
		if s.Workers > 0 { // the workers connected (the most at once, once it ended)
			return "remote(" + n + ") " + strconv.Itoa(s.Workers) + "w"
		}
		return "remote(" + n + ")"
	}
	return s.Strategy.Kind.String()
}

// count formats n exactly below a million, then with three significant digits and a unit:
// 999999, 1.23M, 45.6G.
func count(n int64) string {
	if n < 1_000_000 {
		return strconv.FormatInt(n, 10)
	}
	return withUnit(float64(n), "")
}

// rate formats items per second with a unit: 950/s, 12.3k/s, 76.6M/s; "-" for none.
func rate(f float64) string {
	switch {
	case f == 0:
		return "-"
	case f < 10:
		return strconv.FormatFloat(f, 'f', 1, 64) + "/s"
	case f < 1000:
		return strconv.FormatFloat(f, 'f', 0, 64) + "/s"
	}
	return withUnit(f, "/s")
}

// withUnit formats v >= 1000 with three significant digits and k, M, G or T.
func withUnit(v float64, suffix string) string {
	units := []string{"k", "M", "G", "T"}
	u := -1
	for v >= 999.5 && u < len(units)-1 {
		v /= 1000
		u++
	}
	if u < 0 {
		return strconv.FormatFloat(v, 'f', 0, 64) + suffix
	}
	return strconv.FormatFloat(v, 'f', sig(v), 64) + units[u] + suffix
}

// percent formats a share from 0 to 1 as "93%"; "-" when the stage has not been active.
func percent(f float64, active time.Duration) string {
	if active <= 0 {
		return "-"
	}
	return strconv.Itoa(int(f*100+0.5)) + "%"
}

// share formats the time d, summed over goroutines, as a share of each one's active time.
func share(d, active time.Duration, goroutines int) string {
	if active <= 0 {
		return "-"
	}
	f := float64(d) / (float64(active) * float64(max(goroutines, 1)))
	return percent(min(f, 1), active)
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
	case v >= 99.95:
		return 0
	case v >= 9.995:
		return 1
	default:
		return 2
	}
}
