// Command minigungen compiles .mg pipeline descriptions into Go code that
// links the minigun-go runtime.
//
//	minigungen generate [-check] [-fast] [-v] [FILES|DIRS|DIR/...]   write NAME_mg.go beside NAME.mg
//	minigungen check [-fast] [-v] FILES|DIRS                         report diagnostics, Go's included
//	minigungen build [-o OUT] [-v] FILE.mg                           build a standalone program
//	minigungen run FILE.mg [-- ARGS]                                 build to a cache and run
//	minigungen graph [-format dot|mermaid] [-pipeline NAME] [-fast] FILES|DIR
//	minigungen fmt [-l] [-w] [-d] [FILES|DIRS|DIR/...]               format .mg files
//	minigungen help [COMMAND]                                        a command's flags and an example
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
