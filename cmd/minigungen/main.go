// Command minigungen compiles .mg pipeline descriptions into Go code that
// links the minigun-go runtime.
//
//	minigungen generate [-check] [-fast] [FILES|DIRS|DIR/...]   write NAME_mg.go beside NAME.mg
//	minigungen check [-fast] FILES|DIRS                         report diagnostics, Go's included
//	minigungen build FILE.mg -o OUT                             build a standalone program
//	minigungen run FILE.mg [-- ARGS]                            build to a cache and run
//	minigungen version
//
// See the README for the .mg language.
package main

import (
	"os"

	"github.com/minigun-go/minigun/internal/tool"
)

func main() {
	os.Exit(tool.Main(os.Args[1:], tool.Env{}))
}
