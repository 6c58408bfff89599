package dsl

import (
	"strings"
	"testing"
)

// The formatter places comments and blank lines by the source ranges of
// declarations: each range must cover exactly the declaration's tokens.
func TestEndPositions(t *testing.T) {
	src := `package p

import (
	"fmt" // trailing
	x "strings"
)

go { var _ = fmt.Sprint } // after

pipeline P extends Q to(a) {
	param N int = 3 // doc
	state {
		a, b int merge(sum) // c
		s []string
	}
	threads(4) {
		processor a(n int) int ordered { emit(n) }
	}
	consumer c(n int) = Sink
	batch 10 every 1s
}
`
	f, diags := Parse("p.mg", []byte(src))
	if f == nil {
		t.Fatal(diags)
	}
	text := func(start, end int) string { return src[start:end] }
	var got []string
	for _, im := range f.Imports {
		got = append(got, text(im.Pos.Offset, im.EndPos.Offset))
	}
	for _, d := range f.Decls {
		got = append(got, text(d.Pos.Offset, d.EndPos.Offset))
	}
	pl := f.Decls[1].Pipeline
	for _, m := range pl.Members {
		got = append(got, text(m.Pos.Offset, m.EndPos.Offset))
	}
	st := pl.Members[1].State
	got = append(got, text(st.Pos.Offset, st.EndPos.Offset))
	for _, fl := range st.Fields {
		got = append(got, text(fl.Pos.Offset, fl.EndPos.Offset))
	}
	bl := pl.Members[2].Block
	got = append(got, text(bl.Pos.Offset, bl.EndPos.Offset))
	want := []string{
		`"fmt"`, `x "strings"`,
		`go { var _ = fmt.Sprint }`, src[strings.Index(src, "pipeline P") : strings.LastIndex(src, "}")+1],
		`param N int = 3`, "state {\n\t\ta, b int merge(sum) // c\n\t\ts []string\n\t}",
		"threads(4) {\n\t\tprocessor a(n int) int ordered { emit(n) }\n\t}",
		`consumer c(n int) = Sink`, `batch 10 every 1s`,
		"state {\n\t\ta, b int merge(sum) // c\n\t\ts []string\n\t}",
		`a, b int merge(sum)`, `s []string`,
		"threads(4) {\n\t\tprocessor a(n int) int ordered { emit(n) }\n\t}",
	}
	if strings.Join(got, "\n---\n") != strings.Join(want, "\n---\n") {
		t.Errorf("ranges:\n%s\nwant:\n%s", strings.Join(got, "\n---\n"), strings.Join(want, "\n---\n"))
	}
}

func TestTokens(t *testing.T) {
	src := "pipeline P { // a { brace\n\tproducer g() int { s := \"}\"; emit(len(s)) /* } */ }\n}\n"
	toks, err := Tokens("p.mg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, tok := range toks {
		if src[tok.Offset:tok.End()] != tok.Text {
			t.Fatalf("token %q at %d: source has %q", tok.Text, tok.Offset, src[tok.Offset:tok.End()])
		}
		if tok.Kind == TokComment {
			b.WriteString("C")
		}
		b.WriteString(tok.Text + " ")
	}
	want := `pipeline P { C// a { brace producer g ( ) int { s := "}" ; emit ( len ( s ) ) C/* } */ } } `
	if b.String() != want {
		t.Errorf("tokens:\n%s\nwant:\n%s", b.String(), want)
	}
	if _, err := Tokens("p.mg", []byte("pipeline P { s := \"open\n}")); err == nil {
		t.Error("an unterminated string lexes")
	}
}
