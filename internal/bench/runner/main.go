// Command runner runs one workload of package bench, or one of its references, and prints its
// measure as JSON (the -one mode of ./internal/bench/table, which builds and starts it). It
// links the runtime and the workloads only, as a user's program does.
package main

import (
	"flag"
	"os"
	"testing"

	"github.com/minigun-go/minigun/internal/bench"
)

func main() {
	bench.ExitIfAsked()
	one := flag.String("one", "", "run one workload (NAME) or reference (NAME/INDEX) and print its measure as JSON")
	runs := flag.Int("n", 0, "with -one: run the workload once over this many units instead of benchmarking it")
	flag.Parse()
	testing.Init()
	if *one == "" {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(bench.One(bench.Workloads(), *one, *runs))
}
