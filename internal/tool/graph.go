package tool

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/minigun-go/minigun/ir"
)

// minigungen graph draws the checked run graphs (ir.Graph) as Graphviz DOT or
// Mermaid. Both writers read one drawing model (graphDrawing), so that they
// agree on what is drawn: every node with its kind and strategy, every static
// edge labelled with the item type it carries, dynamic to.NAME edges and dead
// letters dashed and labelled, sub-pipelines and nested pipelines as clusters
// in source order. The output is deterministic: same files, same bytes.

var graphCommand = &command{
	name:     "graph",
	synopsis: "graph [-format dot|mermaid] [-pipeline NAME] [-fast] FILES|DIR",
	short:    "draw the run graphs of a package's pipelines",
	doc: `graph writes the run graphs of a package's pipelines (one file, several, or a
directory; the pipelines of each file in source order) as Graphviz DOT or
Mermaid. Each stage shows its name, kind and strategy; every edge the type
of its items; the body's to.NAME routes and dead letters are dashed. -fast
skips loading Go types: edges from bound Go functions are then unlabelled.`,
	example:     "minigungen graph orders.mg | dot -Tsvg -o orders.svg",
	interleaved: true,
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		format := fs.String("format", "dot", "output format: dot (Graphviz) or mermaid")
		only := fs.String("pipeline", "", "draw only this pipeline")
		fast := fs.Bool("fast", false, "skip loading Go types: edges from bound Go functions carry no type")
		return func(pos []string, env Env) int { return graph(pos, env, *format, *only, *fast) }
	},
}

func graph(pos []string, env Env, format, only string, fast bool) int {
	if len(pos) == 0 {
		return usageError(env, "needs .mg files or a directory of one package")
	}
	if format != "dot" && format != "mermaid" {
		return usageError(env, "-format must be dot or mermaid")
	}
	pkgs, err := collect(pos, env)
	if err != nil {
		return usageError(env, "%v", err)
	}
	var pf pkgFiles
	for _, p := range pkgs {
		if len(p.files) == 0 {
			continue
		}
		if len(pf.files) > 0 {
			return usageError(env, "draws one package: %s and %s are different directories", pf.dir, p.dir)
		}
		pf = p
	}
	where := strings.Join(pos, ", ")
	if len(pf.files) == 0 {
		return usageError(env, "no .mg file in %s", where)
	}
	// Files named on the command line keep their order; a directory's are by name.
	slices.SortStableFunc(pf.files, func(a, b string) int { return argIndex(pos, a) - argIndex(pos, b) })
	l := load(pf, env, ir.Options{NoTypes: fast})
	report(env.Stderr, l, false)
	if l.diags.HasErrors() {
		return ExitDiag
	}
	var pipelines []*ir.Pipeline
	var names []string
	for _, f := range l.prog.Files {
		for _, p := range f.Pipelines {
			names = append(names, p.Name)
			if only == "" || p.Name == only {
				pipelines = append(pipelines, p)
			}
		}
	}
	switch {
	case len(names) == 0:
		return usageError(env, "no pipeline in %s", where)
	case len(pipelines) == 0:
		return usageError(env, "no pipeline %q in %s (have %s)", only, where, strings.Join(names, ", "))
	}
	d := draw(pipelines, fast)
	if format == "dot" {
		d.writeDOT(env.Stdout)
	} else {
		d.writeMermaid(env.Stdout)
	}
	return ExitOK
}

// argIndex is the position of a file among the arguments, or past them for
// a file found in a directory.
func argIndex(args []string, file string) int {
	for i, a := range args {
		if a == file || strings.TrimPrefix(a, "./") == strings.TrimPrefix(file, "./") {
			return i
		}
	}
	return len(args)
}

// look is how a node is drawn: its class (producer, queue, or its strategy)
// decides shape, style and colour in both formats.
type look struct {
	class string // also the Mermaid classDef
	// Graphviz.
	shape, style, fill, stroke string
	penwidth                   string
	// Mermaid: the brackets around the label, and the classDef's style.
	open, close, css string
}

