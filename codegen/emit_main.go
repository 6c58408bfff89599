package codegen

import (
	"fmt"
	"sort"

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
	}
	flags := map[string]*flagInfo{}
	var programs []jen.Code
	for _, f := range g.prog.Files {
		for _, p := range f.Pipelines {
			p := p
			var declared []jen.Code
			for _, prm := range p.Params {
				declared = append(declared, jen.Lit(prm.Flag))
				fi := flags[prm.Flag]
				if fi == nil {
					fi = &flagInfo{name: prm.Flag, bool: prm.Type.Shape == ir.BoolShape}
					flags[prm.Flag] = fi
					fi.usage = fmt.Sprintf("parameter %s (%s)", prm.Name, prm.Type.Go)
				}
				if prm.Default != "" {
					fi.usage += fmt.Sprintf("; %s: %s", p.Name, prm.Default)
				}
			}
			programs = append(programs, jen.Values(jen.Dict{
				jen.Id("Name"):   jen.Lit(p.Name),
				jen.Id("Runs"):   jen.Lit(p.Runs),
				jen.Id("Params"): jen.Index().String().Values(declared...),
				jen.Id("Start"): jen.Func().Params(jen.Id("ctx").Add(ctxType()), jen.Id("set").Map(jen.String()).String()).Params(jen.Op("*").Add(rt("Handle")), jen.Error()).BlockFunc(func(b *jen.Group) {
					b.Id("p").Op(":=").Id("New" + p.Name).Call()
					for _, prm := range p.Params {
						b.If(jen.List(jen.Id("v"), jen.Id("ok")).Op(":=").Id("set").Index(jen.Lit(prm.Flag)), jen.Id("ok")).Block(
							jen.If(jen.Err().Op(":=").Add(cli("SetParam")).Call(jen.Op("&").Id("p").Dot(prm.Name), jen.Id("v")), jen.Err().Op("!=").Nil()).Block(
								jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("-"+prm.Flag+": %w"), jen.Err())),
							),
						)
					}
					b.Return(jen.Id("p").Dot("Start").Call(jen.Id("ctx")), jen.Nil())
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
	g.f.Comment("main runs the file's pipelines; see minigungen build.")
	g.f.Func().Id("main").Params().Block(
		jen.Qual("os", "Exit").Call(cli("Main").Call(cli("App").Add(multiline(
			field("Programs", jen.Index().Add(cli("Program")).Values(programs...)),
			field("Params", jen.Index().Add(cli("Param")).Values(flagVals...)),
		)))),
	)
}
