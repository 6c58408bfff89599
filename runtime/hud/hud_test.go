package hud

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/minigun-go/minigun/runtime/internal/view"
	"github.com/minigun-go/minigun/runtime/internal/viewtest"
)

var rateRE = regexp.MustCompile(`\b\d[\d.]*[kMG]?/s\b`)

// The HUD of a live run rendered at 100x30: exactly 30 lines of at most 100 columns, the
// flow diagram and the table naming every stage with its rate, the status bar with the
// elapsed time and the job; the keys pause, show the help, scroll and quit.
func TestRenderFixedSize(t *testing.T) {
	h := viewtest.Start(1000000, 100*time.Microsecond, nil)
	defer h.Stop()
	time.Sleep(300 * time.Millisecond)
	m := newModel("Views", h.JobID(), h.Info(), view.NewSampler(h.Stats))
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	time.Sleep(400 * time.Millisecond)
	m.Update(tickMsg{})

	screen := m.View().Content
	plain := stripANSI(screen)
	lines := strings.Split(plain, "\n")
	if len(lines) != 30 {
		t.Errorf("%d lines, want 30:\n%s", len(lines), plain)
	}
	for _, l := range strings.Split(screen, "\n") {
		if w := lipgloss.Width(l); w > 100 {
			t.Errorf("a line of %d columns:\n%s", w, stripANSI(l))
		}
	}
	for _, name := range viewtest.Names {
		// In the diagram's boxes and in the table, each cut to its column.
		if n := strings.Count(plain, name[:min(8, len(name))]); n < 2 {
			t.Errorf("stage %s shows %d times, want in the diagram and the table:\n%s", name, n, plain)
		}
	}
	if !rateRE.MatchString(plain) || !strings.Contains(plain, "elapsed") || !strings.Contains(plain, h.JobID()) {
		t.Errorf("no rate, elapsed time or job id:\n%s", plain)
	}
	if !strings.Contains(plain, "┏") || !strings.Contains(plain, "bottleneck enrich_") {
		t.Errorf("the slow stage is not marked as the bottleneck:\n%s", plain)
	}
	if !strings.Contains(plain, "──▶") {
		t.Errorf("no edge in the diagram:\n%s", plain)
	}

	// p pauses: the frame stays as it was.
	m.Update(tea.KeyPressMsg{Code: 'p', Text: "p"})
	before := m.frame.At
	time.Sleep(10 * time.Millisecond)
	m.Update(tickMsg{})
	if !m.paused || m.frame.At != before || !strings.Contains(stripANSI(m.View().Content), "PAUSED") {
		t.Error("p did not pause the display")
	}
	// ? shows the help.
	m.Update(tea.KeyPressMsg{Code: '?', Text: "?"})
	if !strings.Contains(stripANSI(m.View().Content), "q, Ctrl+C") {
		t.Error("? did not show the help")
	}
	m.Update(tea.KeyPressMsg{Code: '?', Text: "?"})
	// A small terminal scrolls.
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 8})
	top := stripANSI(m.View().Content)
	m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	if m.scroll != 2 || stripANSI(m.View().Content) == top {
		t.Errorf("down did not scroll (offset %d)", m.scroll)
	}
	// q quits.
	if _, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"}); cmd == nil || !m.quit {
		t.Error("q did not quit")
	} else if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q did not quit the program")
	}
}

var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

func stripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }
