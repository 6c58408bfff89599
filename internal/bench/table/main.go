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
	fmt.Fprintln(tw, "workload\tns/item\treference\tref ns/item\tratio\ttarget")
	for _, w := range bench.Workloads() {
		res := testing.Benchmark(w.Run)
		ns := float64(res.T.Nanoseconds()) / float64(res.N)
		for i, r := range w.Refs {
			ref := testing.Benchmark(r.Run)
			refNs := float64(ref.T.Nanoseconds()) / float64(ref.N)
			name, pns, target := w.Name, fmt.Sprintf("%.1f", ns), w.Target
			if i > 0 {
				name, pns, target = "", "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%.2fx\t%s\n", name, pns, r.Name, refNs, refNs/ns, target)
		}
	}
	tw.Flush()
}
