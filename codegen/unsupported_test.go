package codegen_test

import (
	"strings"
	"testing"

	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

// remote(N) is checked into the ir, but the generator refuses it, at the
// option, until the runtime runs remote stages.
func TestRemoteNotSupportedYet(t *testing.T) {
	src := "package main\n\npipeline P {\n\tproducer gen() int { emit(1) }\n\tconsumer sink(n int) remote(2) {}\n}\n"
	f, diags := dsl.Parse("remote.mg", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	prog, diags := ir.CheckWith(ir.Options{NoTypes: true}, f)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, err := codegen.Generate(prog, codegen.Options{})
	want := `remote.mg:5:23: stage "sink": remote(2) is not supported yet: the generator cannot emit remote stages`
	if err == nil || strings.TrimSpace(err.Error()) != want {
		t.Errorf("Generate: %v, want %s", err, want)
	}
}