// looks are keyed by class. Colours: producers green, queues grey, stages
// by strategy: inline white, threads blue, process stages orange and amber
// (a fresh process per batch dashed, persistent workers a 3-D box),
// remote workers purple.
var looks = map[string]look{
	"producer":          {shape: "cds", style: "filled", fill: "#dcfce7", stroke: "#15803d", open: "([", close: "])", css: "fill:#dcfce7,stroke:#15803d"},
	"queue":             {shape: "cylinder", style: "filled", fill: "#f1f5f9", stroke: "#475569", open: "[(", close: ")]", css: "fill:#f1f5f9,stroke:#475569"},
	"inline":            {shape: "box", style: "rounded,filled", fill: "#ffffff", stroke: "#475569", open: "(", close: ")", css: "fill:#ffffff,stroke:#475569"},
	"threads":           {shape: "box", style: "rounded,filled", fill: "#dbeafe", stroke: "#1d4ed8", penwidth: "2", open: "[[", close: "]]", css: "fill:#dbeafe,stroke:#1d4ed8,stroke-width:2px"},
	"process_per_batch": {shape: "box", style: "filled,dashed", fill: "#ffedd5", stroke: "#c2410c", penwidth: "2", open: "[/", close: "\\]", css: "fill:#ffedd5,stroke:#c2410c,stroke-width:2px,stroke-dasharray:5 3"},
	"processes":         {shape: "box3d", style: "filled", fill: "#fef3c7", stroke: "#b45309", open: "{{", close: "}}", css: "fill:#fef3c7,stroke:#b45309,stroke-width:2px"},
	"remote":            {shape: "component", style: "filled", fill: "#f3e8ff", stroke: "#7e22ce", open: ">", close: "]", css: "fill:#f3e8ff,stroke:#7e22ce,stroke-width:2px"},
}

// classOrder is the order of the Mermaid classDefs.
var classOrder = []string{"producer", "queue", "inline", "threads", "process_per_batch", "processes", "remote"}

// Edge kinds.
const (
	edgeStatic = iota
	edgeRoute  // a target of the body's to.NAME
	edgeDead   // a dead letter
)

// Colours of the edge kinds (Graphviz color and fontcolor, Mermaid linkStyle).
var edgeColours = [...]string{edgeStatic: "#475569", edgeRoute: "#1d4ed8", edgeDead: "#b91c1c"}

// graphDrawing is what both formats draw.
type graphDrawing struct {
	pipelines []*drawnPipeline
}

type drawnPipeline struct {
	name  string
	root  *drawnScope
	edges []*drawnEdge
}

// drawnScope is a pipeline, an inline sub-pipeline or a nested pipeline:
// its nodes and sub-scopes in source order.
type drawnScope struct {
	path  string // "" for the pipeline, "ingest", "transform.inner"
	label string
	items []drawnItem
}

// drawnItem is a node or a sub-scope.
type drawnItem struct {
	node  *drawnNode
	scope *drawnScope
}

type drawnNode struct {
	id    string // pipeline.qualified name: unique in the drawing
	lines []string
	look  look
}

type drawnEdge struct {
	from, to *drawnNode
	kind     int
	lines    []string
}

