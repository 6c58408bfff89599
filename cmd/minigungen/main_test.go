package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/minigun-go/minigun/internal/tool"
)

// The CLI tests are testscript scripts in testdata/script. TestMain makes
// this test binary double as the minigungen command (the scripts run it with
// `exec minigungen`), so no separate build is needed.

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"minigungen": func() { os.Exit(tool.Main(os.Args[1:], tool.Env{})) },
	})
}

func TestScripts(t *testing.T) {
	goEnv := realGoEnv(t)
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// build and run need a working go command: the real caches,
			// module proxy and toolchain, and a HOME of the script's own.
			for k, v := range goEnv {
				env.Setenv(k, v)
			}
			env.Setenv("HOME", filepath.Join(env.WorkDir, ".home"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			env.Setenv("GOFLAGS", "-mod=mod")
			root, err := filepath.Abs(filepath.Join("..", ".."))
			if err != nil {
				return err
			}
			env.Setenv("MGROOT", root) // this checkout, for a go.mod's replace
			env.Values[snapshotsKey{}] = map[string]string{}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":  cmdExitcode,
			"snapshot":  cmdSnapshot,
			"unchanged": cmdUnchanged,
			"stagejson": cmdStageJSON,
		},
	})
}

// realGoEnv reads the go command's settings that the scripts' go must share.
func realGoEnv(t *testing.T) map[string]string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	keys := []string{"GOROOT", "GOPATH", "GOCACHE", "GOMODCACHE", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE", "GOTOOLCHAIN"}
	out, err := exec.Command(goBin, append([]string{"env", "-json"}, keys...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	env := map[string]string{}
	if err := json.Unmarshal(out, &env); err != nil {
		t.Fatalf("go env: %v", err)
	}
	for k, v := range env {
		if v == "" {
			delete(env, k)
		}
	}
	env["PATH"] = filepath.Join(env["GOROOT"], "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	return env
}

// exitcode N PROG [ARGS...] runs PROG and fails unless it exits with status
// N; its stdout and stderr are then checked as after exec.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("usage: exitcode N program [args...]: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// snapshotTime is an mtime no write made by the test can give a file.
var snapshotTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// snapshotsKey holds a script's snapshots: file contents by absolute path.
type snapshotsKey struct{}

func snapshots(ts *testscript.TestScript) map[string]string {
	return ts.Value(snapshotsKey{}).(map[string]string)
}

// snapshot FILE... sets each file's mtime far in the past and remembers its
// content, for unchanged.
func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: snapshot file...")
	}
	for _, f := range args {
		path := ts.MkAbs(f)
		ts.Check(os.Chtimes(path, snapshotTime, snapshotTime))
		snapshots(ts)[path] = ts.ReadFile(f)
	}
}

// unchanged FILE... fails unless each file still has the bytes and the mtime
// it had at its snapshot: nothing wrote it, not even the same bytes.
// ! unchanged FILE fails unless one of them changed.
func cmdUnchanged(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: unchanged file...")
	}
	var changed []string
	for _, f := range args {
		path := ts.MkAbs(f)
		st, err := os.Stat(path)
		ts.Check(err)
		if !st.ModTime().Equal(snapshotTime) {
			changed = append(changed, fmt.Sprintf("%s was written (mtime %v)", f, st.ModTime()))
			continue
		}
		want, ok := snapshots(ts)[path]
		if !ok {
			ts.Fatalf("no snapshot of %s", f)
		}
		if ts.ReadFile(f) != want {
			changed = append(changed, f+" has other bytes")
		}
	}
	switch {
	case neg && len(changed) == 0:
		ts.Fatalf("%v unchanged, want a change", args)
	case !neg && len(changed) > 0:
		ts.Fatalf("%v", changed)
	}
}

// stagejson FILE checks that FILE is the JSON written by a built program's
// -stats-json and prints one line per stage: pipeline, status, stage, in,
// out, failed (the counts that do not depend on timing).
func cmdStageJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: stagejson file")
	}
	var runs []struct {
		Pipeline string `json:"pipeline"`
		Status   string `json:"status"`
		Stages   []struct {
			Name   string `json:"name"`
			In     *int64 `json:"in"`
			Out    *int64 `json:"out"`
			Failed *int64 `json:"failed"`
		} `json:"stages"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(ts.ReadFile(args[0]))))
	if err := dec.Decode(&runs); err != nil {
		ts.Fatalf("%s: invalid JSON: %v", args[0], err)
	}
	if dec.More() {
		ts.Fatalf("%s: data after the JSON value", args[0])
	}
	for _, r := range runs {
		for _, s := range r.Stages {
			if s.In == nil || s.Out == nil || s.Failed == nil {
				ts.Fatalf("%s: stage %q lacks in, out or failed", args[0], s.Name)
			}
			fmt.Fprintf(ts.Stdout(), "%s %s %s in=%d out=%d failed=%d\n", r.Pipeline, r.Status, s.Name, *s.In, *s.Out, *s.Failed)
		}
	}
}
