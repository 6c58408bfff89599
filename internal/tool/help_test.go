package tool

import (
	"flag"
	"strings"
	"testing"
)

// Each command's help names every flag it defines in its synopsis, says what
// it does and gives an example; help NAME and NAME -h print it on stdout.
func TestHelp(t *testing.T) {
	_, overview, _ := runTool(t, t.TempDir(), "help")
	for _, c := range commands {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(c.synopsis, "[-"+f.Name+"]") && !strings.Contains(c.synopsis, "[-"+f.Name+" ") {
				t.Errorf("%s: flag -%s is not in the synopsis %q", c.name, f.Name, c.synopsis)
			}
		})
		if !strings.HasPrefix(c.synopsis, c.name) || c.short == "" || c.doc == "" || !strings.HasPrefix(c.example, "minigungen "+c.name) {
			t.Errorf("%s: incomplete help: synopsis %q, short %q, example %q", c.name, c.synopsis, c.short, c.example)
		}
		if !strings.Contains(overview, "\tminigungen "+c.synopsis+"\n") {
			t.Errorf("the overview does not list %q", c.synopsis)
		}
		code, help, stderr := runTool(t, t.TempDir(), "help", c.name)
		if code != ExitOK || stderr != "" || !strings.HasPrefix(help, "usage: minigungen "+c.synopsis+"\n") || !strings.Contains(help, "\nExample:\n\tminigungen "+c.name) {
			t.Errorf("help %s: exit %d, stderr %q, stdout:\n%s", c.name, code, stderr, help)
		}
		code, dashH, stderr := runTool(t, t.TempDir(), c.name, "-h")
		if code != ExitOK || stderr != "" || dashH != help {
			t.Errorf("%s -h: exit %d, stderr %q, stdout differs from help %s:\n%s", c.name, code, stderr, c.name, dashH)
		}
	}
}

// A usage error is one line on stderr naming the help to read, and exit 2.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nosuch"},
		{"-nosuch"},
		{"generate", "-nosuch"},
		{"check"},
		{"build"},
		{"build", "a.mg", "-o"},
		{"run"},
		{"graph", "-format", "png", "x.mg"},
		{"fmt", "-w"},
		{"fmt", "-nosuch", "x.mg"},
		{"version", "extra"},
		{"help", "nosuch"},
		{"help", "fmt", "build"},
	} {
		code, out, stderr := runTool(t, t.TempDir(), args...)
		help := "(see minigungen help)"
		if len(args) > 0 && lookup(args[0]) != nil && args[0] != "help" || len(args) > 1 && args[0] == "help" && lookup(args[1]) != nil {
			help = "(see minigungen help " + args[0] + ")"
		}
		if code != ExitUsage || out != "" || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, help+"\n") {
			t.Errorf("minigungen %s: exit %d, stdout %q, stderr %q; want exit 2 and one line ending %q", strings.Join(args, " "), code, out, stderr, help)
		}
	}
}
