// Command table runs the DESIGN 5 workloads and their hand-written Go references and prints
// one table (`make bench`): time and allocations per unit, peak RSS, the ratio to each
// reference in the same run and whether the target is met; then the generation time of a
// 200-stage file and the memory of long runs.
//
// Each workload and each reference runs in a process of its own (./internal/bench/runner, or
// this program run again with -one for the workloads that link NATS), so that its peak RSS is
// its own and its worker processes start as a user's program's do. A ratio is reference time per unit over
// pipeline time per unit: above 1 the pipeline is faster.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/minigun-go/minigun/internal/bench"
	"github.com/minigun-go/minigun/internal/bench/natsbench"
	"github.com/minigun-go/minigun/internal/tool"
)

func main() {
	one := flag.String("one", "", "run one workload (NAME) or reference (NAME/INDEX) in this process and print its measure as JSON")
	runs := flag.Int("n", 0, "with -one: run the workload once over this many units instead of benchmarking it")
	only := flag.String("only", "", "run only the workloads whose name contains this text")
	flag.Parse()
	testing.Init()
	if *one != "" {
		os.Exit(bench.One(natsbench.Workloads(), *one, *runs))
	}
	defer bench.Cleanup()
	dir, err := os.MkdirTemp("", "minigun-bench-runner-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	if err := buildRunner(dir); err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}

	start := time.Now()
	fmt.Printf("minigun-go benchmarks: %s\n", machine())
	fmt.Printf("load average at start: %s\n\n", loadAvg())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\tns/unit\tallocs/unit\tpeak RSS\treference\tref ns/unit\tratio\ttarget\tmet")
	failed := 0
	for _, w := range workloads() {
		if !strings.Contains(w.Name, *only) {
			continue
		}
		m, err := child(w.Name, 0)
		if err != nil {
			fmt.Fprintf(tw, "%s\terror: %v\n", w.Name, err)
			failed++
			continue
		}
		unit := w.Unit
		if unit == "" {
			unit = "item"
		}
		row := func(first bool) []string {
			if !first {
				return []string{"", "", "", ""}
			}
			return []string{w.Name, fmt.Sprintf("%.1f", m.NsPerUnit), fmt.Sprintf("%.2f", m.AllocsPerOp), mib(m.PeakRSS)}
		}
		first := true
		if w.MinRate > 0 {
			rate := 1e9 / m.NsPerUnit
			met := rate >= w.MinRate
			failed += notMet(met)
			fmt.Fprintf(tw, "%s\t%s\t\t\t%s\t%s\n", strings.Join(row(true), "\t"), rateString(rate, unit), ">= "+rateString(w.MinRate, unit), yesNo(met))
			first = false
		}
		for i, r := range w.Refs {
			rm, err := child(fmt.Sprintf("%s/%d", w.Name, i), 0)
			if err != nil {
				fmt.Fprintf(tw, "%s\t%s\terror: %v\n", strings.Join(row(first), "\t"), r.Name, err)
				failed++
				first = false
				continue
			}
			ratio := rm.NsPerUnit / m.NsPerUnit
			target, met := "(for scale)", ""
			if r.Min > 0 {
				target = fmt.Sprintf(">= %gx", r.Min)
				met = yesNo(ratio >= r.Min)
				failed += notMet(ratio >= r.Min)
			}
			fmt.Fprintf(tw, "%s\t%s (%s)\t%.1f\t%.2fx\t%s\t%s\n", strings.Join(row(first), "\t"), r.Name, mib(rm.PeakRSS), rm.NsPerUnit, ratio, target, met)
			first = false
		}
	}
	tw.Flush()
	fmt.Println("\nratio: reference time per unit over pipeline time per unit (above 1, the pipeline is faster);")
	fmt.Println("peak RSS: of the process that ran the workload (a reference's in parentheses); stats are on.")

	if *only == "" || strings.Contains("generate", *only) {
		fmt.Println()
		failed += generation()
	}
	if *only == "" || strings.Contains("memory", *only) {
		fmt.Println()
		failed += memory()
	}
	fmt.Printf("\nload average at end: %s; %s in all\n", loadAvg(), time.Since(start).Round(time.Second))
	if failed > 0 {
		fmt.Printf("%d target(s) not met\n", failed)
	}
}

// workloads lists the workloads in table order.
func workloads() []bench.Workload { return append(bench.Workloads(), natsbench.Workloads()...) }

// runner is the program that runs the workloads of package bench: it links the runtime and
// the workloads only, as a user's program does, so that each of its worker processes starts
// as theirs do (this program also links minigungen, for the generation times, and NATS).
var runner string

// buildRunner builds ./internal/bench/runner into dir.
func buildRunner(dir string) error {
	runner = filepath.Join(dir, "runner")
	out, err := exec.Command("go", "build", "-o", runner, "github.com/minigun-go/minigun/internal/bench/runner").CombinedOutput()
	if err != nil {
		return fmt.Errorf("building the runner: %v: %s", err, out)
	}
	return nil
}

// child runs name (a workload, or NAME/INDEX for a reference) with -one in a process of its
// own, the runner's or this program's, and returns its measure with its peak RSS.
func child(name string, n int) (bench.Measure, error) {
	args := []string{"-one", name}
	if n > 0 {
		args = append(args, "-n", fmt.Sprint(n))
	}
	prog := os.Args[0]
	for _, w := range bench.Workloads() {
		if name == w.Name || strings.HasPrefix(name, w.Name+"/") {
			prog = runner
		}
	}
	cmd := exec.Command(prog, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return bench.Measure{}, fmt.Errorf("%v: %s", err, strings.TrimSpace(lastLine(errb.String())))
	}
	var m bench.Measure
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		return bench.Measure{}, fmt.Errorf("reading its measure: %v", err)
	}
	if m.PeakRSS == 0 { // no /proc: the rusage, which may count this program's memory
		m.PeakRSS = peakRSS(cmd.ProcessState)
	}
	return m, nil
}

