package tool

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/minigun-go/minigun/internal/mgfmt"
)

var fmtCommand = &command{
	name:     "fmt",
	synopsis: "fmt [-l] [-w] [-d] [FILES|DIRS|DIR/...]",
	short:    "format .mg files",
	doc: `fmt formats .mg files in the canonical layout: tab indentation, single
blanks, one declaration a line, a stage's options in one order (max_size,
max_wait, total, the strategy, ordered, from, to, routing, queue_size,
retry, timeout, dead_letter, await), imports sorted, Ruby spellings of
strategies (thread_pool, cow_fork, ipc_fork) rewritten, state
fields and trailing comments aligned, and Go bodies, go { } blocks, types
and expressions formatted by gofmt at their indentation. Comments and
blank-line groups are kept; what the file means never changes. The README
describes every rule.

Without -l, -w or -d it prints the formatted files; with no file it reads
standard input. A file that does not parse is reported, file:line:col, with
exit status 1; a Go body that is not valid Go is left as written, with a
warning.`,
	example:     "minigungen fmt -l ./...   # list the files whose formatting differs",
	interleaved: true,
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		list := fs.Bool("l", false, "list the files whose formatting differs from fmt's")
		write := fs.Bool("w", false, "write the result to the file, when it differs, instead of standard output")
		showDiff := fs.Bool("d", false, "print a unified diff of the changes instead of the result")
		return func(args []string, env Env) int { return formatFiles(args, env, *list, *write, *showDiff) }
	},
}

func formatFiles(args []string, env Env, list, write, showDiff bool) int {
	if len(args) == 0 {
		if write {
			return usageError(env, "-w needs files or directories")
		}
		src, err := io.ReadAll(env.Stdin)
		if err != nil {
			fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
			return ExitDiag
		}
		return formatOne("<standard input>", src, env, list, false, showDiff)
	}
	pkgs, err := collect(args, env)
	if err != nil {
		return usageError(env, "%v", err)
	}
	status := ExitOK
	for _, pf := range pkgs {
		for _, name := range pf.files {
			src, err := os.ReadFile(resolve(env, name))
			if err != nil {
				fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
				status = ExitDiag
				continue
			}
			if code := formatOne(name, src, env, list, write, showDiff); code != ExitOK {
				status = code
			}
		}
	}
	return status
}

// formatOne formats one file and does with it what the flags say.
func formatOne(name string, src []byte, env Env, list, write, showDiff bool) int {
	out, diags := mgfmt.Source(name, src)
	for _, d := range diags {
		fmt.Fprintln(env.Stderr, d.String())
	}
	if out == nil {
		return ExitDiag
	}
	changed := !bytes.Equal(out, src)
	slash := filepath.ToSlash(name)
	if list && changed {
		fmt.Fprintln(env.Stdout, slash)
	}
	if write && changed {
		// The file's mode is kept; only its bytes change.
		path := resolve(env, name)
		mode := os.FileMode(0o644)
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
		if err := os.WriteFile(path, out, mode); err != nil {
			fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
			return ExitDiag
		}
	}
	if showDiff && changed {
		env.Stdout.Write(diff.Diff(slash+".orig", src, slash, out))
	}
	if !list && !write && !showDiff {
		env.Stdout.Write(out)
	}
	return ExitOK
}
