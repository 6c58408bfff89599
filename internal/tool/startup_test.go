package tool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// startSrc is a small program with a process_per_batch stage: each batch is
// a worker process, the same executable started again, which runs every
// package's initialisation before it serves its item (DESIGN 3.3).
const startSrc = `package main

pipeline Start {
	param Count int = 0
	state {
		sum int
	}
	producer gen() int {
		for i := 0; i < p.Count; i++ {
			emit(i)
		}
	}
	batch 10
	processor add(b []int) int process_per_batch(max: 2) {
		s := 0
		for _, v := range b {
			s += v
		}
		emit(s)
	}
	consumer total(s int) { p.sum += s }
}
`

// buildStartProgram builds startSrc once per benchmark.
func buildStartProgram(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "start.mg"), []byte(startSrc), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "start")
	if code, _, stderr := runTool(b, dir, "build", "start.mg", "-o", bin); code != 0 {
		b.Fatalf("build: exit %d\n%s", code, stderr)
	}
	return bin
}

// BenchmarkBuiltProgramStart times how long a built program takes to start
// and exit: "help" runs -h (package initialisation, then the flags), "worker"
// starts it as a worker for a pipeline it does not have (package
// initialisation, then the worker check exits), "run" runs 20 batches, so 20
// worker processes, through process_per_batch. Run it before and after a
// change to what built binaries link:
//
//	go test ./internal/tool -run '^$' -bench BuiltProgramStart -benchtime 200x -count 5
func BenchmarkBuiltProgramStart(b *testing.B) {
	bin := buildStartProgram(b)
	for _, bc := range []struct {
		name string
		args []string
		env  []string
		ok   bool // exit 0 expected
	}{
		{"help", []string{"-h"}, nil, true},
		{"worker", nil, []string{"MINIGUN_WORKER=main.NoSuchPipeline"}, false},
		{"run20workers", []string{"-count", "200"}, nil, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			env := append(os.Environ(), bc.env...)
			for b.Loop() {
				cmd := exec.Command(bin, bc.args...)
				cmd.Env = env
				err := cmd.Run()
				if bc.ok && err != nil {
					b.Fatalf("%s %v: %v", bin, bc.args, err)
				}
			}
		})
	}
}
