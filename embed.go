// Package minigun is the root of the minigun-go module. It holds the source
// of the runtime so that `minigungen build` can compile a .mg file that lives
// outside any Go module: the runtime and its subpackages travel inside the
// minigungen binary and are written next to the generated main, with this
// module's go.mod and go.sum, so that the modules the subpackages need are
// pinned to the versions minigungen was built with (taken from the module
// cache or the proxy, as for any go build).
//
// The toolkit itself lives in the subpackages: dsl (the .mg parser), ir (the
// checker), codegen (the Go emitter), runtime (what generated code links) and
// cmd/minigungen (the command).
package minigun

import "embed"

// RuntimeSource holds the runtime's source tree (runtime/ and its
// subpackages; tests and testdata are skipped when it is written out) and the
// module's go.mod and go.sum.
//
//go:embed runtime go.mod go.sum
var RuntimeSource embed.FS
