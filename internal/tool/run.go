package tool

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
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
time (the go command's build cache keeps that quick).

The cache cleans itself: a program no run has started for a week is
removed, by the next run (which looks at most once a day). A program's last
use is the modification time of its file, set when run starts it and kept
fresh while it runs, so a program a concurrent run is starting or running is
never removed.`,
	example: "minigungen run orders.mg -- -count 1000 -stats",
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		return runFile
	},
}

// The cache of run's programs.
const (
	// runCacheMaxAge is how long a cached program may go unused before a
	// run removes it.
	runCacheMaxAge = 7 * 24 * time.Hour
	// runCacheCleanEvery is how often runs look for unused programs.
	runCacheCleanEvery = 24 * time.Hour
	// runCacheStamp, in the cache, is touched by each look.
	runCacheStamp = ".cleaned"
)

// runCacheTouchEvery is how often a run refreshes the last use of the
// program it runs: far more often than runCacheMaxAge.
var runCacheTouchEvery = time.Hour

func runFile(args []string, env Env) int {
	if len(args) == 0 || !strings.HasSuffix(args[0], ".mg") {
		return usageError(env, "needs a .mg file")
	}
	file := filepath.ToSlash(args[0])
	if missing(env, file) {
		return usageError(env, "%s: no such file or directory", file)
	}
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
	base := strings.TrimSuffix(path.Base(file), ".mg")
	var bin, cache string
	if abs, err := filepath.Abs(resolve(env, file)); err == nil && moduleProviding(filepath.Dir(abs)) != "" {
		// Inside a module the program may import the module's packages, which
		// the key does not cover: build afresh (go's build cache keeps it quick).
		tmp, err := os.MkdirTemp("", "minigungen-run-")
		if err != nil {
			fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
			return ExitDiag
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, base)
	} else {
		cache = runCacheDir()
		bin = filepath.Join(cache, cacheKey(src.full), base)
		// Touched before the cache is cleaned: a program used now is in use.
		touch(bin, time.Now())
		cleanRunCache(cache, time.Now())
	}
	var cmd *exec.Cmd
	for attempt := 0; ; attempt++ {
		if !fileExists(bin) {
			if err := buildInto(file, src, bin, cache, env); err != nil {
				if !errors.Is(err, errReported) {
					fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
				}
				return ExitDiag
			}
		}
		cmd = exec.Command(bin, progArgs...)
		cmd.Dir = env.Dir
		cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
		err := cmd.Start()
		if err == nil {
			break
		}
		if attempt == 0 && errors.Is(err, fs.ErrNotExist) {
			continue // removed by a concurrent run's cleaning since it was touched: build it again
		}
		fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
		return ExitDiag
	}
	return wait(cmd, bin, cache != "")
}

// wait waits for the program, passing on the signals sent to run alone, and
// keeps a cached program's last use fresh while it runs.
func wait(cmd *exec.Cmd, bin string, cached bool) int {
	// Ctrl-C reaches the whole process group: the program decides how to stop,
	// and run reports its exit status.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	tick := time.NewTicker(runCacheTouchEvery)
	defer tick.Stop()
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
			case now := <-tick.C:
				if cached {
					touch(bin, now)
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
		fmt.Fprintf(cmd.Stderr, "minigungen: %v\n", err)
		return ExitDiag
	}
	return ExitOK
}

// runCacheDir is where run keeps its programs: DIR/KEY/NAME.
func runCacheDir() string {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "minigungen", "run")
}

// buildInto compiles the program to bin. A cached program is built in a
// directory of its own inside the cache, then renamed into place: a
// concurrent run of the same file never starts a half-written program, and
// a concurrent cleaning never removes a build under way (its files are new).
func buildInto(file string, src program, bin, cache string, env Env) error {
	if cache == "" {
		return compileProgram(file, src, bin, env, false)
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(cache, ".build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, filepath.Base(bin))
	if err := compileProgram(file, src, out, env, false); err != nil {
		return err
	}
	// A cleaning may remove the key's directory, emptied, between MkdirAll
	// and Rename: try again.
	for attempt := 0; ; attempt++ {
		if err = os.MkdirAll(filepath.Dir(bin), 0o755); err == nil {
			if err = os.Rename(out, bin); err == nil {
				return nil
			}
		}
		if attempt == 2 || !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
}

// touch records a use of a cached program: its modification time is its last
// use. It reports whether the program is there.
func touch(bin string, now time.Time) bool {
	return os.Chtimes(bin, now, now) == nil
}

// cleanRunCache removes the programs of the cache that no run has used since
// runCacheMaxAge before now, at most once per runCacheCleanEvery. It does
// its best and reports nothing: a cache it cannot clean is still a cache.
func cleanRunCache(cache string, now time.Time) {
	stamp := filepath.Join(cache, runCacheStamp)
	if st, err := os.Stat(stamp); err == nil && now.Sub(st.ModTime()) < runCacheCleanEvery {
		return
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return
	}
	if err := os.WriteFile(stamp, nil, 0o644); err != nil {
		return
	}
	_ = os.Chtimes(stamp, now, now)
	removeUnused(cache, now.Add(-runCacheMaxAge))
}

// removeUnused removes the files in the cache's directories (one per key, and
// builds under way) last modified before cutoff, then each directory left
// empty by that or itself unmodified since cutoff. A directory created for a
// build under way is new and its files are new: it is never removed.
func removeUnused(cache string, cutoff time.Time) {
	entries, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	old := func(p string) bool {
		st, err := os.Lstat(p)
		return err == nil && st.ModTime().Before(cutoff)
	}
	for _, e := range entries {
		p := filepath.Join(cache, e.Name())
		if e.Name() == runCacheStamp {
			continue
		}
		if !e.IsDir() {
			if old(p) {
				_ = os.Remove(p)
			}
			continue
		}
		files, err := os.ReadDir(p)
		if err != nil {
			continue
		}
		emptied := false
		for _, f := range files {
			if fp := filepath.Join(p, f.Name()); !f.IsDir() && old(fp) && os.Remove(fp) == nil {
				emptied = true
			}
		}
		if emptied || old(p) {
			_ = os.Remove(p) // only when empty
		}
	}
}
