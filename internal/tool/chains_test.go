package tool

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/ir"
)

// The behaviour suite runs against fused chains (the generated files committed in
// internal/behavior call a chain's stages directly). This runs the same suite once more
// against code generated with every stage on its own, through a go test overlay: the two
// must behave alike.
func TestBehaviorWithoutChains(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the behaviour suite again")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go command")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "internal", "behavior")
	pf := pkgFiles{dir: dir}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.mg"))
	for _, m := range matches {
		pf.files = append(pf.files, filepath.ToSlash(m))
	}
	l := load(pf, Env{}, ir.Options{})
	if l.diags.HasErrors() {
		t.Fatalf("behavior: %v", l.diags)
	}
	files, err := codegen.Generate(l.prog, codegen.Options{DefaultPackage: "behavior", NoChains: true})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	replace := map[string]string{}
	chained := 0
	for _, f := range files {
		old, err := os.ReadFile(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		chained += strings.Count(string(old), "mgrt.Chain(")
		if strings.Contains(string(f.Content), "mgrt.Chain(") {
			t.Fatalf("%s still chains stages", f.Name)
		}
		path := filepath.Join(tmp, filepath.Base(f.Name))
		if err := os.WriteFile(path, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
		replace[f.Name] = path
	}
	if chained == 0 {
		t.Fatal("the behaviour suite has no chain: the comparison means nothing")
	}
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": replace})
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "test", "-count=1", "-overlay", ovPath, "./internal/behavior")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the behaviour suite without chains: %v\n%s", err, out)
	}
}
