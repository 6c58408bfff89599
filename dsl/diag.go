package dsl

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Pos is a position in a .mg file: 1-based line and 1-based byte column.
type Pos struct {
	File   string
	Line   int
	Col    int
	Offset int
}

// String formats the position as file:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// IsValid reports whether the position points somewhere.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Severity says whether a diagnostic stops generation.
type Severity int

// Severities.
const (
	Error Severity = iota
	Warning
	Note
)

// Diagnostic is one problem found in a .mg file.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
}

// String formats the diagnostic as file:line:col: message (warnings say so), on one line: a
// message that quotes source text spanning lines has each line break and the indentation
// after it folded to one space.
func (d Diagnostic) String() string {
	msg := d.Msg
	if strings.ContainsRune(msg, '\n') {
		msg = lineBreaks.ReplaceAllString(msg, " ")
	}
	switch d.Severity {
	case Warning:
		return fmt.Sprintf("%s: warning: %s", d.Pos, msg)
	case Note:
		return fmt.Sprintf("%s: note: %s", d.Pos, msg)
	}
	return fmt.Sprintf("%s: %s", d.Pos, msg)
}

var lineBreaks = regexp.MustCompile(`[ \t]*\r?\n\s*`)

// Diagnostics is a list of diagnostics.
type Diagnostics []Diagnostic

// Errorf appends an error at pos.
func (ds *Diagnostics) Errorf(pos Pos, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Pos: pos, Severity: Error, Msg: fmt.Sprintf(format, args...)})
}

// Warnf appends a warning at pos.
func (ds *Diagnostics) Warnf(pos Pos, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Pos: pos, Severity: Warning, Msg: fmt.Sprintf(format, args...)})
}

// Notef appends a note at pos: information that needs no change.
func (ds *Diagnostics) Notef(pos Pos, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Pos: pos, Severity: Note, Msg: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Sort orders the diagnostics by file, line, column and message, and drops exact duplicates.
func (ds *Diagnostics) Sort() {
	s := *ds
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		return a.Msg < b.Msg
	})
	out := s[:0]
	for i, d := range s {
		if i > 0 && d == s[i-1] {
			continue
		}
		out = append(out, d)
	}
	*ds = out
}

// Error joins the diagnostics one per line, so Diagnostics can be returned as an error.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Verbose formats a diagnostic followed by its source line and a caret under the column.
func (d Diagnostic) Verbose(src []byte) string {
	line := sourceLine(src, d.Pos.Line)
	if line == "" {
		return d.String()
	}
	// The column counts bytes; the caret needs one blank per character
	// before it, and tabs kept, to line up under the source line.
	caret := make([]byte, 0, d.Pos.Col)
	for _, r := range line[:min(max(d.Pos.Col-1, 0), len(line))] {
		if r == '\t' {
			caret = append(caret, '\t')
		} else {
			caret = append(caret, ' ')
		}
	}
	return fmt.Sprintf("%s\n\t%s\n\t%s^", d.String(), line, caret)
}

func sourceLine(src []byte, n int) string {
	lines := strings.Split(string(src), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[n-1], "\r")
}
