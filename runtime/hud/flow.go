package hud

import (
	"strings"

	mgrt "github.com/minigun-go/minigun/runtime"
	"github.com/minigun-go/minigun/runtime/internal/view"
)

// The flow diagram: stages in columns by depth (the longest path from a producer), each a
// box of boxH lines; an edge between adjacent columns is drawn in the gap between them, and
// any other edge (a dead letter, an edge that skips columns) is listed under the diagram.
const (
	boxH = 5
	gapW = 5
)

func flow(info mgrt.GraphInfo, f view.Frame, width int) []string {
	n := len(info.Stages)
	if n == 0 {
		return nil
	}
	index := map[string]int{}
	for i, s := range info.Stages {
		index[s.Name] = i
	}
	depth := make([]int, n)
	for range n { // longest path; the graph has no cycle
		for _, e := range info.Edges {
			a, okA := index[e.From]
			b, okB := index[e.To]
			if okA && okB && depth[b] < depth[a]+1 && depth[a]+1 < n {
				depth[b] = depth[a] + 1
			}
		}
	}
	cols := 0
	for _, d := range depth {
		cols = max(cols, d+1)
	}
	colOf := make([][]int, cols) // stage indexes per column, in stage order
	row := make([]int, n)
	for i, d := range depth {
		row[i] = len(colOf[d])
		colOf[d] = append(colOf[d], i)
	}
	rows := 0
	for _, c := range colOf {
		rows = max(rows, len(c))
	}
	boxW := min(max((width-gapW*(cols-1))/cols, 12), 24)
	gridW := cols*boxW + (cols-1)*gapW
	gridH := rows*(boxH+1) - 1
	grid := make([][]rune, gridH)
	for y := range grid {
		grid[y] = []rune(strings.Repeat(" ", gridW))
	}
	x0 := func(c int) int { return c * (boxW + gapW) }
	for i := range info.Stages {
		var st view.Stage
		if i < len(f.Stages) {
			st = f.Stages[i]
		} else {
			st.StageStats = mgrt.StageStats{Name: info.Stages[i].Name, Kind: info.Stages[i].Kind}
			st.Fill = -1
		}
		drawBox(grid, x0(depth[i]), row[i]*(boxH+1), boxW, st)
	}
	var other []string
	links := make([][]map[byte]bool, cols) // per gap, per grid line: connections of the bus column
	for c := range links {
		links[c] = make([]map[byte]bool, gridH)
	}
	mark := func(c, y int, dir byte) {
		if links[c][y] == nil {
			links[c][y] = map[byte]bool{}
		}
		links[c][y][dir] = true
	}
	for _, e := range info.Edges {
		a, okA := index[e.From]
		b, okB := index[e.To]
		if !okA || !okB {
			continue
		}
		if e.DeadLetter || depth[b] != depth[a]+1 {
			arrow := " → "
			if e.DeadLetter {
				arrow = " ⇢ dead letters ⇢ "
			}
			other = append(other, "  "+e.From+arrow+e.To)
			continue
		}
		c := depth[a]
		ya, yb := row[a]*(boxH+1)+boxH/2, row[b]*(boxH+1)+boxH/2
		gx := x0(c) + boxW
		grid[ya][gx] = '─'
		grid[yb][gx+gapW-2] = '─'
		grid[yb][gx+gapW-1] = '▶'
		mark(c, ya, 'l')
		mark(c, yb, 'r')
		lo, hi := min(ya, yb), max(ya, yb)
		for y := lo; y <= hi; y++ {
			if y > lo {
				mark(c, y, 'u')
			}
			if y < hi {
				mark(c, y, 'd')
			}
		}
	}
	for c := range links {
		gx := x0(c) + boxW + 1
		for y, l := range links[c] {
			if l != nil {
				grid[y][gx] = junction(l)
				if l['l'] && l['r'] {
					grid[y][gx+1] = '─'
				}
			}
		}
	}
	var out []string
	for _, r := range grid {
		out = append(out, strings.TrimRight(string(r), " "))
	}
	if len(other) > 0 {
		out = append(out, "also:")
		out = append(out, other...)
	}
	return out
}

// junction is the box-drawing character joining the given directions (l: from the left,
// r: to the right, u: up, d: down).
func junction(l map[byte]bool) rune {
	u, d, lt, rt := l['u'], l['d'], l['l'], l['r']
	switch {
	case u && d && lt && rt:
		return '┼'
	case u && d && rt:
		return '├'
	case u && d && lt:
		return '┤'
	case u && d:
		return '│'
	case lt && rt && d:
		return '┬'
	case lt && rt && u:
		return '┴'
	case lt && d:
		return '┐'
	case lt && u:
		return '┘'
	case rt && d:
		return '┌'
	case rt && u:
		return '└'
	}
	return '─'
}

// drawBox draws a stage: its name, its rate and busy share, its queue fill. The bottleneck's
// box has heavy lines.
func drawBox(grid [][]rune, x, y, w int, s view.Stage) {
	tl, tr, bl, br, hz, vt := '┌', '┐', '└', '┘', '─', '│'
	if s.Bottleneck {
		tl, tr, bl, br, hz, vt = '┏', '┓', '┗', '┛', '━', '┃'
	}
	in := w - 2
	put := func(yy int, text string) {
		r := []rune(view.Pad(text, in))
		grid[yy][x] = vt
		copy(grid[yy][x+1:x+1+in], r)
		grid[yy][x+w-1] = vt
	}
	grid[y][x], grid[y][x+w-1] = tl, tr
	grid[y+boxH-1][x], grid[y+boxH-1][x+w-1] = bl, br
	for i := 1; i < w-1; i++ {
		grid[y][x+i], grid[y+boxH-1][x+i] = hz, hz
	}
	put(y+1, s.Name)
	put(y+2, view.Rate(s.Rate)+" "+view.Percent(s.Busy))
	switch {
	case s.Kind == mgrt.KindProducer:
		if s.Total > 0 {
			put(y+3, fillBar(min(float64(s.Out)/float64(s.Total), 1), in-5)+" "+view.Percent(min(float64(s.Out)/float64(s.Total), 1)))
		} else {
			put(y+3, "out "+view.Count(s.Out))
		}
	case s.Fill < 0:
		put(y+3, "q -")
	default:
		put(y+3, "q "+fillBar(s.Fill, in-7)+" "+view.Percent(s.Fill))
	}
}

// fillBar is a bar of n cells, the share f of them full.
func fillBar(f float64, n int) string {
	n = max(n, 1)
	full := min(int(f*float64(n)+0.5), n)
	return strings.Repeat("█", full) + strings.Repeat("░", n-full)
}
