package tool

import (
	"flag"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/minigun-go/minigun/ir"
)

func cmdGraph(args []string, env Env) int {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	format := fs.String("format", "dot", "output format: dot (Graphviz) or mermaid")
	only := fs.String("pipeline", "", "draw only this pipeline")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 || !strings.HasSuffix(pos[0], ".mg") {
		return usageError(env, "graph needs one .mg file: minigungen graph [-format dot|mermaid] [-pipeline NAME] FILE.mg")
	}
	if *format != "dot" && *format != "mermaid" {
		return usageError(env, "-format must be dot or mermaid")
	}
	file := filepath.ToSlash(pos[0])
	l := load(pkgFiles{dir: path.Dir(file), files: []string{file}}, env, ir.Options{NoTypes: true})
	report(env.Stderr, l, false)
	if l.diags.HasErrors() {
		return ExitDiag
	}
	var pipelines []*ir.Pipeline
	for _, f := range l.prog.Files {
		for _, p := range f.Pipelines {
			if *only == "" || p.Name == *only {
				pipelines = append(pipelines, p)
			}
		}
	}
	if len(pipelines) == 0 {
		return usageError(env, "no pipeline %q in %s", *only, file)
	}
	if *format == "dot" {
		writeDOT(env.Stdout, pipelines)
	} else {
		writeMermaid(env.Stdout, pipelines)
	}
	return ExitOK
}

// nodeLabel is a node's name, kind and strategy.
func nodeLabel(n *ir.Node) string {
	kind := n.Decl.Kind.String()
	if n.Decl.IsBatch {
		kind = "batch " + n.Decl.BatchSize.String()
	}
	label := fmt.Sprintf("%s\n%s", lastSegment(n.Name), kind)
	if s := n.Decl.Strategy; s.Kind != ir.Inline {
		label += " · " + s.String() // the vocabulary's canonical spelling
	}
	return label
}

func lastSegment(q string) string {
	if i := strings.LastIndexByte(q, '.'); i >= 0 {
		return q[i+1:]
	}
	return q
}

// groups maps a sub-pipeline prefix ("ingest", "transform.inner") to its nodes.
func groups(p *ir.Pipeline) (map[string][]*ir.Node, []string) {
	g := map[string][]*ir.Node{}
	for _, n := range p.Graph.Nodes {
		prefix := ""
		if i := strings.LastIndexByte(n.Name, '.'); i >= 0 {
			prefix = n.Name[:i]
		}
		g[prefix] = append(g[prefix], n)
	}
	keys := make([]string, 0, len(g))
	for k := range g {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return g, keys
}

func dotID(p *ir.Pipeline, n *ir.Node) string {
	return fmt.Sprintf("%q", p.Name+"."+n.Name)
}

func writeDOT(w io.Writer, pipelines []*ir.Pipeline) {
	fmt.Fprintln(w, "digraph minigun {")
	fmt.Fprintln(w, "\trankdir=LR;")
	fmt.Fprintln(w, "\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];")
	for _, p := range pipelines {
		fmt.Fprintf(w, "\tsubgraph %q {\n\t\tlabel=%q;\n", "cluster_"+p.Name, p.Name)
		g, keys := groups(p)
		for _, k := range keys {
			indent := "\t\t"
			if k != "" {
				fmt.Fprintf(w, "\t\tsubgraph %q {\n\t\t\tlabel=%q;\n", "cluster_"+p.Name+"."+k, k)
				indent = "\t\t\t"
			}
			for _, n := range g[k] {
				shape := ""
				switch n.Decl.Kind {
				case ir.Producer:
					shape = ", shape=cds"
				case ir.Queue:
					shape = ", shape=cylinder"
				}
				fmt.Fprintf(w, "%s%s [label=%q%s];\n", indent, dotID(p, n), nodeLabel(n), shape)
			}
			if k != "" {
				fmt.Fprintln(w, "\t\t}")
			}
		}
		for _, e := range p.Graph.Edges {
			style := ""
			if e.DeadLetter {
				style = " [style=dashed, label=\"dead letter\"]"
			} else if e.From.Decl.Routing == ir.RoundRobin {
				style = " [label=\"round robin\"]"
			}
			fmt.Fprintf(w, "\t\t%s -> %s%s;\n", dotID(p, e.From), dotID(p, e.To), style)
		}
		fmt.Fprintln(w, "\t}")
	}
	fmt.Fprintln(w, "}")
}

func mermaidID(p *ir.Pipeline, n *ir.Node) string {
	return strings.NewReplacer(".", "_").Replace(p.Name + "_" + n.Name)
}

func writeMermaid(w io.Writer, pipelines []*ir.Pipeline) {
	fmt.Fprintln(w, "flowchart LR")
	for _, p := range pipelines {
		fmt.Fprintf(w, "  subgraph %s[%s]\n", p.Name, p.Name)
		g, keys := groups(p)
		for _, k := range keys {
			if k != "" {
				fmt.Fprintf(w, "    subgraph %s[%s]\n", mermaidID(p, &ir.Node{Name: k}), k)
			}
			for _, n := range g[k] {
				label := strings.ReplaceAll(nodeLabel(n), "\n", "<br/>")
				open, close := "[", "]"
				switch n.Decl.Kind {
				case ir.Producer:
					open, close = "[/", "/]"
				case ir.Queue:
					open, close = "[(", ")]"
				}
				fmt.Fprintf(w, "      %s%s\"%s\"%s\n", mermaidID(p, n), open, label, close)
			}
			if k != "" {
				fmt.Fprintln(w, "    end")
			}
		}
		fmt.Fprintln(w, "  end")
		for _, e := range p.Graph.Edges {
			arrow := "-->"
			if e.DeadLetter {
				arrow = "-. dead letter .->"
			} else if e.From.Decl.Routing == ir.RoundRobin {
				arrow = "-- round robin -->"
			}
			fmt.Fprintf(w, "  %s %s %s\n", mermaidID(p, e.From), arrow, mermaidID(p, e.To))
		}
	}
}