// draw builds the drawing of pipelines. fast says Go types were not loaded:
// a bound function's items are then of unknown type, and not labelled.
func draw(pipelines []*ir.Pipeline, fast bool) *graphDrawing {
	d := &graphDrawing{}
	for _, p := range pipelines {
		dp := &drawnPipeline{name: p.Name, root: &drawnScope{label: p.Name}}
		nested := nestedLabels(p, "", map[*ir.Pipeline]bool{})
		scopes := map[string]*drawnScope{"": dp.root}
		var scopeOf func(path string) *drawnScope
		scopeOf = func(path string) *drawnScope {
			if s, ok := scopes[path]; ok {
				return s
			}
			parent, name := "", path
			if i := strings.LastIndexByte(path, '.'); i >= 0 {
				parent, name = path[:i], path[i+1:]
			}
			s := &drawnScope{path: path, label: name}
			if l, ok := nested[path]; ok {
				s.label = l
			}
			up := scopeOf(parent)
			up.items = append(up.items, drawnItem{scope: s})
			scopes[path] = s
			return s
		}
		nodes := map[*ir.Node]*drawnNode{}
		for _, n := range p.Graph.Nodes {
			dn := &drawnNode{id: p.Name + "." + n.Name, lines: nodeLines(n), look: nodeLook(n)}
			nodes[n] = dn
			path := ""
			if i := strings.LastIndexByte(n.Name, '.'); i >= 0 {
				path = n.Name[:i]
			}
			s := scopeOf(path)
			s.items = append(s.items, drawnItem{node: dn})
		}
		for _, e := range p.Graph.Edges {
			de := &drawnEdge{from: nodes[e.From], to: nodes[e.To]}
			item := itemType(e.From.Out, e.From, fast)
			switch fields := routeFields(e); {
			case e.DeadLetter:
				de.kind = edgeDead
				de.lines = []string{"dead letter"}
				if in := itemType(e.From.In, e.From, fast); in != "" {
					item = "mgrt.Failed[" + in + "]"
				} else {
					item = ""
				}
			case len(fields) > 0:
				de.kind = edgeRoute
				for _, f := range fields {
					de.lines = append(de.lines, "to."+f)
				}
			case e.From.Decl.Kind == ir.Queue && len(e.From.Outs) > 1:
				de.lines = []string{"shared"} // each item goes to one of the subscribers
			case e.From.Decl.Routing == ir.RoundRobin && len(e.From.Outs) > 1:
				de.lines = []string{"round robin"}
			}
			if item != "" {
				de.lines = append(de.lines, item)
			}
			dp.edges = append(dp.edges, de)
		}
		d.pipelines = append(d.pipelines, dp)
	}
	return d
}

// nestedLabels names the scopes of nested pipelines ("transform" ->
// "transform = Transform"), own and inherited, at any depth.
func nestedLabels(p *ir.Pipeline, prefix string, seen map[*ir.Pipeline]bool) map[string]string {
	out := map[string]string{}
	if seen[p] {
		return out
	}
	seen[p] = true
	for q := p; q != nil; q = q.Extends {
		for _, st := range q.Decls {
			if st.Kind != ir.Nested || st.NestedOf == nil {
				continue
			}
			path := prefix + st.QName
			if _, ok := out[path]; ok {
				continue
			}
			out[path] = st.Name + " = " + st.NestedOf.Name
			for k, v := range nestedLabels(st.NestedOf, path+".", seen) {
				out[k] = v
			}
		}
	}
	delete(seen, p)
	return out
}

// routeFields are the to.NAME fields of the sender's body that send along a
// static edge: a stage's to(...) names are static edges too (emit sends to
// all of them), but when its body calls to.NAME the edge is the body's choice
// per item, so it is drawn as a dynamic route.
func routeFields(e *ir.Edge) []string {
	if e.DeadLetter || !e.From.Decl.UsesTo {
		return nil
	}
	var out []string
	for _, r := range e.From.Routes {
		if slices.Contains(r.Targets, e.To) && !slices.Contains(out, r.Field) {
			out = append(out, r.Field)
		}
	}
	return out
}

// itemType spells a type for a label, "" when it is unknown: absent, or a
// bound Go function's without loaded types.
func itemType(t ir.Type, n *ir.Node, fast bool) string {
	if t.IsZero() || fast && n.Decl.Ref != nil && (t.Go == "any" || t.Go == "interface{}") {
		return ""
	}
	return strings.Join(strings.Fields(t.Go), " ")
}

// nodeLines are a node's label: its name, its kind, then its strategy and
// the options that shape how items flow through it.
func nodeLines(n *ir.Node) []string {
	st := n.Decl
	name := lastSegment(n.Name)
	kind := st.Kind.String()
	var opts []string
	switch {
	case st.IsBatch && st.InName == "": // batch N [every D]: its name is made up
		name, kind = "batch "+st.BatchSize.String(), ""
		if !st.MaxWait.IsZero() {
			name += " every " + st.MaxWait.String()
		}
	case st.Kind == ir.Accumulator:
		if !st.BatchSize.IsZero() {
			opts = append(opts, "max_size("+st.BatchSize.String()+")")
		}
		if !st.MaxWait.IsZero() {
			opts = append(opts, "max_wait("+st.MaxWait.String()+")")
		}
	case st.Kind == ir.Producer:
		if !st.Total.IsZero() {
			opts = append(opts, "total("+st.Total.String()+")")
		}
	}
	if st.Strategy.Kind != ir.Inline {
		opts = append([]string{st.Strategy.String()}, opts...) // the vocabulary's canonical spelling
	}
	if st.Ordered && st.Strategy.Kind != ir.Inline {
		opts = append(opts, "ordered")
	}
	lines := []string{name}
	if kind != "" {
		lines = append(lines, kind)
	}
	if len(opts) > 0 {
		lines = append(lines, strings.Join(opts, " · "))
	}
	return lines
}

