// Package minigun is the root of the minigun-go module. It holds the source
// of the runtime package so that `minigungen build` can compile a .mg file
// that lives outside any Go module, offline: the runtime travels inside the
// minigungen binary and is written next to the generated main.
//
// The toolkit itself lives in the subpackages: dsl (the .mg parser), ir (the
// checker), codegen (the Go emitter), runtime (what generated code links) and
// cmd/minigungen (the command).
package minigun

import "embed"

// RuntimeSource holds the runtime package's Go files (runtime/*.go).
//
//go:embed runtime/*.go
var RuntimeSource embed.FS