// generation times minigungen on a 200-stage file: generate -fast, and check with Go
// type loading (DESIGN 5: under 300 ms and 2 s).
func generation() int {
	dir, err := os.MkdirTemp("", "minigun-bench-gen-")
	if err != nil {
		fmt.Println("generate: ", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "big.mg"), []byte(bench.Stages200()), 0o644); err != nil {
		fmt.Println("generate: ", err)
		return 1
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "minigungen, 200-stage file\tmedian\tCPU time\truns\ttarget\tmet")
	failed := 0
	for _, c := range []struct {
		args   []string
		runs   int
		target time.Duration
	}{
		{[]string{"generate", "-fast", "big.mg"}, 9, 300 * time.Millisecond},
		{[]string{"check", "big.mg"}, 5, 2 * time.Second},
	} {
		var times, cpus []time.Duration
		var fail string
		for i := 0; i <= c.runs; i++ { // the first run warms the caches and is not counted
			var errb bytes.Buffer
			t0, c0 := time.Now(), cpuTime()
			code := tool.Main(c.args, tool.Env{Stdout: io.Discard, Stderr: &errb, Dir: dir})
			d, cd := time.Since(t0), cpuTime()-c0
			if code != 0 {
				fail = fmt.Sprintf("exit %d: %s", code, lastLine(errb.String()))
				break
			}
			if i > 0 {
				times, cpus = append(times, d), append(cpus, cd)
			}
		}
		name := "minigungen " + strings.Join(c.args, " ")
		if fail != "" {
			fmt.Fprintf(tw, "%s\terror: %s\n", name, fail)
			failed++
			continue
		}
		slices.Sort(times)
		slices.Sort(cpus)
		med := times[len(times)/2]
		failed += notMet(med < c.target)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t< %s\t%s\n", name, med.Round(time.Millisecond), cpus[len(cpus)/2].Round(time.Millisecond), len(times), c.target, yesNo(med < c.target))
	}
	tw.Flush()
	fmt.Println("CPU time: of this process (check also runs the go command, whose time is not counted).")
	return failed
}

// cpuTime is the user and system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// memory runs the workloads with a Scale once over Scale items and once over three times as
// many: the peak RSS must not grow with the number of items (bounded queues, bounded failure
// records). A run of a tenth of Scale is too short to reach the steady state (the heap of a
// threads stage is still growing towards its GC target), so it is not the baseline.
func memory() int {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "memory over a long run\titems\tpeak RSS\titems\tpeak RSS\tgrowth\ttarget\tmet")
	failed := 0
	for _, w := range workloads() {
		if w.Scale == 0 {
			continue
		}
		small, err1 := child(w.Name, w.Scale)
		big, err2 := child(w.Name, 3*w.Scale)
		if err := errorsJoin(err1, err2); err != nil {
			fmt.Fprintf(tw, "%s\terror: %v\n", w.Name, err)
			failed++
			continue
		}
		// Flat: at most 4 MiB more for 20M more items (a fifth of a byte an item), which the
		// GC's heap target alone may take; a leak of a byte an item shows as 20 MiB.
		growth := big.PeakRSS - small.PeakRSS
		met := growth < 4<<20
		failed += notMet(met)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%+.1f MiB\tflat (< +4 MiB for 3x the items)\t%s\n", w.Name, count(small.N), mib(small.PeakRSS), count(big.N), mib(big.PeakRSS), float64(growth)/(1<<20), yesNo(met))
	}
	tw.Flush()
	return failed
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// peakRSS is the maximum resident set size of a finished process, in bytes.
func peakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes
	}
	return int64(ru.Maxrss) * 1024 // KiB
}

// machine names the machine the table was measured on.
func machine() string {
	cpu := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs (%s/%s), %s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

func count(n int) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%dM", n/1e6)
	case n >= 1e3 && n%1e3 == 0:
		return fmt.Sprintf("%dk", n/1e3)
	}
	return fmt.Sprint(n)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func notMet(ok bool) int {
	if ok {
		return 0
	}
	return 1
}

// rateString formats units per second: 1.2M items/s.
func rateString(perSec float64, unit string) string {
	unit = map[string]string{"item": "items", "batch": "batches"}[unit]
	switch {
	case perSec >= 1e6:
		return fmt.Sprintf("%.2fM %s/s", perSec/1e6, unit)
	case perSec >= 1e3:
		return fmt.Sprintf("%.1fk %s/s", perSec/1e3, unit)
	}
	return fmt.Sprintf("%.0f %s/s", perSec, unit)
}
