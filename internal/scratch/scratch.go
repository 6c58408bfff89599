// Package scratch lays out the Go modules that minigungen builds and
// type-checks .mg files in when they do not live in a module that provides the
// runtime: the runtime's source travels inside minigungen (package minigun's
// RuntimeSource) and is written next to the generated code, with minigungen's
// own go.mod and go.sum, so that the modules its subpackages need are pinned
// to the versions minigungen was built with.
package scratch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	minigun "github.com/minigun-go/minigun"
	"github.com/minigun-go/minigun/templates"
)

// RuntimeModule is the module path of the runtime.
const RuntimeModule = "github.com/minigun-go/minigun"

// RuntimeDir is where a scratch module holds the runtime's source.
const RuntimeDir = "mgruntime"

// WriteRuntime writes the runtime module (go.mod, go.sum and the runtime
// tree, without tests and testdata) into dir.
func WriteRuntime(dir string) error {
	return fs.WalkDir(minigun.RuntimeSource, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, "_test.go") {
			return nil
		}
		data, err := minigun.RuntimeSource.ReadFile(p)
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// WriteModule lays out, in dir, a module named module that requires the
// runtime from its source in dir/mgruntime, with minigungen's go.sum (the main
// module needs the checksums of the runtime's requirements).
func WriteModule(dir, module string) error {
	if err := WriteRuntime(filepath.Join(dir, RuntimeDir)); err != nil {
		return err
	}
	var gomod bytes.Buffer
	if err := templates.BuildGoMod.Execute(&gomod, map[string]string{
		"Module":        module,
		"GoVersion":     GoVersion(),
		"RuntimeModule": RuntimeModule,
		"RuntimeDir":    "./" + RuntimeDir,
	}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), gomod.Bytes(), 0o644); err != nil {
		return err
	}
	sum, err := minigun.RuntimeSource.ReadFile("go.sum")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
}

// GoVersion is the go line of minigungen's go.mod.
func GoVersion() string {
	data, _ := minigun.RuntimeSource.ReadFile("go.mod")
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "1.26"
}

var (
	keyOnce sync.Once
	key     string
)

// sourceKey hashes the runtime source and the go.mod template: a scratch
// module made from other bytes is another directory.
func sourceKey() string {
	keyOnce.Do(func() {
		h := sha256.New()
		fs.WalkDir(minigun.RuntimeSource, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := minigun.RuntimeSource.ReadFile(p)
				fmt.Fprintf(h, "%s\x00%d\x00", p, len(data))
				h.Write(data)
			}
			return nil
		})
		templates.BuildGoMod.Execute(h, map[string]string{"Module": "m", "GoVersion": "v", "RuntimeModule": "r", "RuntimeDir": "d"})
		key = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return key
}

// CheckModuleName is the module path of the module that Shared lays out.
const CheckModuleName = "minigungen.check"

// Shared returns a scratch module that minigungen keeps in the user's cache
// directory to type-check .mg files outside any module: the same directory
// every time for the same runtime source, so that the go command's build cache
// knows the runtime's packages there. It is written once, atomically; nothing
// writes into it afterwards (packages are overlaid into it, never written).
// When the cache directory cannot be written, it is a temporary directory that
// done removes. done is never nil.
func Shared() (dir string, done func(), err error) {
	if cache, err := os.UserCacheDir(); err == nil {
		dir := filepath.Join(cache, "minigungen", "check-"+sourceKey())
		if fileExists(filepath.Join(dir, "go.mod")) {
			return dir, func() {}, nil
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err == nil {
			if tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-check-"); err == nil {
				if err := WriteModule(tmp, CheckModuleName); err == nil {
					if err := os.Rename(tmp, dir); err == nil || fileExists(filepath.Join(dir, "go.mod")) {
						os.RemoveAll(tmp) // another minigungen got there first
						return dir, func() {}, nil
					}
				}
				os.RemoveAll(tmp)
			}
		}
	}
	tmp, err := os.MkdirTemp("", "minigungen-check-")
	if err != nil {
		return "", func() {}, err
	}
	done = func() { os.RemoveAll(tmp) }
	if err := WriteModule(tmp, CheckModuleName); err != nil {
		done()
		return "", func() {}, err
	}
	return tmp, done, nil
}

var runtimeModuleLine = regexp.MustCompile(`(?m)^module\s+` + regexp.QuoteMeta(RuntimeModule) + `\s*$`)

// ModuleProviding returns the root of the module holding dir when that module
// is the minigun module or requires it, else "".
func ModuleProviding(dir string) string {
	for d := dir; ; {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			s := string(data)
			if runtimeModuleLine.MatchString(s) || strings.Contains(s, RuntimeModule+" ") {
				return d
			}
			return ""
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// FindModule returns the directory holding go.mod at or above dir, or "".
func FindModule(dir string) string {
	for {
		if fileExists(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Sanitize makes s usable in a module path and a directory name.
func Sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
