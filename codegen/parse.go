package codegen

import (
	"go/ast"
	"go/parser"
	"go/token"
)

func parseGenerated(src []byte) (*token.FileSet, *ast.File, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments|parser.SkipObjectResolution)
	return fset, f, err
}
