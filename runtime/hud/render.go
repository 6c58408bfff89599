package hud

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	mgrt "github.com/minigun-go/minigun/runtime"
	"github.com/minigun-go/minigun/runtime/internal/view"
)

// The styles are made when the view first renders, not at package initialisation.
type styles struct {
	bar, bottleneck, head, dim lipgloss.Style
}

func newStyles() styles {
	return styles{
		bar:        lipgloss.NewStyle().Reverse(true),
		bottleneck: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("9")),
		head:       lipgloss.NewStyle().Bold(true),
		dim:        lipgloss.NewStyle().Faint(true),
	}
}

// line is one line of the body: plain text (cut to the width before it is styled) and how
// to style it.
type line struct {
	text  string
	style *lipgloss.Style
}

func (m *model) bodyHeight() int { return max(m.height-2, 1) }

// render draws the whole screen: a title bar, the body (scrolled), a status bar.
func (m *model) render() string {
	st := newStyles()
	w := max(m.width, 20)
	var body []line
	if m.help {
		body = m.helpLines()
	} else {
		body = append(body, line{text: "Flow", style: &st.head})
		for _, l := range flow(m.info, m.frame, w) {
			body = append(body, line{text: l})
		}
		body = append(body, line{})
		body = append(body, m.table(w, &st)...)
	}
	bh := m.bodyHeight()
	m.scroll = min(max(m.scroll, 0), max(len(body)-bh, 0))
	var b strings.Builder
	b.WriteString(st.bar.Render(fit(m.title(), w)))
	for i := 0; i < bh; i++ {
		b.WriteByte('\n')
		if k := m.scroll + i; k < len(body) {
			l := body[k]
			text := cut(l.text, w)
			if l.style != nil {
				text = l.style.Render(text)
			}
			b.WriteString(text)
		}
	}
	b.WriteByte('\n')
	b.WriteString(st.bar.Render(fit(m.status(), w)))
	return b.String()
}

func (m *model) title() string {
	return fmt.Sprintf(" minigun HUD  pipeline %s  %d stages", m.pipeline, len(m.frame.Stages))
}

func (m *model) status() string {
	state := "running"
	if m.paused {
		state = "PAUSED"
	}
	bn := "-"
	if i := m.frame.Bottleneck; i >= 0 {
		bn = m.frame.Stages[i].Name
	}
	keys := "p pause  ? help  q quit "
	left := fmt.Sprintf(" %s  elapsed %s  job %s  bottleneck ", state, view.Elapsed(m.frame.Elapsed), m.job)
	room := max(m.width, 20) - len([]rune(left)) - len([]rune(keys)) - 2
	left += view.Truncate(bn, max(room, 4))
	pad := max(m.width, 20) - len([]rune(left)) - len([]rune(keys))
	if pad < 1 {
		return left
	}
	return left + strings.Repeat(" ", pad) + keys
}

func (m *model) helpLines() []line {
	var out []line
	for _, s := range []string{
		"Keys",
		"  p, space      pause or resume the display (the run goes on)",
		"  ?, h, esc     show or hide this help",
		"  ↑ ↓, j k      scroll one line; PgUp PgDn a page; Home End",
		"  q, Ctrl+C     quit: leaves the screen and stops the run as SIGINT does (exit 130)",
		"",
		"Flow: each box is a stage: its rate over the last second (values out for a producer, items",
		"in for the others), its busy share, and how full its input queue is. A heavy box is the",
		"bottleneck: the stage busy most of the time, that the others wait on.",
		"",
		"Table: in, out, failed (for good), retried, dead-lettered; rate; busy; queue length/capacity;",
		"wk, the goroutines or live worker processes; latency percentiles of sampled items.",
	} {
		out = append(out, line{text: s})
	}
	return out
}

// table is the stats table: a header and one row per stage.
func (m *model) table(w int, st *styles) []line {
	cols := []struct {
		name  string
		width int
		value func(s view.Stage) string
	}{
		{"in", 6, func(s view.Stage) string {
			if s.Kind == mgrt.KindProducer {
				return "-"
			}
			return view.Count(s.In)
		}},
		{"out", 6, func(s view.Stage) string { return view.Count(s.Out) }},
		{"failed", 6, func(s view.Stage) string { return view.Count(s.Failed) }},
		{"retry", 5, func(s view.Stage) string { return view.Count(s.Retried) }},
		{"dead", 5, func(s view.Stage) string { return view.Count(s.DeadLettered) }},
		{"rate", 8, func(s view.Stage) string { return view.Rate(s.Rate) }},
		{"busy", 4, func(s view.Stage) string { return view.Percent(s.Busy) }},
		{"queue", 9, queueText},
		{"wk", 3, func(s view.Stage) string { return fmt.Sprint(s.Workers) }},
		{"p50", 7, func(s view.Stage) string { return view.Duration(s.P50) }},
		{"p90", 7, func(s view.Stage) string { return view.Duration(s.P90) }},
		{"p99", 7, func(s view.Stage) string { return view.Duration(s.P99) }},
	}
	fixed := 0
	for _, c := range cols {
		fixed += c.width + 1
	}
	if w-fixed-3 < 16 { // narrow: no p90
		cols = append(cols[:10], cols[11])
		fixed -= 8
	}
	nameW := max(min(w-fixed-3, 32), 8) // 2 columns at the end for the bottleneck's mark
	row := func(name string, vals []string) string {
		var b strings.Builder
		b.WriteString(view.Pad(name, nameW))
		for i, c := range cols {
			fmt.Fprintf(&b, " %*s", c.width, view.Truncate(vals[i], c.width))
		}
		return b.String()
	}
	var head []string
	for _, c := range cols {
		head = append(head, c.name)
	}
	out := []line{{text: row("stage", head), style: &st.head}}
	for _, s := range m.frame.Stages {
		var vals []string
		for _, c := range cols {
			vals = append(vals, c.value(s))
		}
		l := line{text: row(s.Name, vals)}
		if s.Bottleneck {
			l.style = &st.bottleneck
			l.text += " ◀"
		}
		out = append(out, l)
	}
	return out
}

func queueText(s view.Stage) string {
	switch {
	case s.Kind == mgrt.KindProducer:
		return "-"
	case s.QueueCap < 0:
		return view.Count(int64(s.QueueLen)) + "/∞"
	case s.QueueCap == 0:
		return "fused"
	}
	return view.Count(int64(s.QueueLen)) + "/" + view.Count(int64(s.QueueCap))
}

// cut cuts s to w columns (runes).
func cut(s string, w int) string {
	r := []rune(s)
	if len(r) > w {
		return string(r[:w])
	}
	return s
}

// fit cuts or pads s to exactly w columns.
func fit(s string, w int) string {
	s = cut(s, w)
	return s + strings.Repeat(" ", w-len([]rune(s)))
}
