// Package progress is the -progress flag of built binaries (DESIGN 3.5): while a pipeline
// runs, one line per stage on stderr (in, out, failed, rate over the last second, busy
// share), with a bar, percent and ETA for a producer that declared total(N), redrawn in place
// at the terminal's width by github.com/vbauerster/mpb. Nothing is drawn when stderr is not a
// terminal, or when -hud takes the screen.
//
// Like every package a built binary links, it does nothing at package initialisation: every
// worker process initialises it too.
package progress

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	mgrt "github.com/minigun-go/minigun/runtime"
	"github.com/minigun-go/minigun/runtime/cli"
	"github.com/minigun-go/minigun/runtime/internal/view"
)

// Refresh is how often the lines are redrawn.
const Refresh = 200 * time.Millisecond

// Extension returns the -progress extension of built binaries.
func Extension() cli.Extension { return &extension{} }

type extension struct {
	on bool
	fs *flag.FlagSet
}

func (x *extension) Flags(fs *flag.FlagSet) {
	x.fs = fs
	fs.BoolVar(&x.on, "progress", false, "show one live line per stage on stderr when it is a terminal (not TERM=dumb): in, out, failed, rate, busy; a bar with ETA for a producer's total(N)")
}

func (x *extension) Watch(pipeline string, h *mgrt.Handle, stderr io.Writer) func() {
	if !x.on || flagSet(x.fs, "hud") {
		return nil
	}
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	cw := &console{Writer: cupwriter.New(f, false)}
	if !cw.IsTerminal() || os.Getenv("TERM") == "dumb" {
		return nil // nowhere to redraw lines: a dumb terminal moves no cursor
	}
	return Show(cw, pipeline, h)
}

// flagSet reports whether the boolean flag name of fs is set (another extension's).
func flagSet(fs *flag.FlagSet, name string) bool {
	if fs == nil {
		return false
	}
	f := fs.Lookup(name)
	return f != nil && f.Value.String() == "true"
}

// console is the terminal, one column narrower than it is: a line that fills the last column
// wraps on some terminals, and mpb redraws by counting lines.
type console struct{ *cupwriter.Writer }

func (c *console) GetTermSize() (width, height int, err error) {
	w, h, err := c.Writer.GetTermSize()
	return max(w-1, 20), h, err
}

// Show draws the live lines of the run h on the terminal cw until the function it returns is
// called, which draws the last values and returns once the lines are final.
func Show(cw mpb.ConsoleWriter, pipeline string, h *mgrt.Handle) (stop func()) {
	width, _, err := cw.GetTermSize()
	if err != nil || width <= 0 {
		width = 80
	}
	lines := newLines(pipeline, h.JobID(), h.Info(), width)
	sampler := view.NewSampler(h.Stats)
	lines.update(sampler.Sample())

	p := mpb.New(mpb.WithConsoleWriter(cw), mpb.WithRefreshRate(Refresh), mpb.WithAutoRefresh())
	header := p.New(0, mpb.NopStyle(), mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return lines.header() })))
	bars := make([]*mpb.Bar, len(lines.stages))
	for i := range lines.stages {
		i := i
		text := decor.Any(func(decor.Statistics) string { return lines.text(i) })
		if lines.stages[i].Total > 0 {
			bars[i] = p.New(lines.stages[i].Total, mpb.BarStyle().Lbound("[").Filler("=").Tip(">").Padding("-").Rbound("]"),
				mpb.BarWidth(lines.barWidth),
				mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return lines.name(i) })),
				mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return lines.eta(i) }), text))
		} else {
			bars[i] = p.New(0, mpb.NopStyle(), mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
				return lines.name(i) + " " + lines.text(i)
			})))
		}
	}
	setBars := func(final bool) {
		for i, b := range bars {
			st := lines.snapshot(i)
			if st.Total > 0 {
				// A producer may emit more than it declared: the bar never completes early.
				b.SetTotal(max(st.Total, st.Out+1), false)
				b.SetCurrent(st.Out)
			}
			if final {
				if st.Total > 0 && st.Out < st.Total {
					b.Abort(false) // stopped short: the bar stays as it is
				} else {
					b.SetTotal(-1, true)
				}
			}
		}
	}
	setBars(false)

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(Refresh)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				lines.update(sampler.Sample())
				setBars(false)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		lines.update(sampler.Sample())
		lines.end()
		setBars(true)
		header.SetTotal(-1, true)
		p.Wait()
	}
}

