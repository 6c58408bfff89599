package tool

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	minigun "github.com/minigun-go/minigun"
	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/ir"
	"github.com/minigun-go/minigun/templates"
)

const runtimeModule = "github.com/minigun-go/minigun"

// parseInterleaved parses flags that may come before or after positional
// arguments (minigungen build x.mg -o out).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		rest := fs.Args()
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func cmdBuild(args []string, env Env) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("o", "", "output file (default: the .mg file's name without .mg)")
	verbose := fs.Bool("v", false, "show the source line of each diagnostic, and the go build command")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 || !strings.HasSuffix(pos[0], ".mg") {
		return usageError(env, "build needs one .mg file: minigungen build FILE.mg [-o OUT]")
	}
	file := filepath.ToSlash(pos[0])
	if *out == "" {
		*out = strings.TrimSuffix(path.Base(file), ".mg")
	}
	if err := build(file, resolve(env, *out), env, *verbose); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
		}
		return ExitDiag
	}
	return ExitOK
}

// errReported means the problem was already printed.
var errReported = errors.New("reported")

// generateMain checks a .mg file and generates it as a main package.
func generateMain(file string, env Env, verbose bool) ([]byte, error) {
	if _, err := os.Stat(resolve(env, file)); err != nil {
		return nil, fmt.Errorf("%s: no such file", file)
	}
	l := load(pkgFiles{dir: path.Dir(file), files: []string{file}}, env, ir.Options{})
	report(env.Stderr, l, verbose)
	if l.diags.HasErrors() {
		return nil, errReported
	}
	files, err := codegen.Generate(l.prog, codegen.Options{Package: "main", Main: true, Version: Version})
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return nil, errReported
	}
	return files[0].Content, nil
}

// build compiles a .mg file into a standalone program at out.
func build(file, out string, env Env, verbose bool) error {
	src, err := generateMain(file, env, verbose)
	if err != nil {
		return err
	}
	return compile(file, src, out, env, verbose)
}

// compile builds generated main source for file into out. Inside a module
// that provides the runtime, the main is overlaid into the module so that the
// file may import the module's packages; elsewhere it is built in a scratch
// module holding the runtime source carried by minigungen.
func compile(file string, src []byte, out string, env Env, verbose bool) error {
	absFile, err := filepath.Abs(resolve(env, file))
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(filepath.Base(absFile), ".mg")
	genName := base + "_mg.go"
	tmp, err := os.MkdirTemp("", "minigungen-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	absOut, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	goArgs := []string{"build", "-trimpath", "-buildvcs=false", "-o", absOut}
	var dir, pkg string
	if modDir := moduleProviding(filepath.Dir(absFile)); modDir != "" {
		// Overlay a package directory that does not exist on disk.
		virt := filepath.Join(filepath.Dir(absFile), "mgbuild_"+sanitize(base))
		mainPath := filepath.Join(tmp, genName)
		if err := os.WriteFile(mainPath, src, 0o644); err != nil {
			return err
		}
		ov, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(virt, genName): mainPath}})
		ovPath := filepath.Join(tmp, "overlay.json")
		if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
			return err
		}
		goArgs = append(goArgs, "-overlay", ovPath)
		dir, pkg = filepath.Dir(absFile), "./"+filepath.Base(virt)
	} else {
		if err := writeScratchModule(tmp, base, genName, src); err != nil {
			return err
		}
		dir, pkg = tmp, "."
	}
	goArgs = append(goArgs, pkg)
	cmd := exec.Command(goCommand(), goArgs...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if dir == tmp {
		// The scratch module has no go.sum: let go resolve it. A user's module
		// is built as it is, never rewritten.
		cmd.Env = append(cmd.Env, "GOFLAGS=-mod=mod")
	}
	var stderr bytes.Buffer
	cmd.Stdout = env.Stderr
	cmd.Stderr = &stderr
	if verbose {
		fmt.Fprintf(env.Stderr, "cd %s && go %s\n", dir, strings.Join(goArgs, " "))
	}
	if err := cmd.Run(); err != nil {
		env.Stderr.Write(rewriteGoErrors(stderr.Bytes(), base, file))
		return errReported
	}
	env.Stderr.Write(stderr.Bytes())
	return nil
}

// writeScratchModule lays out a module holding the generated main and the
// embedded runtime source, with minigungen's own go.mod and go.sum for the
// runtime module (the versions its subpackages need).
func writeScratchModule(dir, base, genName string, src []byte) error {
	rtDir := filepath.Join(dir, "mgruntime")
	if err := writeRuntimeSource(rtDir); err != nil {
		return err
	}
	var gomod bytes.Buffer
	if err := templates.BuildGoMod.Execute(&gomod, map[string]string{
		"Module":        "minigungen.build/" + sanitize(base),
		"GoVersion":     runtimeGoVersion(),
		"RuntimeModule": runtimeModule,
		"RuntimeDir":    "./mgruntime",
	}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), gomod.Bytes(), 0o644); err != nil {
		return err
	}
	// The main module needs the checksums of the runtime's requirements: the same go.sum.
	sum, err := minigun.RuntimeSource.ReadFile("go.sum")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, genName), src, 0o644)
}

// writeRuntimeSource writes the runtime module (go.mod, go.sum and the runtime
// tree, without tests and testdata) into dir.
func writeRuntimeSource(dir string) error {
	err := fs.WalkDir(minigun.RuntimeSource, ".", func(p string, d fs.DirEntry, err error) error {
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
	return err
}

// runtimeGoVersion is the go line of minigungen's go.mod.
func runtimeGoVersion() string {
	data, _ := minigun.RuntimeSource.ReadFile("go.mod")
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "1.26"
}

var runtimeModuleLine = regexp.MustCompile(`(?m)^module\s+` + regexp.QuoteMeta(runtimeModule) + `\s*$`)

// moduleProviding returns the root of the module holding dir when that module
// is the minigun module or requires it, else "".
func moduleProviding(dir string) string {
	for d := dir; ; {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			s := string(data)
			if runtimeModuleLine.MatchString(s) ||
				strings.Contains(s, runtimeModule+" ") {
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

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

// goCommand is the go command of the toolchain running minigungen when it
// can be found, else "go" on PATH.
func goCommand() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// rewriteGoErrors points go build's errors at the .mg file as the user named it.
func rewriteGoErrors(out []byte, base, file string) []byte {
	re := regexp.MustCompile(`(?m)(^|\s)(\S*/)?` + regexp.QuoteMeta(base) + `\.mg:`)
	out = re.ReplaceAll(out, []byte("${1}"+file+":"))
	var kept [][]byte
	for _, l := range bytes.Split(out, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("# ")) {
			continue // "# minigungen.build/x": the scratch package's name means nothing to the user
		}
		kept = append(kept, l)
	}
	return bytes.Join(kept, []byte("\n"))
}

// cacheKey names a cached build of generated source.
func cacheKey(src []byte) string {
	h := sha256.New()
	h.Write(src)
	fmt.Fprintf(h, "\x00%s\x00%s\x00%s/%s", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fs.WalkDir(minigun.RuntimeSource, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := minigun.RuntimeSource.ReadFile(p)
			h.Write([]byte(p))
			h.Write(data)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:20]
}
