// Package hud is the -hud flag of built binaries (DESIGN 3.5): a full-screen live view of a
// run on the terminal of stderr, in the spirit of Minigun's HUD, on charm.land/bubbletea and
// charm.land/lipgloss: the flow diagram with each stage's rate, busy share and queue fill; a
// table with counts, failures, latency percentiles and the bottleneck; a status bar with the
// elapsed time and the job id. Keys: p or space pauses the display, ? shows the help, the
// arrows, j/k, PgUp/PgDn, Home/End scroll, q (or Ctrl+C) quits, which stops the run as SIGINT
// does (exit status 130).
//
// The terminal is restored on every way out: the run's end, the quit key, SIGINT or SIGTERM
// (the view leaves at once, the run stops as usual), a panic in the view. It does nothing at
// package initialisation: every worker process initialises it too.
package hud

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	mgrt "github.com/minigun-go/minigun/runtime"
	"github.com/minigun-go/minigun/runtime/cli"
	"github.com/minigun-go/minigun/runtime/internal/view"
)

// Refresh is how often the view samples the run and redraws.
const Refresh = 200 * time.Millisecond

// Extension returns the -hud extension of built binaries.
func Extension() cli.Extension { return &extension{} }

type extension struct{ on bool }

func (x *extension) Flags(fs *flag.FlagSet) {
	fs.BoolVar(&x.on, "hud", false, "show a full-screen live view of the run on the terminal (keys: p pause, ? help, arrows scroll, q quit)")
}

func (x *extension) Watch(pipeline string, h *mgrt.Handle, stderr io.Writer) func() {
	if !x.on {
		return nil
	}
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		fmt.Fprintln(stderr, "-hud: stderr is not a terminal; running without the HUD")
		return nil
	}
	if os.Getenv("TERM") == "dumb" {
		fmt.Fprintln(stderr, "-hud: TERM=dumb cannot draw it; running without the HUD")
		return nil
	}
	return Run(f, pipeline, h, interrupt)
}

// interrupt stops the program as SIGINT does: the built binary's main stops the runs, and
// exits with status 130.
func interrupt() {
	if p, err := os.FindProcess(os.Getpid()); err == nil && p.Signal(os.Interrupt) == nil {
		return
	}
	os.Exit(cli.ExitSIGINT) // no signals here: the terminal is restored already
}

// Run shows the HUD of the run h on the terminal out until the function it returns is called
// (the run has ended). When the user quits, the view leaves the screen and quit is called
// if the run still goes.
func Run(out *os.File, pipeline string, h *mgrt.Handle, quit func()) (stop func()) {
	m := newModel(pipeline, h.JobID(), h.Info(), view.NewSampler(h.Stats))
	p := tea.NewProgram(m, tea.WithOutput(out), tea.WithoutSignalHandler())
	done := make(chan struct{})
	go func() {
		defer close(done)
		final, _ := p.Run() // restores the terminal however it ends, a panic included
		if fm, ok := final.(*model); ok && fm.quit && h.Running() {
			quit()
		}
	}()
	// A signal leaves the screen at once; the program's main stops the run.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
			p.Quit()
		case <-done:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.Quit()
			<-done
			signal.Stop(sigs)
		})
	}
}

type tickMsg struct{}

func tick() tea.Cmd { return tea.Tick(Refresh, func(time.Time) tea.Msg { return tickMsg{} }) }

// model is the HUD's state.
type model struct {
	pipeline, job string
	info          mgrt.GraphInfo
	sampler       *view.Sampler
	frame         view.Frame
	width, height int
	paused, help  bool
	scroll        int
	quit          bool // the user asked to quit
}

func newModel(pipeline, job string, info mgrt.GraphInfo, s *view.Sampler) *model {
	m := &model{pipeline: pipeline, job: job, info: info, sampler: s, width: 100, height: 30}
	m.frame = s.Sample()
	return m
}

func (m *model) Init() tea.Cmd { return tick() }

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tickMsg:
		if !m.paused {
			m.frame = m.sampler.Sample()
		}
		return m, tick()
	case tea.KeyPressMsg:
		switch msg.String() {
		case "q", "ctrl+c":
			m.quit = true
			return m, tea.Quit
		case "p", "space":
			m.paused = !m.paused
		case "?", "h":
			m.help = !m.help
		case "esc":
			m.help = false
		case "up", "k":
			m.scroll--
		case "down", "j":
			m.scroll++
		case "pgup":
			m.scroll -= m.bodyHeight()
		case "pgdown":
			m.scroll += m.bodyHeight()
		case "home":
			m.scroll = 0
		case "end":
			m.scroll = 1 << 20
		}
	}
	return m, nil
}

func (m *model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	return v
}
