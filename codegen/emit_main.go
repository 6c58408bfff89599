package codegen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/minigun-go/minigun/ir"
)

// CLIPath is the import path of the built-binary main that generated mains call.
const CLIPath = RuntimePath + "/cli"

// extensionPaths are the packages whose Extension adds flags and live views to built binaries
// (-progress, -hud, -metrics-addr).
var extensionPaths = ir.ExtensionPaths

func cli(name string) *jen.Statement { return jen.Qual(CLIPath, name) }

// main writes the main function of a built binary (DESIGN 3.5): one flag per
// distinct parameter name, applied to every pipeline that declares it and
// only when given; without -pipeline every pipeline that has a producer runs
// once, in source order. A parameter's flag takes its type and default from
// the pipeline value that first declares it: `Default: NewFirst().Count`.
func (g *gen) main() {
	type flagInfo struct {
		name     string
		usage    string
		doc      bool     // the usage is the param's doc comment
		def      string   // the first pipeline's default expression
		defaults []string // later pipelines whose default differs: "Second: 2"
		value    *jen.Statement
	}
	flags := map[string]*flagInfo{}
	var programs []jen.Code
	var docs []string // the pipelines' doc comments, the program's description
	for _, f := range g.prog.Files {
		for _, p := range f.Pipelines {
			if p.Doc != "" {
				docs = append(docs, p.Doc)
			}
			p := p
			// Every parameter the pipeline value reaches, a nested
			// pipeline's included, takes its flag.
			var declared []jen.Code
			seen := map[string]bool{}
			for _, r := range p.AllParams {
				prm := r.Param
				if !seen[prm.Flag] {
					seen[prm.Flag] = true
					declared = append(declared, jen.Lit(prm.Flag))
				}
				fi := flags[prm.Flag]
				if fi == nil {
					fi = &flagInfo{name: prm.Flag, def: prm.Default}
					flags[prm.Flag] = fi
					fi.usage = "parameter " + prm.Name
					if prm.Doc != "" {
						fi.usage = strings.ReplaceAll(prm.Doc, "\n", " ") // its doc comment is its usage line
						fi.doc = true
					}
					// The default is the value a fresh pipeline holds.
					fi.value = jen.Id(ir.Constructor(p.Name)).Call()
					for _, fld := range r.Path {
						fi.value = fi.value.Dot(fld)
					}
					fi.value = fi.value.Dot(prm.Name)
					continue
				}
				if prm.Default != fi.def && len(r.Path) == 0 {
					d := prm.Default
					if d == "" {
						d = "zero"
					}
					fi.defaults = append(fi.defaults, fmt.Sprintf("%s: %s", p.Name, d))
				}
			}
			programs = append(programs, jen.Values(jen.Dict{
				jen.Id("Name"):   jen.Lit(p.Name),
				jen.Id("Runs"):   jen.Lit(p.Runs),
				jen.Id("Params"): jen.Index().String().Values(declared...),
				jen.Id("Start"): jen.Func().Params(jen.Id(ir.CtxVar).Add(ctxType()), jen.Id(ir.SetVar).Map(jen.String()).String()).Params(jen.Op("*").Add(rt("Handle")), jen.Error()).BlockFunc(func(b *jen.Group) {
					mgP, mgV, mgOK, mgErr := jen.Id(ir.RecvVar), jen.Id(ir.ValueVar), jen.Id(ir.OKVar), jen.Id(ir.ErrVar)
					b.Add(mgP).Op(":=").Id(ir.Constructor(p.Name)).Call()
					for _, r := range p.AllParams {
						prm := r.Param
						dst := mgP.Clone()
						for _, fld := range r.Path {
							dst = dst.Dot(fld)
						}
						b.If(jen.List(mgV, mgOK).Op(":=").Id(ir.SetVar).Index(jen.Lit(prm.Flag)), mgOK).Block(
							jen.If(mgErr.Clone().Op(":=").Add(cli("SetParam")).Call(jen.Op("&").Add(dst).Dot(prm.Name), mgV), mgErr.Clone().Op("!=").Nil()).Block(
								jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("-"+prm.Flag+": %w"), mgErr)),
							),
						)
					}
					b.Return(mgP.Clone().Dot(ir.StartMethod).Call(jen.Id(ir.CtxVar)), jen.Nil())
				}),
			}))
		}
	}
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	sort.Strings(names)
	var flagVals []jen.Code
	for _, n := range names {
		fi := flags[n]
		usage := fi.usage
		if len(fi.defaults) > 0 && !fi.doc {
			usage += " (" + strings.Join(fi.defaults, "; ") + ")"
		}
		flagVals = append(flagVals, multiline(field("Name", jen.Lit(n)), field("Usage", jen.Lit(usage)), field("Default", fi.value)))
	}
	var app []jen.Code
	if len(docs) > 0 {
		app = append(app, field("Doc", jen.Lit(strings.Join(docs, "\n\n"))))
	}
	version := g.base
	if g.opts.Version != "" {
		version += " (minigungen " + g.opts.Version + ")"
	}
	app = append(app,
		field("Version", jen.Lit(version)),
		field("Programs", jen.Index().Add(cli("Program")).Values(programs...)),
		field("Params", jen.Index().Add(cli("Param")).Values(flagVals...)),
	)
	var exts []jen.Code
	if !g.opts.NoExtensions {
		for _, p := range extensionPaths {
			exts = append(exts, jen.Qual(p, "Extension").Call())
		}
	}
	for _, f := range g.prog.Files {
		if fileHasRemote(f) {
			// -nats, -nats-creds, -worker STAGE: linked only by programs with remote stages,
			// in both images (a worker runs the lean one).
			exts = append(exts, natsQ("CLI").Call())
			break
		}
	}
	if len(exts) > 0 {
		app = append(app, field("Extensions", jen.Index().Add(cli("Extension")).Add(multiline(exts...))))
	}
	if g.opts.NoExtensions {
		app = append(app, field("Lean", jen.True()))
	}
	g.f.Comment("main runs the file's pipelines; see minigungen build.")
	g.f.Func().Id("main").Params().Block(
		jen.Qual("os", "Exit").Call(cli("Main").Call(cli("App").Add(multiline(app...)))),
	)
}
