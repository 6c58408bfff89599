// The default wiring: stages in source order, one after the other.
// sequential_test.go runs it.
package sequential

import (
	"fmt"
	"regexp"
	"strings"
)

go {
	// Line is one parsed log line.
	type Line struct {
		Level string
		Msg   string
	}

	// input is the log to clean up: a DEBUG line is dropped, a line holding
	// two messages separated by " | " becomes two.
	var input = []string{
		"INFO user alice@example.com logged in",
		"DEBUG cache warm",
		"WARN disk 91% full | INFO rotated logs",
		"ERROR payment failed for bob@example.org",
		"INFO user alice@example.com logged out",
	}

	var email = regexp.MustCompile(`[a-z]+@[a-z.]+`)
}

// Sequential cleans up a log. No stage names its downstream: each sends to
// the next stage in source order, so the lines go read, split, drop_debug,
// redact, format, write, all inline, one after the other, in input order.
pipeline Sequential {
	state {
		out []string // written by write alone: one goroutine, no lock
	}

	producer read() string {
		for _, l := range input {
			emit(l)
		}
	}

	// one line in, one or more out
	processor split(l string) string {
		for _, part := range strings.Split(l, " | ") {
			emit(part)
		}
	}

	// one line in, none or one out
	processor drop_debug(l string) string {
		if !strings.HasPrefix(l, "DEBUG ") {
			emit(l)
		}
	}

	processor redact(l string) string {
		emit(email.ReplaceAllString(l, "<email>"))
	}

	processor format(l string) Line {
		level, msg, _ := strings.Cut(l, " ")
		emit(Line{Level: level, Msg: msg})
	}

	consumer write(l Line) {
		p.out = append(p.out, fmt.Sprintf("%d %-5s %s", len(p.out)+1, l.Level, l.Msg))
	}

	after_run {
		fmt.Println(strings.Join(p.out, "\n"))
	}
}
