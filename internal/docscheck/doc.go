// Package docscheck holds the test that keeps docs/ true: every fenced ```mg
// block of docs/*.md is checked with minigungen's own check command, and every
// keyword and option of the language must appear in docs/language.md.
//
// A block's info string says what it is:
//
//	```mg               a whole file; check accepts it with no diagnostic
//	```mg run           the same, and the ```text block that follows is what
//	                    the program prints on stdout (built and run with
//	                    go test ./internal/docscheck -docs.run)
//	```mg warning       accepted; the ```text block that follows holds its
//	                    diagnostics, exactly
//	```mg error         rejected; the ```text block that follows holds its
//	                    diagnostics, exactly
//	```mg fragment      pipeline members, parsed inside a pipeline, not checked
//	```mg pending       uses a feature the generator does not have yet: check
//	                    -fast accepts it; once the full check does too, the
//	                    test fails until the mark is removed
//
// A word ending in .mg names the file the block is written to (default
// example.mg), as diagnostics show it: ```mg error orders.mg.
package docscheck
