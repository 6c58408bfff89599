package tool

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
	"github.com/minigun-go/minigun/internal/scratch"
	"github.com/minigun-go/minigun/ir"
)

var buildCommand = &command{
	name:     "build",
	synopsis: "build [-o OUT] [-v] FILE.mg",
	short:    "build a standalone program from a .mg file",
	doc: `build checks a .mg file as package main and compiles it into a program that
runs its pipelines, with a flag per param, -pipeline, -stats, -progress and
the others (run the program with -h). The build is reproducible and works
for a file outside any Go module: the runtime's source travels inside
minigungen. Flags may follow the file.`,
	example:     "minigungen build orders.mg -o bin/orders && bin/orders -count 1000 -stats",
	interleaved: true,
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		out := fs.String("o", "", "output file (default: the .mg file's name without .mg)")
		verbose := fs.Bool("v", false, "show the source line of each diagnostic, and the go build command")
		return func(pos []string, env Env) int {
			if len(pos) != 1 || !strings.HasSuffix(pos[0], ".mg") {
				return usageError(env, "needs one .mg file")
			}
			file := filepath.ToSlash(pos[0])
			if missing(env, file) {
				return usageError(env, "%s: no such file or directory", file)
			}
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
	},
}

// errReported means the problem was already printed.
var errReported = errors.New("reported")

// program is the generated main of a built binary, in its two images (runtime/cli: the
// views image): full with the extensions, lean without.
type program struct{ full, lean []byte }

// missing reports whether file does not exist.
func missing(env Env, file string) bool {
	_, err := os.Stat(resolve(env, file))
	return errors.Is(err, fs.ErrNotExist)
}

// generateMain checks a .mg file and generates it as a main package.
func generateMain(file string, env Env, verbose bool) (program, error) {
	if _, err := os.Stat(resolve(env, file)); err != nil {
		return program{}, fmt.Errorf("%s: no such file", file)
	}
	// Checked, generated and type-checked as it is compiled: on its own, as
	// package main. The lean image differs only by the extensions it leaves out.
	l := load(pkgFiles{dir: path.Dir(file), files: []string{file}}, env, ir.Options{Standalone: true})
	var files []codegen.File
	if !l.diags.HasErrors() {
		files = l.generate(codegen.Options{Package: "main", Main: true, Version: Version}, true)
	}
	report(env.Stderr, l, verbose)
	if l.diags.HasErrors() || l.internal != nil || len(files) == 0 {
		return program{}, errReported
	}
	lean, err := codegen.Generate(l.prog, codegen.Options{Package: "main", Main: true, NoExtensions: true, Version: Version})
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return program{}, errReported
	}
	return program{full: files[0].Content, lean: lean[0].Content}, nil
}

// build compiles a .mg file into a standalone program at out.
func build(file, out string, env Env, verbose bool) error {
	src, err := generateMain(file, env, verbose)
	if err != nil {
		return err
	}
	return compileProgram(file, src, out, env, verbose)
}

// compileProgram builds both images of a program and writes them into out: the lean one,
// then the full one and its trailer (runtime/cli: the views image).
func compileProgram(file string, p program, out string, env Env, verbose bool) error {
	tmp, err := os.MkdirTemp("", "minigungen-images-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	full, lean := filepath.Join(tmp, "full"), filepath.Join(tmp, "lean")
	if err := compile(file, p.full, full, env, verbose); err != nil {
		return err
	}
	if err := compile(file, p.lean, lean, env, verbose); err != nil {
		return err
	}
	fullData, err := os.ReadFile(full)
	if err != nil {
		return err
	}
	leanData, err := os.ReadFile(lean)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil { // -o bin/prog makes bin
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if err := appendViews(f, leanData, fullData); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
		// The type check reported Go's errors before the build; what is
		// left is the go command's (a module it cannot fetch, the linker).
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
	if err := scratch.WriteModule(dir, "minigungen.build/"+scratch.Sanitize(base)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, genName), src, 0o644)
}

func moduleProviding(dir string) string { return scratch.ModuleProviding(dir) }

func sanitize(s string) string { return scratch.Sanitize(s) }

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

// viewsMagic ends a built binary that carries its full image after its lean one; the same
// as runtime/cli.ViewsMagic, which reads it (a test checks).
const viewsMagic = "mgviews1"

// appendViews writes a built binary: the lean image, the full image, then the trailer (the
// full image's length, little-endian, and viewsMagic).
func appendViews(w io.Writer, lean, full []byte) error {
	var tr [16]byte
	binary.LittleEndian.PutUint64(tr[:8], uint64(len(full)))
	copy(tr[8:], viewsMagic)
	for _, b := range [][]byte{lean, full, tr[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
