// Command table runs the DESIGN §5 workloads and their hand-written Go
// references in one process and prints a table of ratios (`make bench`).
// A ratio is reference time per item over pipeline time per item: above 1
// the pipeline is faster.
package main

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"text/tabwriter"

	"github.com/minigun-go/minigun/internal/bench"
)

func main() {
	testing.Init()
	fmt.Printf("minigun-go benchmarks (%s, %d CPUs, %s)\n\n", runtime.Version(), runtime.NumCPU(), runtime.GOARCH)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	defer bench.Cleanup()
	fmt.Fprintln(tw, "workload\tns/unit\tunits/s\treference\tref ns/unit\tratio\ttarget")
	for _, w := range bench.Workloads() {
		res := testing.Benchmark(w.Run)
		ns := float64(res.T.Nanoseconds()) / float64(res.N)
		unit := w.Unit
		if unit == "" {
			unit = "item"
		}
		for i, r := range w.Refs {
			ref := testing.Benchmark(r.Run)
			refNs := float64(ref.T.Nanoseconds()) / float64(ref.N)
			name, pns, rate, target := w.Name, fmt.Sprintf("%.1f", ns), rateString(1e9/ns, unit), w.Target
			if i > 0 {
				name, pns, rate, target = "", "", "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\t%.2fx\t%s\n", name, pns, rate, r.Name, refNs, refNs/ns, target)
		}
	}
	tw.Flush()
	fmt.Println("\nratio: reference time per unit over pipeline time per unit (above 1, the pipeline is faster).")
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