func nodeLook(n *ir.Node) look {
	class := n.Decl.Strategy.Kind.String()
	switch n.Decl.Kind {
	case ir.Producer:
		class = "producer"
	case ir.Queue:
		class = "queue"
	}
	l, ok := looks[class]
	if !ok {
		class, l = "inline", looks["inline"]
	}
	l.class = class
	return l
}

func lastSegment(q string) string {
	if i := strings.LastIndexByte(q, '.'); i >= 0 {
		return q[i+1:]
	}
	return q
}

// Graphviz.

// graphFont is the one font of the drawing: graph, cluster, node and edge labels.
const graphFont = "Helvetica"

// dotString quotes s as a DOT string. In a label, a backslash starts an
// escape (\n, \N, \G...), so a backslash of the text is doubled; quotes are
// escaped; the only line breaks are the ones between lines, as \n.
func dotString(s string) string {
	return `"` + dotEscaper.Replace(s) + `"`
}

var dotEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", " ", "\r", " ", "\t", " ")

func dotLabel(lines []string) string {
	quoted := make([]string, len(lines))
	for i, l := range lines {
		quoted[i] = dotEscaper.Replace(l)
	}
	return `"` + strings.Join(quoted, `\n`) + `"`
}

func (d *graphDrawing) writeDOT(w io.Writer) {
	fmt.Fprintln(w, "digraph minigun {")
	fmt.Fprintf(w, "\tgraph [rankdir=LR, fontname=%q, fontsize=12, labeljust=l, nodesep=0.3, ranksep=0.5];\n", graphFont)
	fmt.Fprintf(w, "\tnode [fontname=%q, fontsize=11, shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", color=\"#475569\"];\n", graphFont)
	fmt.Fprintf(w, "\tedge [fontname=%q, fontsize=9, color=%q, fontcolor=\"#334155\"];\n", graphFont, edgeColours[edgeStatic])
	for _, p := range d.pipelines {
		p.root.writeDOT(w, p.name, "\t", true)
		for _, e := range p.edges {
			var attrs []string
			if len(e.lines) > 0 {
				attrs = append(attrs, "label="+dotLabel(e.lines))
			}
			if e.kind != edgeStatic {
				c := edgeColours[e.kind]
				attrs = append(attrs, "style=dashed", "color="+dotString(c), "fontcolor="+dotString(c))
			}
			a := ""
			if len(attrs) > 0 {
				a = " [" + strings.Join(attrs, ", ") + "]"
			}
			fmt.Fprintf(w, "\t%s -> %s%s;\n", dotString(e.from.id), dotString(e.to.id), a)
		}
	}
	fmt.Fprintln(w, "}")
}

func (s *drawnScope) writeDOT(w io.Writer, pipeline, indent string, top bool) {
	id := "cluster_" + pipeline
	style := `style="rounded"; color="#64748b"; fontsize=14`
	if !top {
		id += "." + s.path
		style = `style="rounded,dashed"; color="#94a3b8"`
	}
	fmt.Fprintf(w, "%ssubgraph %s {\n", indent, dotString(id))
	fmt.Fprintf(w, "%s\tlabel=%s; %s;\n", indent, dotString(s.label), style)
	for _, it := range s.items {
		if it.scope != nil {
			it.scope.writeDOT(w, pipeline, indent+"\t", false)
			continue
		}
		n := it.node
		attrs := []string{"label=" + dotLabel(n.lines)}
		l := n.look
		if l.shape != "box" {
			attrs = append(attrs, "shape="+l.shape)
		}
		if l.style != "rounded,filled" {
			attrs = append(attrs, "style="+dotString(l.style))
		}
		if l.fill != "#ffffff" {
			attrs = append(attrs, "fillcolor="+dotString(l.fill))
		}
		if l.stroke != "#475569" {
			attrs = append(attrs, "color="+dotString(l.stroke))
		}
		if l.penwidth != "" {
			attrs = append(attrs, "penwidth="+l.penwidth)
		}
		fmt.Fprintf(w, "%s\t%s [%s];\n", indent, dotString(n.id), strings.Join(attrs, ", "))
	}
	fmt.Fprintf(w, "%s}\n", indent)
}

