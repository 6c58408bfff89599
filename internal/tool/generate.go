package tool

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/ir"
)

var generateCommand = &command{
	name:     "generate",
	synopsis: "generate [-check] [-fast] [-v] [FILES|DIRS|DIR/...]",
	short:    "write NAME_mg.go beside each NAME.mg",
	doc: `generate checks the .mg files of each package named (a file, a directory, or
DIR/... for a tree; the current directory by default) and writes NAME_mg.go
beside each NAME.mg, only when its bytes change. Generated files whose .mg
is gone are removed. The generated code is type-checked with the package's
Go files, and Go errors are reported at their .mg positions. With -check
nothing is written, and stale generated files are listed with exit 1.`,
	example:     "minigungen generate -check ./...   # in CI: fail when a _mg.go is stale",
	interleaved: true,
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		checkOnly := fs.Bool("check", false, "write nothing; exit 1 listing stale generated files")
		verbose := fs.Bool("v", false, "show the source line of each diagnostic")
		fast := fs.Bool("fast", false, "skip Go type loading and the type check of the generated code")
		return func(args []string, env Env) int { return generate(args, env, *checkOnly, *verbose, *fast) }
	},
}

func generate(args []string, env Env, checkOnly, verbose, fast bool) int {
	pkgs, err := collect(args, env)
	if err != nil {
		return usageError(env, "%v", err)
	}
	status := ExitOK
	var stale []string
	for _, pf := range pkgs {
		var files []codegen.File
		if len(pf.files) > 0 {
			var l loaded
			l, files = generatePackage(pf, env, fast)
			report(env.Stderr, l, verbose)
			if l.diags.HasErrors() || l.internal != nil {
				status = ExitDiag
				continue
			}
		}
		for _, f := range files {
			path := resolve(env, f.Name)
			old, err := os.ReadFile(path)
			if err == nil && bytes.Equal(old, f.Content) {
				continue
			}
			if checkOnly {
				stale = append(stale, f.Name)
				continue
			}
			if err := os.WriteFile(path, f.Content, 0o644); err != nil {
				fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
				status = ExitDiag
			}
		}
		// Generated files whose .mg is gone.
		for _, orphan := range orphans(resolve(env, pf.dir), pf.dir) {
			if checkOnly {
				stale = append(stale, orphan)
				continue
			}
			if err := os.Remove(resolve(env, orphan)); err != nil {
				fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
				status = ExitDiag
			}
		}
	}
	if len(stale) > 0 {
		fmt.Fprintln(env.Stderr, "minigungen: generated files are stale (run minigungen generate):")
		for _, s := range stale {
			fmt.Fprintf(env.Stderr, "\t%s\n", filepath.ToSlash(s))
		}
		return ExitDiag
	}
	return status
}

// orphans lists generated files in dir whose source .mg no longer exists.
func orphans(absDir, dir string) []string {
	entries, err := os.ReadDir(absDir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), "_mg.go") {
			continue
		}
		src := ir.GeneratedSource(filepath.Join(absDir, e.Name()))
		if src == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(absDir, src)); os.IsNotExist(err) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// generatePackage checks the .mg files of a package, generates their Go and,
// unless fast, type-checks it; the diagnostics of all three are in l.
func generatePackage(pf pkgFiles, env Env, fast bool) (l loaded, files []codegen.File) {
	pkg := dirPackage(resolve(env, pf.dir))
	l = load(pf, env, ir.Options{DefaultPackage: pkg, Fast: fast})
	if l.diags.HasErrors() {
		return l, nil
	}
	return l, l.generate(codegen.Options{DefaultPackage: pkg}, !fast)
}

var checkCommand = &command{
	name:     "check",
	synopsis: "check [-fast] [-v] FILES|DIRS",
	short:    "report diagnostics, write nothing",
	doc: `check reports the diagnostics of .mg files, Go type errors in bodies
included (at their .mg positions), sorted, one per line, and writes nothing.
A directory is one package, checked together; files named one by one are
checked one by one. -fast skips Go type loading (see the README for what it
does not check).`,
	example:     "minigungen check -v orders.mg   # each diagnostic with its source line",
	interleaved: true,
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		verbose := fs.Bool("v", false, "show the source line of each diagnostic")
		fast := fs.Bool("fast", false, "skip Go type loading: no binding, merge(FUNC), gob or Go type check")
		return func(args []string, env Env) int { return check(args, env, *verbose, *fast) }
	},
}

func check(args []string, env Env, verbose, fast bool) int {
	if len(args) == 0 {
		return usageError(env, "needs .mg files or directories")
	}
	pkgs, err := collect(args, env)
	if err != nil {
		return usageError(env, "%v", err)
	}
	status := ExitOK
	for _, pf := range pkgs {
		if len(pf.files) == 0 {
			continue
		}
		// Files named one by one are checked one by one: each is its own program.
		groups := [][]string{pf.files}
		if allNamed(args, pf.files) {
			groups = nil
			for _, f := range pf.files {
				groups = append(groups, []string{f})
			}
		}
		for _, g := range groups {
			var l loaded
			if fast {
				l = load(pkgFiles{dir: pf.dir, files: g}, env, ir.Options{NoTypes: true})
			} else {
				l, _ = generatePackage(pkgFiles{dir: pf.dir, files: g}, env, false)
			}
			report(env.Stderr, l, verbose)
			if l.diags.HasErrors() || l.internal != nil {
				status = ExitDiag
			}
		}
	}
	return status
}

// allNamed reports whether every file was named on the command line.
func allNamed(args, files []string) bool {
	named := map[string]bool{}
	for _, a := range args {
		named[filepath.ToSlash(a)] = true
	}
	for _, f := range files {
		if !named[f] {
			return false
		}
	}
	return true
}
