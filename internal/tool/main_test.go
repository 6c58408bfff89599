package tool

import (
	"os"
	"testing"
)

// asTool is set in the environment of a test binary started again as the
// minigungen command (see runAsTool): tests that signal minigungen itself
// need it in a process of its own.
const asTool = "MINIGUNGEN_TEST_AS_TOOL"

func TestMain(m *testing.M) {
	if os.Getenv(asTool) == "1" {
		os.Unsetenv(asTool)
		os.Exit(Main(os.Args[1:], Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	code := m.Run()
	removeShared()
	os.Exit(code)
}
