// Package tool is the minigungen command: flag parsing, reading and writing
// files, exit codes. cmd/minigungen only calls Main, so tests can run every
// command in process.
package tool

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/minigun-go/minigun/dsl"
)

// Version is the minigungen version, printed by `minigungen version`.
const Version = "v0.1.0"

// Exit statuses.
const (
	ExitOK    = 0
	ExitDiag  = 1 // diagnostics, a failed build or stale files
	ExitUsage = 2
)

// Env is what a command reads and writes besides files.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Dir            string // working directory; "" = the process's

	cmd string // the command running, for its usage errors
}

// command is one minigungen command: its help and what runs it.
type command struct {
	name     string
	synopsis string // after "minigungen ": every flag, then the arguments
	short    string // one line in the overview
	doc      string // what it does, for minigungen help NAME
	example  string // one command line, with what it does
	// interleaved accepts flags after the arguments too (build x.mg -o out);
	// otherwise flags come first and the rest are arguments (run's program's).
	interleaved bool
	// setup defines the command's flags and returns what runs it with the
	// arguments left once they are parsed.
	setup func(fs *flag.FlagSet) func(args []string, env Env) int
}

// commands in the order the overview lists them (set in init: help refers to it).
var commands []*command

func init() {
	commands = []*command{generateCommand, checkCommand, buildCommand, runCommand, graphCommand, fmtCommand, versionCommand, helpCommand}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
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
		return usageError(env, "no command")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	cmd := lookup(name)
	if cmd == nil {
		if strings.HasPrefix(name, "-") {
			return usageError(env, "flag provided but not defined: %s; a command comes first", name)
		}
		msg := fmt.Sprintf("unknown command %q", name)
		if s := suggest(name); s != "" {
			msg += fmt.Sprintf(": did you mean %q?", s)
		}
		return usageError(env, "%s", msg)
	}
	env.cmd = cmd.name
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	run := cmd.setup(fs)
	pos, err := parseFlags(fs, rest, cmd.interleaved)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(env.Stdout, cmd)
		return ExitOK
	}
	if err != nil {
		return usageError(env, "%v", err)
	}
	return run(pos, env)
}

// parseFlags parses a command's flags; with interleaved they may also follow
// its arguments (minigungen build x.mg -o out), up to a "--".
func parseFlags(fs *flag.FlagSet, args []string, interleaved bool) ([]string, error) {
	if !interleaved {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		return fs.Args(), nil
	}
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

// usageError prints a usage problem as one line, pointing at the command's
// help, and returns ExitUsage.
func usageError(env Env, format string, args ...any) int {
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	if env.cmd == "" {
		fmt.Fprintf(env.Stderr, "minigungen: %s (see minigungen help)\n", msg)
	} else {
		fmt.Fprintf(env.Stderr, "minigungen %s: %s (see minigungen help %s)\n", env.cmd, msg, env.cmd)
	}
	return ExitUsage
}

// printUsage writes a command's help: synopsis, what it does, its flags with
// their defaults, and an example.
func printUsage(w io.Writer, cmd *command) {
	fmt.Fprintf(w, "usage: minigungen %s\n\n%s\n", cmd.synopsis, strings.TrimSpace(cmd.doc))
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	cmd.setup(fs)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fmt.Fprintf(w, "\nExample:\n%s\n", indentLines(strings.TrimSpace(cmd.example)))
}

func indentLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "\t" + l
		}
	}
	return strings.Join(lines, "\n")
}

// overview is minigungen help without a command.
func overview(w io.Writer) {
	fmt.Fprint(w, "minigungen compiles .mg pipeline descriptions into Go.\n\nUsage:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\tminigungen %s\n\t\t%s\n", c.synopsis, c.short)
	}
	fmt.Fprint(w, `
Run minigungen help COMMAND (or minigungen COMMAND -h) for a command's
synopsis, flags and an example. Diagnostics are file:line:col: message.
Exit status: 0 ok, 1 diagnostics or failure, 2 usage.
`)
}

// suggest returns the command a misspelt name most likely means, or "".
func suggest(name string) string {
	best, bestD := "", 3
	for _, c := range commands {
		if d := dsl.Distance(name, c.name); d < bestD {
			best, bestD = c.name, d
		}
	}
	return best
}

var versionCommand = &command{
	name:     "version",
	synopsis: "version",
	short:    "print the version (also minigungen -version)",
	doc:      "version prints minigungen's version.",
	example:  "minigungen version",
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		return func(args []string, env Env) int {
			if len(args) > 0 {
				return usageError(env, "takes no arguments")
			}
			fmt.Fprintf(env.Stdout, "minigungen %s\n", Version)
			return ExitOK
		}
	},
}

var helpCommand = &command{
	name:     "help",
	synopsis: "help [COMMAND]",
	short:    "print this overview, or a command's synopsis, flags and example",
	doc: `help prints the overview of the commands, or with a command's name its
synopsis, what it does, its flags with their defaults and an example (as
minigungen COMMAND -h does).`,
	example: "minigungen help fmt",
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		return func(args []string, env Env) int {
			switch {
			case len(args) == 0:
				overview(env.Stdout)
				return ExitOK
			case len(args) > 1:
				return usageError(env, "takes one command")
			}
			cmd := lookup(args[0])
			if cmd == nil {
				msg := fmt.Sprintf("unknown command %q", args[0])
				if s := suggest(args[0]); s != "" {
					msg += fmt.Sprintf(": did you mean %q?", s)
				}
				env.cmd = ""
				return usageError(env, "%s", msg)
			}
			printUsage(env.Stdout, cmd)
			return ExitOK
		}
	},
}
