// Package tool is the minigungen command: flag parsing, reading and writing
// files, exit codes. cmd/minigungen only calls Main, so tests can run every
// command in process.
package tool

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Version is the minigungen version, printed by `minigungen version`.
const Version = "v0.1.0"

// Exit statuses.
const (
	ExitOK    = 0
	ExitDiag  = 1 // diagnostics, a failed build or stale files
	ExitUsage = 2
)

const usage = `minigungen compiles .mg pipeline descriptions into Go.

Usage:
	minigungen generate [-check] [-fast] [-v] [FILES|DIRS|DIR/...]
	minigungen check [-fast] [-v] FILES|DIRS
	minigungen build [-o OUT] [-v] FILE.mg
	minigungen run FILE.mg [-- ARGS]
	minigungen graph [-format dot|mermaid] [-pipeline NAME] [-fast] FILES|DIR
	minigungen fmt [-l] [-w] FILES|DIRS
	minigungen version

generate writes NAME_mg.go beside each NAME.mg (only when its bytes change)
and removes generated files whose .mg is gone; -check writes nothing and
exits 1 listing stale files. check reports diagnostics without writing.
Both type-check the generated code with the package's Go files and report
Go errors at .mg positions; -fast skips loading Go types (see README).
build writes a standalone program; run builds to a cache and runs it.
graph draws the pipelines' run graphs as Graphviz DOT or Mermaid.
fmt rewrites Ruby spellings (thread_pool, cow_fork, ipc_fork) to the
language's names, keeping everything else as written.
Exit status: 0 ok, 1 diagnostics or failure, 2 usage.
`

// Env is what a command reads and writes besides files.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Dir            string // working directory; "" = the process's
}

// Main runs minigungen with the arguments after the program name. A bug in
// minigungen is reported as an internal error with its stack, not a crash.
func Main(args []string, env Env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			w := env.Stderr
			if w == nil {
				w = os.Stderr
			}
			fmt.Fprintf(w, "minigungen: internal error: %v\n%s", r, debug.Stack())
			code = ExitDiag
		}
	}()
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "generate":
		return cmdGenerate(rest, env)
	case "check":
		return cmdCheck(rest, env)
	case "build":
		return cmdBuild(rest, env)
	case "run":
		return cmdRun(rest, env)
	case "graph":
		return cmdGraph(rest, env)
	case "fmt":
		return cmdFmt(rest, env)
	case "version":
		fmt.Fprintf(env.Stdout, "minigungen %s\n", Version)
		return ExitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "minigungen: unknown command %q\n\n%s", cmd, usage)
	return ExitUsage
}

// usageError prints a command's usage problem and returns ExitUsage.
func usageError(env Env, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(env.Stderr, "minigungen: %s\n", strings.TrimSpace(msg))
	return ExitUsage
}
