// Minigun's 19_statistics_gathering: statistics gathered in a pool of worker
// processes, with no tempfile in user code. statistics_test.go runs it.
package statistics

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

go {
	// Entry is one parsed access-log line.
	type Entry struct {
		Method  string
		Path    string
		Status  int
		Bytes   int
		Latency time.Duration
	}

	// statuses is the cycle of response codes in the generated log.
	var statuses = []int{200, 200, 200, 304, 404, 500}

	// logLine is line i of a made-up access log:
	// "GET /items/7 200 259 92ms".
	func logLine(i int) string {
		return fmt.Sprintf("GET /items/%d %d %d %dms", i%50, statuses[i%len(statuses)], i*37%5000, 1+i*13%250)
	}

	// parseLine reads a line written by logLine.
	func parseLine(line string) (Entry, error) {
		f := strings.Fields(line)
		if len(f) != 5 {
			return Entry{}, fmt.Errorf("%q: want 5 fields, have %d", line, len(f))
		}
		status, err := strconv.Atoi(f[2])
		if err != nil {
			return Entry{}, fmt.Errorf("%q: status: %w", line, err)
		}
		bytes, err := strconv.Atoi(f[3])
		if err != nil {
			return Entry{}, fmt.Errorf("%q: bytes: %w", line, err)
		}
		lat, err := time.ParseDuration(f[4])
		if err != nil {
			return Entry{}, fmt.Errorf("%q: latency: %w", line, err)
		}
		return Entry{Method: f[0], Path: f[1], Status: status, Bytes: bytes, Latency: lat}, nil
	}

	// addCounts adds per-key counts: the merge(addCounts) rule of perPID and perStatus.
	func addCounts(into, from map[int]int) map[int]int {
		if into == nil {
			into = map[int]int{}
		}
		for k, n := range from {
			into[k] += n
		}
		return into
	}
}

// Statistics parses an access log in a pool of three worker processes. Each
// worker counts the lines it parsed and the responses per status code, adds
// up the bytes sent and keeps the slowest and fastest response it saw; the
// parent merges them (merge(addCounts), sum, max, min) before after_run, and
// counts requests per path itself.
pipeline Statistics {
	// how many log lines to parse
	param Count int = 1000

	state {
		perPID    map[int]int   merge(addCounts) // lines parsed by each worker process
		perStatus map[int]int   merge(addCounts)
		bytes     int           merge(sum)
		slowest   time.Duration merge(max)
		fastest   time.Duration merge(min) // starts in each worker as the parent's value
		perPath   map[string]int           // counted by the parent's inline consumer
	}

	before_run {
		p.fastest = time.Hour
		p.perPath = map[string]int{}
	}

	producer lines() string {
		for i := 0; i < p.Count; i++ {
			emit(logLine(i))
		}
	}

	processor parse(line string) Entry processes(3) {
		e, err := parseLine(line)
		if err != nil {
			return err
		}
		p.perPID[os.Getpid()]++
		p.perStatus[e.Status]++
		p.bytes += e.Bytes
		p.slowest = max(p.slowest, e.Latency)
		p.fastest = min(p.fastest, e.Latency)
		emit(e)
	}

	consumer tally(e Entry) {
		p.perPath[e.Path]++
	}

	after_run {
		codes := make([]int, 0, len(p.perStatus))
		for code := range p.perStatus {
			codes = append(codes, code)
		}
		sort.Ints(codes)
		for _, code := range codes {
			fmt.Printf("status %d: %d\n", code, p.perStatus[code])
		}
		st, _ := result.Stage("parse")
		fmt.Printf("%d lines parsed by %d workers, %d paths, %d bytes, fastest %v, slowest %v, parse p50 %v\n",
			st.Out, len(p.perPID), len(p.perPath), p.bytes, p.fastest, p.slowest, st.P50)
	}
}
