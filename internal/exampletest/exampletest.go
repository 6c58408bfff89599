// Package exampletest builds an example's .mg file into a program for its tests, as a user
// would: minigungen built from this checkout, then `minigungen build`.
package exampletest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Program is one .mg file built once per test binary (go test -count=N runs the tests N times
// in one process), in a directory Remove deletes.
type Program struct {
	MG   string // the .mg file, relative to the package's directory
	Name string // the program's file name

	once sync.Once
	dir  string
	bin  string
	err  error
}

// Path builds the program the first time it is asked for and returns its path.
func (p *Program) Path(t *testing.T) string {
	t.Helper()
	p.once.Do(func() {
		if p.dir, p.err = os.MkdirTemp("", "minigun-example-"); p.err != nil {
			return
		}
		gen := filepath.Join(p.dir, "minigungen")
		if out, err := exec.Command("go", "build", "-o", gen, "github.com/minigun-go/minigun/cmd/minigungen").CombinedOutput(); err != nil {
			p.err = fmt.Errorf("building minigungen: %v\n%s", err, out)
			return
		}
		bin := filepath.Join(p.dir, p.Name)
		if out, err := exec.Command(gen, "build", "-o", bin, p.MG).CombinedOutput(); err != nil {
			p.err = fmt.Errorf("minigungen build: %v\n%s", err, out)
			return
		}
		p.bin = bin
	})
	if p.err != nil {
		t.Fatal(p.err)
	}
	return p.bin
}

// Remove deletes what Path built; call it from TestMain after the tests ran.
func (p *Program) Remove() {
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}
