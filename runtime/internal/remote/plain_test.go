package remote

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"reflect"
	"testing"

	"github.com/minigun-go/minigun/ir"
)

// TestPlainValuesAgree: a type the generator finds plain (so that it does not link
// encoding/gob into the program) crosses in the raw codec at run time, as an item or emit (a
// batch of them), a parameter or a merge field's value; and the generator finds plain what
// it should.
func TestPlainValuesAgree(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "plaintypes_test.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	pkg, err := conf.Check("remote", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := pkg.Scope().Names()
	for _, name := range names {
		obj, ok := pkg.Scope().Lookup(name).(*types.TypeName)
		if !ok {
			continue
		}
		rt, ok := plainTypes[name]
		if !ok {
			t.Fatalf("type %s is not in plainTypes", name)
		}
		plain := ir.PlainValues(obj.Type())
		switch name[0] {
		case 'p':
			if !plain {
				t.Errorf("%s: the generator finds it needs gob; it is plain", name)
			}
		case 'g':
			if plain {
				t.Errorf("%s: the generator finds it plain; it needs gob", name)
			}
		}
		if !plain {
			continue
		}
		if rawCodecFor(reflect.SliceOf(rt)) == nil {
			t.Errorf("%s: plain to the generator, but a batch of it goes through gob", name)
		}
		if rawCodecFor(rt) == nil {
			t.Errorf("%s: plain to the generator, but a value of it goes through gob", name)
		}
		if rawCodecFor(reflect.StructOf([]reflect.StructField{{Name: "P", Type: rt}})) == nil {
			t.Errorf("%s: plain to the generator, but a parameter of it goes through gob", name)
		}
	}
	if len(names) < len(plainTypes)-1 {
		t.Errorf("plaintypes_test.go declares %d names, plainTypes has %d", len(names), len(plainTypes))
	}
}
