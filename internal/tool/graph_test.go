package tool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const graphSrc = `package main

pipeline Flow {
	pipeline ingest to(work) {
		producer read() int {
			emit(1)
		}
	}
	pipeline work {
		processor double(n int) int threads(4) dead_letter(bad) { emit(n * 2) }
		consumer save(n int) {}
		consumer bad(f mgrt.Failed[int]) {}
	}
}
`

func TestGraph(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "flow.mg"), []byte(strings.Replace(graphSrc, "package main", "package main\n\nimport mgrt \"github.com/minigun-go/minigun/runtime\"", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runTool(t, dir, "graph", "flow.mg")
	if code != 0 {
		t.Fatalf("graph: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		`subgraph "cluster_Flow.ingest"`,
		`"Flow.ingest.read" [label="read\nproducer", shape=cds];`,
		`"Flow.work.double" [label="double\nprocessor · threads(4)"];`,
		`"Flow.ingest.read" -> "Flow.work.double";`,
		`"Flow.work.double" -> "Flow.work.save";`,
		`"Flow.work.double" -> "Flow.work.bad" [style=dashed, label="dead letter"];`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("DOT output lacks %s:\n%s", want, out)
		}
	}
	code, out, stderr = runTool(t, dir, "graph", "-format", "mermaid", "flow.mg")
	if code != 0 {
		t.Fatalf("graph -format mermaid: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"flowchart LR",
		"Flow_ingest_read[/\"read<br/>producer\"/]",
		"Flow_ingest_read --> Flow_work_double",
		"Flow_work_double -. dead letter .-> Flow_work_bad",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Mermaid output lacks %s:\n%s", want, out)
		}
	}
	if code, _, _ := runTool(t, dir, "graph", "-format", "png", "flow.mg"); code != ExitUsage {
		t.Errorf("graph -format png: exit %d, want %d", code, ExitUsage)
	}
	if code, _, _ := runTool(t, dir, "graph", "-pipeline", "Nope", "flow.mg"); code != ExitUsage {
		t.Errorf("graph -pipeline Nope: exit %d, want %d", code, ExitUsage)
	}
}
