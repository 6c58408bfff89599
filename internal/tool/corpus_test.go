package tool

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The conformance corpus (../shared/spec beside the repository, see its
// README): every program is checked, built and run with no flags and must
// print its `// want:` block and exit with the status of its `// exit: N`
// line (0 without one); every file in errors/ is rejected and every file
// in warnings/ accepted with the diagnostics their comments name.

// pending lists corpus programs whose features are not built yet, with the
// reason. Turning one on is deleting its line.
var pending = map[string]string{}

func specDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "spec"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("conformance corpus not found at %s: clone the project with shared/ beside it to run it", dir)
	}
	return dir
}

// commentBlock returns the lines of the `// NAME:` comment block of a file.
func commentBlock(src []byte, name string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		t := strings.TrimRight(line, "\r")
		if !strings.HasPrefix(t, "//") {
			if in {
				break
			}
			continue
		}
		text := strings.TrimPrefix(strings.TrimPrefix(t, "//"), " ")
		if text == name+":" {
			in = true
			continue
		}
		if in {
			if text == "" {
				break
			}
			out = append(out, text)
		}
	}
	return out
}

func runTool(t testing.TB, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, Env{Stdout: &out, Stderr: &errb, Dir: dir})
	return code, out.String(), errb.String()
}

func TestCorpusPrograms(t *testing.T) {
	dir := specDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.mg"))
	if len(files) == 0 {
		t.Fatalf("no programs in %s", dir)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".mg"), func(t *testing.T) {
			if why, ok := pending[name]; ok {
				t.Skipf("pending: %s", why)
			}
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := commentBlock(src, "want")
			if len(want) == 0 {
				t.Fatalf("%s has no want: block", name)
			}
			bin := filepath.Join(t.TempDir(), "prog")
			if code, _, stderr := runTool(t, dir, "check", name); code != 0 {
				t.Fatalf("check %s: exit %d\n%s", name, code, stderr)
			}
			if code, _, stderr := runTool(t, dir, "build", name, "-o", bin); code != 0 {
				t.Fatalf("build %s: exit %d\n%s", name, code, stderr)
			}
			wantCode := 0
			if m := exitLine.FindSubmatch(src); m != nil {
				wantCode, _ = strconv.Atoi(string(m[1]))
			}
			cmd := exec.Command(bin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			code := 0
			if err := cmd.Run(); err != nil {
				var exit *exec.ExitError
				if !errors.As(err, &exit) {
					t.Fatalf("%s: %v", name, err)
				}
				code = exit.ExitCode()
			}
			if code != wantCode {
				t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", name, code, wantCode, stdout.String(), stderr.String())
			}
			got := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s printed:\n%s\nwant:\n%s\nstderr:\n%s", name, stdout.String(), strings.Join(want, "\n"), stderr.String())
			}
		})
	}
}

// exitLine is a program's `// exit: N` line: the status it must exit with (0 without one).
var exitLine = regexp.MustCompile(`(?m)^// exit: *(\d+)\s*$`)

var wantLine = regexp.MustCompile(`^(\S+?):(\d+):\s*(.*)$`)

// checkWanted runs check on a file and matches its diagnostics with the
// file's `// KIND:` block.
func checkWanted(t *testing.T, dir, name, kind string, wantCode int) {
	src, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	wants := commentBlock(src, kind)
	if len(wants) == 0 {
		t.Fatalf("%s has no %s: block", name, kind)
	}
	code, _, stderr := runTool(t, dir, "check", name)
	if code != wantCode {
		t.Fatalf("check %s: exit %d, want %d\n%s", name, code, wantCode, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, w := range wants {
		m := wantLine.FindStringSubmatch(w)
		if m == nil {
			t.Fatalf("%s: malformed %s line %q", name, kind, w)
		}
		file, line, text := m[1], m[2], m[3]
		found := false
		for _, l := range lines {
			prefix, rest, ok := strings.Cut(l, ":"+line+":")
			if ok && strings.HasSuffix(prefix, file) && strings.Contains(rest, text) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no diagnostic matches %q; got:\n%s", name, w, stderr)
		}
	}
}

func TestCorpusErrors(t *testing.T) {
	dir := filepath.Join(specDir(t), "errors")
	files, _ := filepath.Glob(filepath.Join(dir, "*.mg"))
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".mg"), func(t *testing.T) {
			t.Parallel()
			checkWanted(t, dir, name, "want-error", ExitDiag)
		})
	}
}

func TestCorpusWarnings(t *testing.T) {
	dir := filepath.Join(specDir(t), "warnings")
	files, _ := filepath.Glob(filepath.Join(dir, "*.mg"))
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".mg"), func(t *testing.T) {
			t.Parallel()
			checkWanted(t, dir, name, "want-warning", ExitOK)
		})
	}
}
