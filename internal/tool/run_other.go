//go:build !unix

package tool

// terminalForeground reports false where process groups are not known: a
// SIGINT is passed on to the program.
func terminalForeground() bool { return false }
