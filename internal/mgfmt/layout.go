package mgfmt

import (
	"strings"
	"unicode/utf8"
)

// Every block of a file (the file itself, a pipeline, a strategy block, a
// state block, an import group) is a sequence of declarations and comments.
// The layout rules, applied to each:
//
//   - one declaration a line, indented with one tab per level;
//   - a comment on a line of its own stays on a line of its own, above what
//     followed it; a comment after a declaration on its last line stays
//     there, one blank after it; a comment after a block's opening brace
//     stays on the brace's line;
//   - blank lines between declarations are kept, runs of them collapsed to
//     one; none after an opening brace or before a closing one;
//   - trailing comments of consecutive one-line declarations are aligned one
//     blank past the longest, as gofmt aligns them; state fields are aligned
//     in columns (names, types, merge rules) as gofmt aligns struct fields.
//     A blank line or a comment line ends a run.
//
// An aligned column that the source already pads wider than needed, by the
// same width on every line of its run (two lines or more, spaces only), keeps
// that width: alignment is then the writer's, and formatting leaves it.

// comment is one comment of the file.
type comment struct {
	start, end int
	text       string
	claimed    bool // placed by a block, or inside a Go fragment
}

// elem is one declaration of a block, formatted.
type elem struct {
	start, end int      // source range: its first token to just past its last
	lines      []string // its text, each line indented
	depth      int
	// cells are a one-line declaration's columns, aligned with those of
	// the declarations around it (state fields); nil for other declarations.
	cells []cell
	// imp is an import spec's path, for sorting; "" for other declarations.
	imp string
}

// cell is one column of an aligned line.
type cell struct {
	text string
	// srcWidth is the width of the cell and the blanks after it in the
	// source, when the source has the cell as printed followed by spaces
	// only; -1 otherwise.
	srcWidth int
}

// entry is one line group of a block: a declaration or a comment.
type entry struct {
	blank   bool       // a blank line before it
	comment *comment   // a comment on a line of its own; or
	el      *elem      // a declaration
	lead    []*comment // comments before the declaration on its first line
	trail   []*comment // comments after it on its last line
}

// seq splits the source of a block, from just past its opening token to its
// closing one, into entries: the declarations given (in source order) and the
// comments around them, which it claims. Comments inside a declaration are
// the declaration's. opened says whether the block has an opening token (all
// but the file do): a comment on its line follows it, and is returned as open.
func (f *formatter) seq(from, to int, opened bool, elems []*elem) (open []*comment, entries []*entry) {
	var items []any // *comment and *elem in source order
	ei := 0
	for _, c := range f.comments {
		if c.start < from || c.end > to || c.claimed {
			continue
		}
		for ei < len(elems) && elems[ei].start < c.start {
			items = append(items, elems[ei])
			ei++
		}
		if ei > 0 && c.start < elems[ei-1].end {
			continue // inside the declaration before it
		}
		items = append(items, c)
	}
	for ; ei < len(elems); ei++ {
		items = append(items, elems[ei])
	}
	prevEnd := from
	var last *entry // what a comment on the same line follows; nil: the opening
	for _, it := range items {
		switch it := it.(type) {
		case *comment:
			gap := f.src[prevEnd:it.start]
			nl := strings.Count(gap, "\n")
			it.claimed = true
			switch {
			case nl == 0 && last != nil:
				last.trail = append(last.trail, it)
			case nl == 0 && opened:
				open = append(open, it)
			default:
				last = &entry{comment: it, blank: nl >= 2}
				entries = append(entries, last)
			}
			prevEnd = it.end
		case *elem:
			gap := f.src[prevEnd:it.start]
			nl := strings.Count(gap, "\n")
			e := &entry{el: it, blank: nl >= 2}
			if nl == 0 && last != nil && last.comment != nil {
				// Comments before it on its line lead it.
				e.lead = append([]*comment{last.comment}, last.trail...)
				e.blank = last.blank
				entries = entries[:len(entries)-1]
			}
			entries = append(entries, e)
			last = e
			prevEnd = it.end
		}
	}
	if len(entries) > 0 {
		entries[0].blank = false
	}
	return open, entries
}

