package failure_budget

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/minigun-go/minigun/internal/exampletest"
)

// program is failure_budget.mg built, once per test binary.
var program = &exampletest.Program{MG: "failure_budget.mg", Name: "import"}

func TestMain(m *testing.M) {
	code := m.Run()
	program.Remove()
	os.Exit(code)
}

// builtProgram builds minigungen, then failure_budget.mg with it.
func builtProgram(t *testing.T) string { return program.Path(t) }

// The exit statuses of the built program: 0 within the budget (failures and
// all), 1 past it (the file's budget, a -budget param or -max-failures), 3
// without a budget when rows failed. Each failed row is logged on stderr, and
// the last line says how a run that did not succeed ended.
func TestImportProgram(t *testing.T) {
	bin := builtProgram(t)
	run := func(args ...string) (stdout string, stderr []string, code int) {
		t.Helper()
		var o, e bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), strings.Split(strings.TrimSuffix(e.String(), "\n"), "\n"), code
	}
	const completed = "%s: 189 loaded, 11 failed for good (parse 5, geocode 6), 40 retries\n" +
		"failed rows: [33 40 66 80 99 120 132 160 165 198 200]\n"
	itemLines := func(lines []string) (n int) {
		for _, l := range lines {
			if strings.Contains(l, `level=WARN msg="item failed"`) {
				n++
			}
		}
		return n
	}

	// within the file's budget of 12: succeeded, exit 0, the 11 failures logged
	out, errLines, code := run()
	if code != 0 || out != fmt.Sprintf(completed, "succeeded") || itemLines(errLines) != 11 || len(errLines) != 11 {
		t.Errorf("no flags: exit %d, stdout %q, stderr\n%s", code, out, strings.Join(errLines, "\n"))
	}

	// no budget: completed_with_failures, exit 3, a last line counting them per stage
	out, errLines, code = run("-max-failures", "-1")
	last := errLines[len(errLines)-1]
	if code != 3 || out != fmt.Sprintf(completed, "completed_with_failures") || itemLines(errLines) != 11 ||
		!strings.Contains(last, `msg="pipeline Import completed with failures: 11 items failed for good (parse 5, geocode 6)"`) ||
		!strings.Contains(last, "status=completed_with_failures failed_items=11") {
		t.Errorf("-max-failures -1: exit %d, stdout %q, stderr\n%s", code, out, strings.Join(errLines, "\n"))
	}

	// past the budget, from the flag that overrides the file's (10) or from the
	// param (-budget 5 over 2000 rows): failed, exit 1, the budget error last
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-max-failures", "10"}, "11 items failed for good, more than max_failures 10 allows"},
		{[]string{"-budget", "5", "-count", "2000"}, "6 items failed for good, more than max_failures 5 allows"},
	} {
		out, errLines, code = run(tc.args...)
		last := errLines[len(errLines)-1]
		if code != 1 || !strings.HasPrefix(out, "failed: ") ||
			!strings.Contains(last, `level=ERROR msg="pipeline Import failed: `) ||
			!strings.Contains(last, tc.want+`; the last: failure_budget.mg:`) ||
			!strings.Contains(last, "status=failed") {
			t.Errorf("%v: exit %d, stdout %q, last line of stderr %q", tc.args, code, out, last)
		}
	}
}
