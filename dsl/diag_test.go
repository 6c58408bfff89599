package dsl

import (
	"errors"
	"strings"
	"testing"
)

func TestDiagnosticString(t *testing.T) {
	pos := Pos{File: "dir/orders.mg", Line: 12, Col: 7, Offset: 99}
	for _, c := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Pos: pos, Severity: Error, Msg: `unknown stage "fetchh"`}, `dir/orders.mg:12:7: unknown stage "fetchh"`},
		{Diagnostic{Pos: pos, Severity: Warning, Msg: "output goes nowhere"}, "dir/orders.mg:12:7: warning: output goes nowhere"},
		{Diagnostic{Pos: pos, Severity: Note, Msg: "await is ignored"}, "dir/orders.mg:12:7: note: await is ignored"},
	} {
		if got := c.d.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
	if got := pos.String(); got != "dir/orders.mg:12:7" {
		t.Errorf("Pos.String() = %q", got)
	}
	if (Pos{}).IsValid() || !pos.IsValid() {
		t.Errorf("IsValid: zero Pos valid or %v invalid", pos)
	}
}

func TestDiagnosticsBuild(t *testing.T) {
	var ds Diagnostics
	p := Pos{File: "a.mg", Line: 1, Col: 2}
	ds.Warnf(p, "unused %q", "x")
	ds.Notef(p, "note %d", 1)
	if ds.HasErrors() {
		t.Errorf("HasErrors with only a warning and a note")
	}
	ds.Errorf(p, "bad %s", "thing")
	if !ds.HasErrors() {
		t.Errorf("HasErrors false after Errorf")
	}
	want := "a.mg:1:2: warning: unused \"x\"\na.mg:1:2: note: note 1\na.mg:1:2: bad thing"
	if got := ds.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	var err error = ds
	var back Diagnostics
	if !errors.As(err, &back) || len(back) != 3 {
		t.Errorf("Diagnostics does not round-trip through error")
	}
	if (Diagnostics{}).Error() != "" {
		t.Errorf("empty Diagnostics has a message")
	}
}

func TestDiagnosticsSort(t *testing.T) {
	d := func(file string, line, col int, msg string) Diagnostic {
		return Diagnostic{Pos: Pos{File: file, Line: line, Col: col}, Msg: msg}
	}
	warn := d("a.mg", 2, 1, "same text")
	warn.Severity = Warning
	ds := Diagnostics{
		d("b.mg", 1, 1, "b first"),
		d("a.mg", 10, 1, "line 10"),
		d("a.mg", 2, 5, "col 5"),
		d("a.mg", 2, 1, "zz"),
		d("a.mg", 2, 1, "same text"),
		d("a.mg", 9, 3, "line 9"),
		d("a.mg", 2, 1, "same text"), // exact duplicate: dropped
		warn,                         // same place and text, other severity: kept
		d("a.mg", 10, 1, "line 10"),  // duplicate, not adjacent before sorting
	}
	ds.Sort()
	var got []string
	for _, x := range ds {
		got = append(got, x.String())
	}
	want := []string{
		"a.mg:2:1: same text",
		"a.mg:2:1: warning: same text",
		"a.mg:2:1: zz",
		"a.mg:2:5: col 5",
		"a.mg:9:3: line 9", // by number, not as text ("10" < "9")
		"a.mg:10:1: line 10",
		"b.mg:1:1: b first",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Sort() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var empty Diagnostics
	empty.Sort()
	if len(empty) != 0 {
		t.Errorf("sorting nothing gave %v", empty)
	}
}

func TestDiagnosticVerbose(t *testing.T) {
	src := []byte("pipeline P {\n\tprocessor work(n int) int threads(4 { emit(n) }\r\n  x := \"é\"; y\n}")
	for _, c := range []struct {
		name string
		pos  Pos
		want string
	}{{
		// The source line is indented with a tab; the caret line keeps the
		// source's own tab so that it lines up whatever the tab width.
		name: "tab",
		pos:  Pos{File: "v.mg", Line: 2, Col: 38},
		want: "v.mg:2:38: msg\n" +
			"\t\tprocessor work(n int) int threads(4 { emit(n) }\n" +
			"\t\t                                    ^",
	}, {
		// Column 14 counts the two bytes of "é": the caret sits under "y",
		// after one blank per character before it (12, not 13).
		name: "multi-byte",
		pos:  Pos{File: "v.mg", Line: 3, Col: 14},
		want: "v.mg:3:14: msg\n" +
			"\t  x := \"é\"; y\n" +
			"\t            ^",
	}, {
		name: "column 1",
		pos:  Pos{File: "v.mg", Line: 4, Col: 1},
		want: "v.mg:4:1: msg\n\t}\n\t^",
	}, {
		name: "line past the end",
		pos:  Pos{File: "v.mg", Line: 9, Col: 1},
		want: "v.mg:9:1: msg",
	}} {
		t.Run(c.name, func(t *testing.T) {
			got := Diagnostic{Pos: c.pos, Msg: "msg"}.Verbose(src)
			if got != c.want {
				t.Errorf("Verbose:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	// The caret of a real parse error sits under the offending "{".
	_, diags := Parse("v.mg", src)
	if len(diags) != 1 {
		t.Fatalf("want one diagnostic, got %v", diags)
	}
	lines := strings.Split(diags[0].Verbose(src), "\n")
	if len(lines) != 3 || strings.Index(lines[2], "^") != strings.Index(lines[1], "{ emit") {
		t.Errorf("caret not under the error:\n%s", strings.Join(lines, "\n"))
	}
}

// A diagnostic prints on one line, even when its message quotes source text over several.
func TestDiagnosticOneLine(t *testing.T) {
	d := Diagnostic{Pos: Pos{File: "a.mg", Line: 3, Col: 7}, Msg: "invalid Go reference (x int) {\n\t\tp.mu.Lock()\n\t}: expected ')'"}
	if got, want := d.String(), "a.mg:3:7: invalid Go reference (x int) { p.mu.Lock() }: expected ')'"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
