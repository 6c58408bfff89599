package mgrt

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestStandardLibraryOnly: the runtime imports nothing outside the standard library but its
// own internal packages (which do the same), so that generated code and built binaries need
// no other module.
func TestStandardLibraryOnly(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not available")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/minigun-go/minigun/runtime").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/minigun-go/minigun/runtime" && !strings.HasPrefix(p, "github.com/minigun-go/minigun/runtime/internal/") {
			t.Errorf("the runtime depends on %s, outside the standard library", p)
		}
	}
}

// TestNoGob: the runtime does not link encoding/gob, whose initialisation every worker process
// would pay; runtime/gobcodec links it into the programs that need it.
func TestNoGob(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not available")
	}
	for _, pkg := range []string{"github.com/minigun-go/minigun/runtime", "github.com/minigun-go/minigun/runtime/cli"} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		if deps := strings.Fields(string(out)); slices.Contains(deps, "encoding/gob") {
			t.Errorf("%s links encoding/gob", pkg)
		}
	}
}
