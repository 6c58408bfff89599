package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Measure is what one process reports about one benchmark.
type Measure struct {
	N           int
	NsPerUnit   float64
	AllocsPerOp float64
	// PeakRSS is the process's own peak resident memory in bytes (VmHWM on Linux, reset at
	// exec). The parent's rusage of a child is not: a child started with vfork reports the
	// parent's resident memory from before its exec.
	PeakRSS int64
}

// One is the -one mode of the bench programs: benchmark one workload of ws (NAME) or one of
// its references (NAME/INDEX) and print its Measure as JSON on stdout; with n > 0, run the
// workload once over n units instead. It returns the exit status.
func One(ws []Workload, name string, n int) int {
	wname, ref := name, -1
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		if _, err := fmt.Sscanf(name[i+1:], "%d", &ref); err == nil {
			wname = name[:i]
		}
	}
	w, ok := Find(ws, wname)
	if !ok || ref >= len(w.Refs) {
		fmt.Fprintf(os.Stderr, "table: no workload %q\n", name)
		return 2
	}
	defer Cleanup()
	var m Measure
	switch {
	case n > 0 && ref < 0:
		// One run over n units, as the memory check needs.
		t0 := time.Now()
		if err := w.Pipeline(n); err != nil {
			fmt.Fprintf(os.Stderr, "table: %s: %v\n", name, err)
			return 1
		}
		m = Measure{N: n, NsPerUnit: float64(time.Since(t0).Nanoseconds()) / float64(n)}
	default:
		run := w.Run
		if ref >= 0 {
			run = w.Refs[ref].Run
		}
		r := testing.Benchmark(run)
		if r.N == 0 {
			fmt.Fprintf(os.Stderr, "table: %s did not run\n", name)
			return 1
		}
		m = Measure{N: r.N, NsPerUnit: float64(r.T.Nanoseconds()) / float64(r.N), AllocsPerOp: float64(r.MemAllocs) / float64(r.N)}
	}
	m.PeakRSS = peakRSS()
	json.NewEncoder(os.Stdout).Encode(m)
	return 0
}

// peakRSS reads this process's VmHWM from /proc (0 where there is none).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