// Mermaid.

// mermaidEscaper writes text inside a quoted Mermaid label with Mermaid's
// entity codes: quotes would end the label, < > & would be read as HTML, #
// starts an entity, a backtick a Markdown string, | ends an edge label.
var mermaidEscaper = strings.NewReplacer(
	`#`, "#35;", `"`, "#quot;", `&`, "#amp;", `<`, "#lt;", `>`, "#gt;", "`", "#96;", `|`, "#124;",
	"\n", " ", "\r", " ", "\t", " ",
)

func mermaidLabel(lines []string) string {
	quoted := make([]string, len(lines))
	for i, l := range lines {
		quoted[i] = mermaidEscaper.Replace(l)
	}
	return `"` + strings.Join(quoted, "<br/>") + `"`
}

// mermaidIDs gives every node and subgraph an identifier made of letters,
// digits and underscores, unique in the chart.
type mermaidIDs struct {
	used map[string]bool
	ids  map[any]string
}

func (m *mermaidIDs) id(key any, name string) string {
	if id, ok := m.ids[key]; ok {
		return id
	}
	var b strings.Builder
	for _, r := range name {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	base := b.String()
	id := base
	for i := 2; m.used[id]; i++ {
		id = fmt.Sprintf("%s_%d", base, i)
	}
	m.used[id] = true
	m.ids[key] = id
	return id
}

func (d *graphDrawing) writeMermaid(w io.Writer) {
	ids := &mermaidIDs{used: map[string]bool{}, ids: map[any]string{}}
	classes := map[string][]string{}
	fmt.Fprintln(w, "flowchart LR")
	var links [3][]string // edge numbers by kind, for linkStyle
	n := 0
	for _, p := range d.pipelines {
		p.root.writeMermaid(w, ids, classes, "  ", p.name)
		for _, e := range p.edges {
			arrow := "-->"
			if e.kind != edgeStatic {
				arrow = "-.->"
			}
			if len(e.lines) > 0 {
				arrow += "|" + mermaidLabel(e.lines) + "|"
			}
			fmt.Fprintf(w, "  %s %s %s\n", ids.id(e.from, e.from.id), arrow, ids.id(e.to, e.to.id))
			links[e.kind] = append(links[e.kind], fmt.Sprint(n))
			n++
		}
	}
	for _, c := range classOrder {
		if len(classes[c]) > 0 {
			fmt.Fprintf(w, "  classDef %s %s\n", c, looks[c].css)
			fmt.Fprintf(w, "  class %s %s\n", strings.Join(classes[c], ","), c)
		}
	}
	for kind, nums := range links {
		if kind != edgeStatic && len(nums) > 0 {
			fmt.Fprintf(w, "  linkStyle %s stroke:%s,color:%s\n", strings.Join(nums, ","), edgeColours[kind], edgeColours[kind])
		}
	}
}

func (s *drawnScope) writeMermaid(w io.Writer, ids *mermaidIDs, classes map[string][]string, indent, pipeline string) {
	name := pipeline
	if s.path != "" {
		name += "." + s.path
	}
	fmt.Fprintf(w, "%ssubgraph %s[%s]\n", indent, ids.id(s, name), mermaidLabel([]string{s.label}))
	for _, it := range s.items {
		if it.scope != nil {
			it.scope.writeMermaid(w, ids, classes, indent+"  ", pipeline)
			continue
		}
		n := it.node
		id := ids.id(n, n.id)
		fmt.Fprintf(w, "%s  %s%s%s%s\n", indent, id, n.look.open, mermaidLabel(n.lines), n.look.close)
		classes[n.look.class] = append(classes[n.look.class], id)
	}
	fmt.Fprintf(w, "%send\n", indent)
}