// render lays out the entries of a block at depth.
func (f *formatter) render(entries []*entry, depth int) []string {
	ind := strings.Repeat("\t", depth)
	f.alignCells(entries)
	code := make([][]string, len(entries)) // each entry's lines, before trailing comments
	for i, e := range entries {
		switch {
		case e.comment != nil:
			code[i] = []string{ind + e.comment.text}
		case len(e.lead) > 0:
			lines := append([]string(nil), e.el.lines...)
			lines[0] = ind + joinComments(e.lead) + " " + strings.TrimLeft(lines[0], "\t")
			code[i] = lines
		default:
			code[i] = e.el.lines
		}
	}
	col := f.commentColumns(entries, code, depth)
	var out []string
	for i, e := range entries {
		if e.blank {
			out = append(out, "")
		}
		lines := append([]string(nil), code[i]...)
		if len(e.trail) > 0 {
			last := lines[len(lines)-1]
			pad := " "
			if col[i] > 0 {
				pad = strings.Repeat(" ", col[i]-width(strings.TrimLeft(last, "\t")))
			}
			lines[len(lines)-1] = last + pad + joinComments(e.trail)
		}
		out = append(out, lines...)
	}
	return out
}

// commentColumns returns, for each entry, the column (past the indentation)
// at which its trailing comment starts, or 0 where one blank separates it.
func (f *formatter) commentColumns(entries []*entry, code [][]string, depth int) []int {
	col := make([]int, len(entries))
	aligned := func(i int) bool {
		e := entries[i]
		return e.el != nil && len(code[i]) == 1 && len(e.trail) > 0 && !strings.Contains(joinComments(e.trail), "\n")
	}
	for i := 0; i < len(entries); {
		if !aligned(i) {
			i++
			continue
		}
		j := i + 1
		for j < len(entries) && aligned(j) && !entries[j].blank {
			j++
		}
		w, src := 0, -2
		for k := i; k < j; k++ {
			line := strings.TrimLeft(code[k][0], "\t")
			w = max(w, width(line)+1)
			s := -1
			e := entries[k]
			if len(e.lead) == 0 && f.src[e.el.start:e.el.end] == line && spaces(f.src[e.el.end:e.trail[0].start]) {
				s = width(f.src[e.el.start:e.trail[0].start])
			}
			if src == -2 {
				src = s
			} else if src != s {
				src = -1
			}
		}
		if f.keepPadding && j-i >= 2 && src >= w {
			w = src
		}
		for k := i; k < j; k++ {
			col[k] = w
		}
		i = j
	}
	return col
}

// alignCells aligns the columns of consecutive one-line declarations that
// have cells, as text/tabwriter aligns gofmt's: a column runs over the
// consecutive lines that have a cell after it, one blank wider than its
// widest cell. It sets the lines of those declarations.
func (f *formatter) alignCells(entries []*entry) {
	for i := 0; i < len(entries); {
		if !hasCells(entries[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(entries) && hasCells(entries[j]) && !entries[j].blank {
			j++
		}
		run := entries[i:j]
		padded := make([][]string, len(run)) // each line's cells, padded
		for k, e := range run {
			for _, c := range e.el.cells {
				padded[k] = append(padded[k], c.text)
			}
		}
		for c := 0; ; c++ {
			any := false
			for k := 0; k < len(run); {
				if len(run[k].el.cells) <= c+1 {
					k++
					continue
				}
				any = true
				l := k + 1
				for l < len(run) && len(run[l].el.cells) > c+1 {
					l++
				}
				w, src := 0, -2
				for m := k; m < l; m++ {
					cl := run[m].el.cells[c]
					w = max(w, width(cl.text)+1)
					if src == -2 {
						src = cl.srcWidth
					} else if src != cl.srcWidth {
						src = -1
					}
				}
				if f.keepPadding && l-k >= 2 && src >= w {
					w = src
				}
				for m := k; m < l; m++ {
					padded[m][c] += strings.Repeat(" ", w-width(padded[m][c]))
				}
				k = l
			}
			if !any {
				break
			}
		}
		for k, e := range run {
			e.el.lines = []string{strings.Repeat("\t", e.el.depth) + strings.Join(padded[k], "")}
		}
		i = j
	}
}

func hasCells(e *entry) bool { return e.el != nil && e.el.cells != nil && len(e.lead) == 0 }

// joinComments joins comments on one line.
func joinComments(cs []*comment) string {
	texts := make([]string, len(cs))
	for i, c := range cs {
		texts[i] = c.text
	}
	return strings.Join(texts, " ")
}

// width is the number of characters of s, as gofmt's alignment counts them.
func width(s string) int { return utf8.RuneCountInString(s) }

// spaces reports whether s is one or more blanks.
func spaces(s string) bool { return s != "" && strings.Trim(s, " ") == "" }
