package tool

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

// pkgFiles is the .mg files of one directory: they form one Go package.
type pkgFiles struct {
	dir   string   // as the user wrote it (relative when they did)
	files []string // paths as the user wrote them, slash-separated
}

// collect expands command-line arguments into packages of .mg files:
// a file, a directory (its .mg files), or DIR/... (recursively). Every
// directory named or walked is listed, also when it holds no .mg file.
func collect(args []string, env Env) ([]pkgFiles, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	byDir := map[string]*pkgFiles{}
	var order []string
	addDir := func(dir string) *pkgFiles {
		pf, ok := byDir[dir]
		if !ok {
			pf = &pkgFiles{dir: dir}
			byDir[dir] = pf
			order = append(order, dir)
		}
		return pf
	}
	add := func(path string) {
		pf := addDir(filepath.Dir(path))
		for _, f := range pf.files {
			if f == filepath.ToSlash(path) {
				return
			}
		}
		pf.files = append(pf.files, filepath.ToSlash(path))
	}
	for _, arg := range args {
		recursive := strings.HasSuffix(arg, "/...")
		root := strings.TrimSuffix(arg, "/...")
		if root == "" {
			root = "."
		}
		abs := resolve(env, root)
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("%s: no such file or directory", arg)
		}
		if !st.IsDir() {
			if !strings.HasSuffix(arg, ".mg") {
				return nil, fmt.Errorf("%s: not a .mg file", arg)
			}
			add(root)
			continue
		}
		walkErr := filepath.WalkDir(abs, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != abs && (!recursive || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata" || d.Name() == "vendor") {
					return filepath.SkipDir
				}
				// A directory without .mg files is kept too: generated
				// files left there by a deleted .mg are orphans to remove.
				rel, _ := filepath.Rel(abs, p)
				addDir(filepath.Join(root, rel))
				return nil
			}
			if strings.HasSuffix(p, ".mg") {
				rel, _ := filepath.Rel(abs, p)
				add(filepath.Join(root, rel))
			}
			return nil
		})
		if walkErr != nil {
			return nil, walkErr
		}
	}
	out := make([]pkgFiles, 0, len(order))
	for _, d := range order {
		sort.Strings(byDir[d].files)
		out = append(out, *byDir[d])
	}
	return out, nil
}

// resolve makes a path absolute against the command's working directory.
func resolve(env Env, p string) string {
	if filepath.IsAbs(p) || env.Dir == "" {
		return p
	}
	return filepath.Join(env.Dir, p)
}

// loaded is a checked package.
type loaded struct {
	prog  *ir.Program
	diags dsl.Diagnostics
	srcs  map[string][]byte
	// internal is a failure of minigungen itself (the generator's), printed after the diagnostics.
	internal error
}

// load parses and checks the .mg files of one directory.
func load(pf pkgFiles, env Env, opts ir.Options) loaded {
	l := loaded{srcs: map[string][]byte{}}
	var files []*dsl.File
	for _, name := range pf.files {
		src, err := os.ReadFile(resolve(env, name))
		if err != nil {
			l.diags = append(l.diags, dsl.Diagnostic{Pos: dsl.Pos{File: name, Line: 1, Col: 1}, Msg: fmt.Sprintf("cannot read: %v", err)})
			continue
		}
		l.srcs[name] = src
		f, diags := dsl.Parse(name, src)
		l.diags = append(l.diags, diags...)
		if f != nil {
			files = append(files, f)
		}
	}
	if l.diags.HasErrors() {
		l.diags.Sort()
		return l
	}
	if opts.Dir == "" {
		opts.Dir = resolve(env, pf.dir)
	}
	prog, diags := ir.CheckWith(opts, files...)
	l.prog = prog
	l.diags = append(l.diags, diags...)
	l.diags.Sort()
	return l
}

// generate writes the Go code of a checked package and, with typeCheck,
// type-checks it (DESIGN 4.1): Go's errors join the diagnostics, sorted.
func (l *loaded) generate(opts codegen.Options, typeCheck bool) []codegen.File {
	files, err := codegen.Generate(l.prog, opts)
	if err != nil {
		var diags dsl.Diagnostics
		if errors.As(err, &diags) {
			l.diags = append(l.diags, diags...)
			l.diags.Sort()
		} else {
			l.internal = err
		}
		return nil
	}
	if typeCheck {
		goFiles := make([]ir.GoFile, len(files))
		for i, f := range files {
			goFiles[i] = ir.GoFile{Name: f.Name, Src: f.TypeCheck}
		}
		l.diags = append(l.diags, l.prog.CheckGenerated(goFiles...)...)
		l.diags.Sort()
	}
	return files
}

// report prints diagnostics; with verbose, each with its source line and a
// caret; then an internal error, if any.
func report(w io.Writer, l loaded, verbose bool) {
	for _, d := range l.diags {
		if verbose {
			fmt.Fprintln(w, d.Verbose(l.srcs[d.Pos.File]))
		} else {
			fmt.Fprintln(w, d.String())
		}
	}
	if l.internal != nil {
		fmt.Fprintln(w, l.internal)
	}
}

// dirPackage guesses the package name of a directory from its Go files,
// falling back to the directory's name.
func dirPackage(dir string) string {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasSuffix(n, "_mg.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, n), nil, parser.PackageClauseOnly)
		if err == nil {
			return f.Name.Name
		}
	}
	abs, _ := filepath.Abs(dir)
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return -1
	}, filepath.Base(abs))
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "pipelines"
	}
	return name
}
