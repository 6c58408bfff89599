package mgfmt

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"strings"
)

// Go inside a .mg file (bodies, go { } blocks, types, expressions) is
// formatted by go/printer exactly as gofmt formats it, at the indentation of
// the .mg line it is on: each fragment is wrapped in a small Go file whose
// layout outside the fragment is fixed, printed with gofmt's settings and an
// initial indentation, and cut out again. A fragment that is not valid Go is
// left as written, with a warning.

// printerMode is go/format's: tabs for indentation, blanks for alignment,
// and number literals normalised (1<<30 is the mode go/format and gofmt pass
// to go/printer for that).
const printerMode = printer.UseSpaces | printer.TabIndent | printer.Mode(1<<30)

// goError is a fragment that is not valid Go: the message of its first
// error and the error's offset in the fragment.
type goError struct {
	msg    string
	offset int
}

func (e *goError) Error() string { return e.msg }

// printGo parses src as a Go file and prints it at depth tabs. prefix is
// the wrapper's text before the fragment, so that an error is reported at
// its offset in the fragment. check validates the parsed file's shape.
func printGo(src string, prefix int, depth int, check func(*ast.File, *token.FileSet) bool) (string, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "fragment.go", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		var list scanner.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			return "", &goError{msg: list[0].Msg, offset: max(list[0].Pos.Offset-prefix, 0)}
		}
		return "", &goError{msg: err.Error()}
	}
	if !check(file, fset) {
		return "", &goError{msg: "not a Go fragment of the expected kind"}
	}
	// go/printer keeps a //line comment that starts a line at column 1, where it is a line
	// directive; in a .mg file it is a comment of the fragment, indented with it (else each
	// formatting would indent it once more: at column 1 of the wrapper, not of the file).
	marked := false
	for _, g := range file.Comments {
		for _, c := range g.List {
			if strings.HasPrefix(c.Text, "//line ") {
				c.Text = lineMark + c.Text[len("//line "):]
				marked = true
			}
		}
	}
	var b bytes.Buffer
	cfg := printer.Config{Mode: printerMode, Tabwidth: 8, Indent: depth}
	if err := cfg.Fprint(&b, fset, file); err != nil {
		return "", &goError{msg: err.Error()}
	}
	if marked {
		return strings.ReplaceAll(b.String(), lineMark, "//line "), nil
	}
	return b.String(), nil
}

// lineMark stands for "//line " while a fragment is printed.
const lineMark = "//\x00mgline\x00 "

// formatStmts formats the text between a body's braces at depth: the body's
// lines one tab deeper, its closing brace at depth. headerWidth is the width
// of the declaration's line before the body: as gofmt does for a function, a
// body written on one line stays on it when header and body fit in 100
// columns and it holds at most five statements. The result starts with "{".
func formatStmts(text string, depth, headerWidth int) (string, error) {
	// A function whose header is as wide as the declaration's.
	name := "_" + strings.Repeat("_", max(0, headerWidth-len("func _()")))
	prefix := "package p;func " + name + "() {"
	src := prefix + text + "}"
	out, err := printGo(src, len(prefix), depth, func(f *ast.File, fset *token.FileSet) bool {
		if len(f.Decls) != 1 {
			return false
		}
		fn, ok := f.Decls[0].(*ast.FuncDecl)
		return ok && fn.Name.Name == name && fn.Body != nil && fset.Position(fn.Body.Rbrace).Offset == len(src)-1
	})
	if err != nil {
		return "", err
	}
	head := "func " + name + "() "
	i := strings.Index(out, head)
	if i < 0 {
		return "", &goError{msg: "internal error: formatted body not found"}
	}
	return strings.TrimSuffix(out[i+len(head):], "\n"), nil
}

// formatDecls formats the text of a go { } block (from just past the
// comments on its opening brace's line, which the caller keeps there):
// declarations at depth, none for an empty block.
func formatDecls(text string, depth int) ([]string, error) {
	// The package clause stands alone on its line: a comment after it would
	// share gofmt's alignment with the first declaration.
	prefix := "package p\n"
	src := prefix + text
	out, err := printGo(src, len(prefix), depth, func(*ast.File, *token.FileSet) bool { return true })
	if err != nil {
		return nil, err
	}
	all := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if strings.TrimLeft(all[0], "\t") != "package p" {
		return nil, &goError{msg: "internal error: formatted block not found"}
	}
	rest := all[1:]
	for len(rest) > 0 && rest[0] == "" {
		rest = rest[1:]
	}
	return rest, nil
}

// formatType formats a Go type at depth; lines after the first are indented.
func formatType(text string, depth int) (string, error) {
	prefix := "package p;var _ "
	src := prefix + text
	return formatSpec(src, prefix, depth, func(s *ast.ValueSpec, fset *token.FileSet) bool {
		return s.Type != nil && len(s.Values) == 0 && fset.Position(s.Type.End()).Offset == len(src)
	})
}

// formatExpr formats a Go expression at depth; lines after the first are indented.
func formatExpr(text string, depth int) (string, error) {
	prefix := "package p;var _ = "
	src := prefix + text
	return formatSpec(src, prefix, depth, func(s *ast.ValueSpec, fset *token.FileSet) bool {
		return s.Type == nil && len(s.Values) == 1 && fset.Position(s.Values[0].End()).Offset == len(src)
	})
}

func formatSpec(src, prefix string, depth int, ok func(*ast.ValueSpec, *token.FileSet) bool) (string, error) {
	out, err := printGo(src, len(prefix), depth, func(f *ast.File, fset *token.FileSet) bool {
		if len(f.Decls) != 1 {
			return false
		}
		g, isGen := f.Decls[0].(*ast.GenDecl)
		if !isGen || g.Tok != token.VAR || g.Lparen.IsValid() || len(g.Specs) != 1 {
			return false
		}
		s := g.Specs[0].(*ast.ValueSpec)
		return len(s.Names) == 1 && s.Names[0].Name == "_" && ok(s, fset)
	})
	if err != nil {
		return "", err
	}
	head := strings.TrimPrefix(prefix, "package p;")
	i := strings.Index(out, head)
	if i < 0 {
		return "", &goError{msg: "internal error: formatted fragment not found"}
	}
	return strings.TrimSuffix(out[i+len(head):], "\n"), nil
}
