package tool

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

var runCommand = &command{
	name:     "run",
	synopsis: "run FILE.mg [-- ARGS]",
	short:    "build a .mg file into a cached program and run it",
	doc: `run builds a .mg file as build does and runs the program with ARGS (the
program's flags: -count 1000 -stats), passing its exit status through. A
SIGINT or SIGTERM sent to run alone is passed on to the program.

The program is cached in the user's cache directory, under minigungen/run,
by the generated code, minigungen's version and the Go toolchain: running
the same file again starts at once. A file inside a Go module may import the
module's packages, which the key does not cover: it is built afresh each
time (the go command's build cache keeps that quick).`,
	example: "minigungen run orders.mg -- -count 1000 -stats",
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		return runFile
	},
}

func runFile(args []string, env Env) int {
	if len(args) == 0 || !strings.HasSuffix(args[0], ".mg") {
		return usageError(env, "needs a .mg file")
	}
	file := filepath.ToSlash(args[0])
	progArgs := args[1:]
	if len(progArgs) > 0 && progArgs[0] == "--" {
		progArgs = progArgs[1:]
	}
	src, err := generateMain(file, env, false)
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
		}
		return ExitDiag
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bin := filepath.Join(cache, "minigungen", "run", cacheKey(src), strings.TrimSuffix(path.Base(file), ".mg"))
	if abs, err := filepath.Abs(resolve(env, file)); err == nil && moduleProviding(filepath.Dir(abs)) != "" {
		// Inside a module the program may import the module's packages, which
		// the key does not cover: build afresh (go's build cache keeps it quick).
		tmp, err := os.MkdirTemp("", "minigungen-run-")
		if err != nil {
			fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
			return ExitDiag
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, strings.TrimSuffix(path.Base(file), ".mg"))
	}
	if !fileExists(bin) {
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
			return ExitDiag
		}
		tmp := bin + ".tmp"
		if err := compile(file, src, tmp, env, false); err != nil {
			if !errors.Is(err, errReported) {
				fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
			}
			return ExitDiag
		}
		if err := os.Rename(tmp, bin); err != nil {
			fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
			return ExitDiag
		}
	}
	cmd := exec.Command(bin, progArgs...)
	cmd.Dir = env.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
	// Ctrl-C reaches the whole process group: the program decides how to stop,
	// and run reports its exit status.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
		return ExitDiag
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				// Ctrl-C at a terminal reaches the program with the whole
				// foreground process group: passing it on would make it a
				// second signal, which stops the program at once. Any other
				// SIGINT, and every SIGTERM, was sent to run alone (kill, a
				// supervisor) and is passed on.
				if s == syscall.SIGTERM || !terminalForeground() {
					_ = cmd.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return exit.ExitCode()
		}
		fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
		return ExitDiag
	}
	return ExitOK
}
