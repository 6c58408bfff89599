package tool

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const paramsSrc = `package main

import "fmt"

// Adds K to every item, in worker processes.
pipeline Inner {
	// what to add
	param K int = 1
	processor add(n int) int processes(2) { emit(n + p.K) }
}

pipeline Main {
	param Workers int = 2
	state {
		sum int
	}
	producer gen() int {
		for i := 0; i < 10; i++ {
			emit(i)
		}
	}
	processor work(n int) int threads(Workers) { emit(n) }
	nested inner = Inner
	consumer total(n int) { p.sum += n }
	after_run { fmt.Println("sum", p.sum) }
}
`

// A built binary's parameter flags reach what reads them when the run
// starts: -workers changes the goroutines of threads(Workers), and a nested
// pipeline's -k reaches its value and its worker processes.
func TestBuiltParamFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "params.mg"), []byte(paramsSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "params")
	if code, _, stderr := runTool(t, dir, "build", "params.mg", "-o", bin); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	run := func(args ...string) (string, []map[string]any) {
		t.Helper()
		stats := filepath.Join(dir, "stats.json")
		cmd := exec.Command(bin, append([]string{"-pipeline", "Main", "-stats-json", stats}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", bin, args, err, out)
		}
		data, err := os.ReadFile(stats)
		if err != nil {
			t.Fatal(err)
		}
		var results []struct {
			Stages []map[string]any `json:"stages"`
		}
		if err := json.Unmarshal(data, &results); err != nil || len(results) != 1 {
			t.Fatalf("stats: %v\n%s", err, data)
		}
		return strings.TrimSpace(string(out)), results[0].Stages
	}
	workers := func(stages []map[string]any) any {
		for _, s := range stages {
			if s["name"] == "work" {
				return s["goroutines"]
			}
		}
		return nil
	}
	out, stages := run()
	if out != "sum 55" || workers(stages) != float64(2) {
		t.Errorf("defaults: printed %q with work on %v goroutines, want sum 55 on 2", out, workers(stages))
	}
	out, stages = run("-workers", "8", "-k", "7")
	if out != "sum 115" {
		t.Errorf("-k 7: printed %q, want sum 115: the nested pipeline's workers add 7", out)
	}
	if workers(stages) != float64(8) {
		t.Errorf("-workers 8: work ran on %v goroutines, want 8", workers(stages))
	}
	if _, help, _ := runHelp(t, bin); !strings.Contains(help, "-k") {
		t.Errorf("-h lists no -k:\n%s", help)
	}
}

func runHelp(t *testing.T, bin string) (int, string, error) {
	t.Helper()
	out, err := exec.Command(bin, "-h").CombinedOutput()
	return 0, string(out), err
}
