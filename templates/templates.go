// Package templates holds the text templates for the non-Go files that
// minigungen writes: the go.mod of a standalone build.
package templates

import (
	_ "embed"
	"text/template"
)

//go:embed build.go.mod.tmpl
var buildGoMod string

// BuildGoMod is the go.mod of a standalone build of a .mg file outside any
// module. Fields: Module, GoVersion, RuntimeModule, RuntimeDir.
var BuildGoMod = template.Must(template.New("go.mod").Parse(buildGoMod))
