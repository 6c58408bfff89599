package codegen_test

import (
	"strings"
	"testing"

	"github.com/minigun-go/minigun/codegen"
	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

func generate(t *testing.T, src string) (*ir.Program, string) {
	t.Helper()
	f, diags := dsl.Parse("remote.mg", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	prog, diags := ir.CheckWith(ir.Options{NoTypes: true}, f)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	files, err := codegen.Generate(prog, codegen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return prog, string(files[0].Content)
}

// Only a file with remote stages imports the NATS transport (a program without them links
// no NATS package); remote(0) keeps its zero.
func TestRemoteImportOnlyWhenNeeded(t *testing.T) {
	_, with := generate(t, "package main\n\npipeline P {\n\tproducer gen() int { emit(1) }\n\tconsumer sink(n int) remote(0) {}\n}\n")
	for _, want := range []string{codegen.NATSPath, "mgnats.Register(", "ServeRemote(", "mgrt.Strategy{Kind: mgrt.Remote, N: 0}"} {
		if !strings.Contains(with, want) {
			t.Errorf("generated code for remote(0) lacks %q:\n%s", want, with)
		}
	}
	_, without := generate(t, "package main\n\npipeline P {\n\tproducer gen() int { emit(1) }\n\tconsumer sink(n int) processes(2) {}\n}\n")
	if strings.Contains(without, codegen.NATSPath) || strings.Contains(without, "ServeRemote") {
		t.Errorf("generated code without remote stages mentions the NATS transport:\n%s", without)
	}
}

// The fingerprint changes with what crosses (types, stages, options), not with bodies.
func TestFingerprint(t *testing.T) {
	fp := func(src string) string {
		prog, _ := generate(t, src)
		return codegen.Fingerprint(prog.Files[0], prog.Files[0].Pipelines[0])
	}
	base := "package main\n\npipeline P {\n\tproducer gen() int { emit(1) }\n\tprocessor d(n int) int remote(2) { emit(n) }\n\tconsumer sink(n int) {}\n}\n"
	body := strings.Replace(base, "emit(n) }", "emit(n * 2) }", 1)
	typ := strings.ReplaceAll(strings.Replace(base, "processor d(n int) int", "processor d(n int) int64", 1), "sink(n int)", "sink(n int64)")
	opt := strings.Replace(base, "remote(2)", "remote(2, chunk: 10)", 1)
	a := fp(base)
	if fp(body) != a {
		t.Errorf("a body change changed the fingerprint")
	}
	if fp(typ) == a || fp(opt) == a {
		t.Errorf("a type or option change kept the fingerprint %s", a)
	}
}
