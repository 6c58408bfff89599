package behavior

// Diagnostics of rows about reroutes and inherited names: a stage dropped by a
// child's reroute is reported as a warning, and a parent's own duplicate is
// reported once, against the parent, not again for every child.

import (
	"strings"
	"testing"
)

// | unreachable stage | "warning" | silently shut down | error (warning after a reroute) |
//
// A stage that a child's reroute leaves unable to receive is dropped from the
// child (DESIGN 2.7); MINIGUN.md says the user is told with a warning.
func TestRouting_UnreachableAfterRerouteWarns(t *testing.T) {
	code, stderr := check(t, `package main

pipeline Main {
	producer start() int {
		emit(1)
	}
	processor square(n int) int { emit(n * n) }
	consumer collect(n int) {}
}

pipeline Skip extends Main {
	reroute start -> collect
}
`)
	if code != 0 {
		t.Errorf("check exit %d, want 0 (a warning, not an error):\n%s", code, stderr)
	}
	found := false
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, ": warning: ") && strings.Contains(l, `"square"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning naming the dropped stage \"square\"; stderr:\n%s", stderr)
	}
}

// | stage names | unique | checked at first `run` | checked at generate time |
//
// A duplicate name in a parent pipeline where the second one is a nested
// pipeline or an inline sub-pipeline is reported again for each pipeline that
// extends the parent, as "a child cannot redefine it", at the parent's own
// line: the child redefines nothing. (With two plain stages the duplicate is
// reported once, as it should be.)
func TestStages_NamesUniqueDuplicateInParentReportedOnce(t *testing.T) {
	code, stderr := check(t, `package main

pipeline T {
	processor double(n int) int { emit(n) }
}

pipeline P {
	producer gen() int {
		emit(1)
	}
	processor work(n int) int { emit(n) }
	nested work = T
	consumer sink(n int) {}
}

pipeline C extends P {
}
`)
	if code != 1 {
		t.Errorf("check exit %d, want 1", code)
	}
	wantDiag(t, stderr, 12, `duplicate stage "work" (first declared at bad.mg:11:`)
	if strings.Contains(stderr, "a child cannot redefine it") {
		t.Errorf("the parent's own duplicate is blamed on a child:\n%s", stderr)
	}
}
