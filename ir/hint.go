package ir

import (
	"fmt"
	"strconv"
	"strings"
)

// The table of withHint, stdlib_names.go, is generated from `go list std` by
// internal/mkstdlib, so that minigungen never runs go list to give the hint.
//go:generate go run ./internal/mkstdlib

// withHint adds the import to write when a message says a name of a
// standard-library package, or mgrt (the runtime, as the docs name it), is undefined.
func withHint(msg string) string {
	name, ok := strings.CutPrefix(msg, "undefined: ")
	if !ok || strings.ContainsAny(name, ". ") {
		return msg
	}
	if name == "mgrt" {
		return fmt.Sprintf("%s (missing import mgrt %q?)", msg, RuntimePath)
	}
	paths := stdlibPackages[name]
	if len(paths) == 0 {
		return msg
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = strconv.Quote(p)
	}
	alts := quoted[0]
	if len(quoted) > 1 {
		alts = strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
	}
	return fmt.Sprintf("%s (missing import %s?)", msg, alts)
}
