package codegen_test

import (
	"strings"
	"testing"
)

// A .mg comment may hold what Go refuses in a comment (a NUL, a byte order mark, bytes that
// are not UTF-8): the generated doc comment has U+FFFD in its place and the file parses.
func TestDocCommentOddBytes(t *testing.T) {
	for name, odd := range map[string]string{"NUL": "\x00", "BOM": "\ufeff", "not UTF-8": "\xff\xfe"} {
		src := "package main\n\n// P does " + odd + " things.\npipeline P {\n\t// gen " + odd + "\n\tproducer gen() int { emit(1) }\n\tconsumer sink(n int) {}\n}\n"
		_, out := generate(t, src)
		if !strings.Contains(out, "// P does \uFFFD things.") || strings.Contains(out, odd) {
			t.Errorf("%s: the doc comment is not written with U+FFFD in its place:\n%s", name, out)
		}
	}
}
