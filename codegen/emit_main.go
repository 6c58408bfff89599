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

func cli(name string) *jen.Statement { return jen.Qual(CLIPath, name) }

// main writes the main function of a built binary (DESIGN 3.5): one flag per
// distinct parameter name, applied to every pipeline that declares it and
// only when given; without -pipeline every pipeline that has a producer runs
// once, in source order.
func (g *gen) main() {
	type flagInfo struct {
		name  string
		usage string
		bool  bool
		doc   bool // the usage is the param's doc comment
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
					fi = &flagInfo{name: prm.Flag, bool: prm.Type.Go == "bool"}
					flags[prm.Flag] = fi
					fi.usage = fmt.Sprintf("parameter %s (%s)", prm.Name, prm.Type.Go)
					if prm.Doc != "" {
						fi.usage = strings.ReplaceAll(prm.Doc, "\n", " ") // its doc comment is its usage line
						fi.doc = true
					}
				}
				if fi.doc {
					continue // no per-pipeline defaults after a written usage line
				}
				if prm.Default != "" && len(r.Path) == 0 {
					fi.usage += fmt.Sprintf("; %s: %s", p.Name, prm.Default)
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
		vals := []jen.Code{field("Name", jen.Lit(n)), field("Usage", jen.Lit(flags[n].usage))}
		if flags[n].bool {
			vals = append(vals, field("Bool", jen.True()))
		}
		flagVals = append(flagVals, multiline(vals...))
	}
	var app []jen.Code
	if len(docs) > 0 {
		app = append(app, field("Doc", jen.Lit(strings.Join(docs, "\n\n"))))
	}
	app = append(app,
		field("Programs", jen.Index().Add(cli("Program")).Values(programs...)),
		field("Params", jen.Index().Add(cli("Param")).Values(flagVals...)),
	)
	for _, f := range g.prog.Files {
		if fileHasRemote(f) {
			// -nats, -nats-creds, -worker STAGE: linked only by programs with remote stages.
			app = append(app, field("Extensions", jen.Index().Add(cli("Extension")).Values(natsQ("CLI").Call())))
			break
		}
	}
	g.f.Comment("main runs the file's pipelines; see minigungen build.")
	g.f.Func().Id("main").Params().Block(
		jen.Qual("os", "Exit").Call(cli("Main").Call(cli("App").Add(multiline(app...)))),
	)
}
