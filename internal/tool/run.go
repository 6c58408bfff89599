package tool

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

func cmdRun(args []string, env Env) int {
	if len(args) == 0 || !strings.HasSuffix(args[0], ".mg") {
		return usageError(env, "run needs a .mg file: minigungen run FILE.mg [-- ARGS]")
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
	bin := filepath.Join(cache, "minigungen", "run", cacheKey(src.full), strings.TrimSuffix(path.Base(file), ".mg"))
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
		if err := compileProgram(file, src, tmp, env, false); err != nil {
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