// lines holds what the decorators print; mpb calls them from its own goroutines.
type lines struct {
	pipeline, job string
	nameW         int
	barWidth      int
	started       time.Time

	mu     sync.Mutex
	frame  view.Frame
	stages []mgrt.StageStats
	ended  bool
}

func newLines(pipeline, job string, info mgrt.GraphInfo, width int) *lines {
	l := &lines{pipeline: pipeline, job: job, started: time.Now()}
	longest := 0
	for _, s := range info.Stages {
		longest = max(longest, len([]rune(s.Name)))
	}
	// The counts take 51 columns and the bottleneck mark 11; a name takes what is left, at
	// least 8. A producer's bar takes what its line leaves, at least 10 (mpb trims it to the
	// terminal), at most 40.
	l.nameW = max(min(longest, width-textW-markW-1), 8)
	l.barWidth = max(min(width-l.nameW-etaW-producerTextW-4, 40), 10)
	return l
}

func (l *lines) update(f view.Frame) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.frame = f
	l.stages = l.stages[:0]
	for _, s := range f.Stages {
		l.stages = append(l.stages, s.StageStats)
	}
}

func (l *lines) end() {
	l.mu.Lock()
	l.ended = true
	l.mu.Unlock()
}

func (l *lines) snapshot(i int) mgrt.StageStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < len(l.stages) {
		return l.stages[i]
	}
	return mgrt.StageStats{}
}

func (l *lines) header() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	state := "running"
	if l.ended {
		state = "ended"
	}
	return fmt.Sprintf("pipeline %s  job %s  %s  %s", l.pipeline, l.job, view.Elapsed(time.Since(l.started)), state)
}

func (l *lines) stage(i int) (view.Stage, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= len(l.frame.Stages) {
		return view.Stage{}, false
	}
	return l.frame.Stages[i], true
}

func (l *lines) name(i int) string {
	s, _ := l.stage(i)
	return view.Pad(s.Name, l.nameW)
}

// The widths of the parts of a line.
const (
	textW         = 51 // "in 12.3k out 12.3k failed    0  4.56k/s busy  87%"
	producerTextW = 36 // "out  1500/2000    1850/s busy  98%"
	etaW          = 16 // " 45% ETA 1.2s   "
	markW         = 11 // " bottleneck"
)

// text is a stage's counts: "in 12.3k out 12.3k failed 0  4.56k/s busy 87%"; for a producer
// with a total, "out 1500/2000  1850/s busy 98%".
func (l *lines) text(i int) string {
	s, ok := l.stage(i)
	if !ok {
		return ""
	}
	var b strings.Builder
	switch {
	case s.Kind == mgrt.KindProducer && s.Total > 0:
		fmt.Fprintf(&b, "out %6s/%-6s", view.Count(s.Out), view.Count(s.Total))
	case s.Kind == mgrt.KindProducer:
		fmt.Fprintf(&b, "in %6s out %6s failed %4s", "-", view.Count(s.Out), "-")
	default:
		fmt.Fprintf(&b, "in %6s out %6s failed %4s", view.Count(s.In), view.Count(s.Out), view.Count(s.Failed))
	}
	fmt.Fprintf(&b, " %8s busy %4s", view.Rate(s.Rate), view.Percent(s.Busy))
	if s.Bottleneck {
		b.WriteString(" bottleneck")
	}
	return b.String()
}

// eta is a producer bar's "45% ETA 3.2s".
func (l *lines) eta(i int) string {
	s, ok := l.stage(i)
	if !ok || s.Total <= 0 {
		return ""
	}
	pct := min(float64(s.Out)/float64(s.Total), 1)
	eta := "-"
	if left := s.Total - s.Out; left <= 0 {
		eta = "0s"
	} else if s.Rate > 0 {
		eta = view.Duration(time.Duration(float64(left) / s.Rate * float64(time.Second)).Round(100 * time.Millisecond))
	}
	return fmt.Sprintf("%4s ETA %-7s ", view.Percent(pct), eta)
}
