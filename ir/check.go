package ir

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	pathpkg "path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/minigun-go/minigun/dsl"
)

// Options tunes Check.
type Options struct {
	// Dir is the directory of the Go package the files belong to. Bound Go
	// functions are typed by loading that package (with the go { } blocks
	// overlaid); when Dir is empty or not inside a module, the go { } blocks
	// are typed on their own in a scratch module.
	Dir string
	// NoTypes skips loading Go types: bindings are then left unchecked and
	// untyped, and no fact that needs go/types is known (see Fast). Used by
	// tools that only need the graph, and by check -fast.
	NoTypes bool
	// Fast skips loading Go types, as NoTypes does, unless the program binds
	// Go functions: their signatures decide the generated code (generate -fast).
	Fast bool
	// DefaultPackage is the package of files without a package clause (the
	// directory's package); "" is main.
	DefaultPackage string
	// Standalone checks the files as minigungen build compiles them: a main
	// package holding only the generated code, in the module when it provides
	// the runtime, else in a scratch module holding the runtime's source.
	Standalone bool
}

// Check resolves and checks parsed files of one package into a Program.
func Check(files ...*dsl.File) (*Program, dsl.Diagnostics) {
	return CheckWith(Options{}, files...)
}

// CheckWith is Check with options.
func CheckWith(opts Options, files ...*dsl.File) (*Program, dsl.Diagnostics) {
	c := &checker{opts: opts, pipelines: map[string]*pipelineDecl{}}
	prog := &Program{}
	for _, f := range files {
		prog.Files = append(prog.Files, c.file(f))
	}
	c.resolvePipelines()
	for _, pd := range c.order {
		pd.ir.AllParams = allParams(pd.ir, 0)
	}
	if opts.Standalone {
		c.checkFlags()
	}
	c.checkBodies()
	c.checkNames()
	if !c.diags.HasErrors() {
		c.loadTypes(prog)
	}
	for _, pd := range c.order {
		if pd.built {
			c.buildGraph(pd)
		}
	}
	c.checkProcesses()
	for _, pd := range c.order {
		c.checkProcessBudget(pd.ir)
	}
	c.diags.Sort()
	prog.diags = c.diags
	return prog, c.diags
}

type checker struct {
	opts      Options
	diags     dsl.Diagnostics
	pipelines map[string]*pipelineDecl
	order     []*pipelineDecl // declaration order, all files
	files     map[string]*dsl.File
	goBlocks  []*goBlockSrc
	clause    *File                 // the first file with a package clause
	parsed    map[*Body]*parsedBody // bodies parsed so far; nil for one with a syntax error
	// qual spells the types of go/types as the generated file does: the
	// package's own unqualified, others by their name.
	qual types.Qualifier
}

type goBlockSrc struct {
	file *dsl.File
	body *dsl.Body
	text string      // the body's text, line directives made plain comments
	ast  *ast.File   // parsed by checkBodies; nil when it has a syntax error
	pb   *parsedBody // maps its positions back to the .mg file
}

// pipelineDecl holds a top-level pipeline while it is being checked.
type pipelineDecl struct {
	ast       *dsl.Pipeline
	file      *dsl.File
	ir        *Pipeline
	irFile    *File
	contexts  map[string]Strategy
	execution *Strategy
	root      *scopeDecl
	reroutes  []reroute
	state     int // 0 unvisited, 1 visiting, 2 done
	built     bool
}

type reroute struct {
	from NameRef
	to   []NameRef
	own  bool // declared in this pipeline, not inherited
}

// scopeDecl is a pipeline or inline sub-pipeline with its members in source order.
type scopeDecl struct {
	name    string // "" for the top level, else the sub-pipeline's name
	pos     dsl.Pos
	to      []NameRef
	from    []NameRef
	members []memberDecl
}

type memberDecl struct {
	stage *Stage
	sub   *scopeDecl
}

func (c *checker) pos(f *dsl.File, p lexer.Position) dsl.Pos { return f.Position(p) }

func (c *checker) file(f *dsl.File) *File {
	if c.files == nil {
		c.files = map[string]*dsl.File{}
	}
	c.files[f.Name] = f
	out := &File{Name: f.Name}
	if f.Package != nil {
		out.Package = f.Package.Name
		if name := f.Package.Name; name == "_" || token.IsKeyword(name) || !token.IsIdentifier(name) {
			c.diags.Errorf(c.pos(f, f.Package.Pos), "invalid package name %q: a Go package name is an identifier other than _ and the keywords", name)
			out.Package = ""
		}
		switch first := c.clause; {
		case out.Package == "":
		case first == nil:
			c.clause = out
		case first.Package != out.Package:
			c.diags.Errorf(c.pos(f, f.Package.Pos), "package %s, but %s beside it is package %s", out.Package, baseName(first.Name), first.Package)
		}
	}
	seen := map[string]bool{}
	for _, im := range f.Imports {
		path, err := strconv.Unquote(im.Path)
		if err != nil || path == "" {
			c.diags.Errorf(c.pos(f, im.Pos), "invalid import path %s", im.Path)
			continue
		}
		if why := importClash(im.Alias, path); why != "" {
			c.diags.Errorf(c.pos(f, im.Pos), "%s", why)
			continue
		}
		key := im.Alias + " " + path
		if seen[key] {
			continue
		}
		seen[key] = true
		out.Imports = append(out.Imports, Import{Alias: im.Alias, Path: path, Pos: c.pos(f, im.Pos), PathPos: importPathPos(f, im)})
	}
	for _, d := range f.Decls {
		switch {
		case d.Go != nil:
			text := noLineDirectives(d.Go.Body.Text)
			out.GoBlocks = append(out.GoBlocks, GoBlock{Pos: f.OffsetPos(d.Go.Body.Lbrace.Offset + 1), Text: text})
			c.goBlocks = append(c.goBlocks, &goBlockSrc{file: f, body: d.Go.Body, text: text})
		case d.Pipeline != nil:
			name := d.Pipeline.Name.Name
			pos := c.pos(f, d.Pipeline.Name.Pos)
			if prev, ok := c.pipelines[name]; ok {
				c.diags.Errorf(pos, "duplicate pipeline %q (first declared at %s)", name, prev.ir.Pos)
				continue
			}
			if !isExported(name) {
				c.diags.Errorf(pos, "pipeline name %q must start with an upper-case letter: it becomes an exported Go type", name)
			}
			p := &Pipeline{Name: name, Pos: pos, Doc: d.Pipeline.Doc}
			pd := &pipelineDecl{ast: d.Pipeline, file: f, ir: p, irFile: out, contexts: map[string]Strategy{}}
			c.pipelines[name] = pd
			c.order = append(c.order, pd)
			out.Pipelines = append(out.Pipelines, p)
			if len(d.Pipeline.Options) > 0 {
				c.diags.Errorf(c.pos(f, d.Pipeline.Options[0].Pos), "options such as %s(...) belong to sub-pipelines, not to a top-level pipeline", d.Pipeline.Options[0].Name)
			}
		}
	}
	return out
}

// generatedImports are the packages generated code refers to by their own names, besides
// those with reserved names (mgrt, mgcli, mgnats, ...).
var generatedImports = map[string]string{"context": "context", "time": "time", "fmt": "fmt", "os": "os"}

// generatedAliases are the reserved names under which generated code imports the runtime's
// packages (codegen: mgrt, mgcli, mgnats, mg+base for an extension): a user may import them
// under the same names.
var generatedAliases = func() map[string]string {
	m := map[string]string{"mgrt": RuntimePath, "mgcli": cliPath, "mgnats": NATSPath}
	for _, p := range ExtensionPaths {
		m["mg"+pathpkg.Base(p)] = p
	}
	return m
}()

// importClash says why a user's import (alias, path) cannot sit beside the generated code's
// imports in the generated file, or returns "".
func importClash(alias, path string) string {
	name := alias
	if name == "" {
		name = pathpkg.Base(path)
		if len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
			name = pathpkg.Base(pathpkg.Dir(path)) // a major version suffix: .../yaml/v3 is yaml
		}
	}
	switch {
	case name == "_" || name == ".":
	case generatedAliases[name] != "":
		if generatedAliases[name] != path {
			return fmt.Sprintf("import name %q is the generated code's name for %s: import %q under another name", name, generatedAliases[name], path)
		}
	case hasReservedPrefix(name):
		if alias != "" {
			return fmt.Sprintf("import name %q starts with %q, which is reserved for generated names", name, Reserved)
		}
	case generatedImports[name] != "" && generatedImports[name] != path:
		return fmt.Sprintf("import name %q is the generated code's name for package %q: import %q under another name", name, generatedImports[name], path)
	}
	return ""
}

// isExported reports whether name starts with an upper-case letter, as Go's
// exported identifiers do (any script: Ünïcode is exported).
func isExported(name string) bool {
	r, _ := utf8.DecodeRuneInString(name)
	return unicode.IsUpper(r)
}

// resolvePipelines declares every pipeline, parents and nested pipelines first.
func (c *checker) resolvePipelines() {
	for _, pd := range c.order {
		c.declare(pd)
	}
}

func (c *checker) declare(pd *pipelineDecl) {
	switch pd.state {
	case 1:
		c.diags.Errorf(pd.ir.Pos, "pipeline %q extends or nests itself", pd.ir.Name)
		return
	case 2:
		return
	}
	pd.state = 1
	defer func() { pd.state = 2 }()
	f := pd.file
	p := pd.ir
	if ext := pd.ast.Extends; ext != nil {
		parent, ok := c.pipelines[ext.Name]
		if !ok {
			c.unknownPipeline(f, ext)
			return
		}
		c.declare(parent)
		if !parent.built {
			return
		}
		p.Extends = parent.ir
		for k, v := range parent.contexts {
			pd.contexts[k] = v
		}
		for _, prm := range parent.ir.Params {
			cp := *prm
			p.Params = append(p.Params, &cp)
		}
		p.QueueSize, p.MaxThreads, p.MaxProcesses, p.FailFast = parent.ir.QueueSize, parent.ir.MaxThreads, parent.ir.MaxProcesses, parent.ir.FailFast
		p.MaxFailures = parent.ir.MaxFailures
		pd.execution = parent.execution
		for _, r := range parent.reroutes {
			r.own = false
			pd.reroutes = append(pd.reroutes, r)
		}
	}
	// Pipeline-wide settings first, so that every stage sees them whatever the order.
	c.settings(pd, pd.ast.Members)
	pd.root = c.scope(pd, "", pd.ir.Pos, pd.ast.Members, nil)
	pd.built = true
}

func (c *checker) unknownPipeline(f *dsl.File, id *dsl.Ident) {
	var names []string
	for n := range c.pipelines {
		names = append(names, n)
	}
	msg := fmt.Sprintf("unknown pipeline %q", id.Name)
	if s := didYouMean(id.Name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	c.diags.Errorf(c.pos(f, id.Pos), "%s", msg)
}

// param declares a pipeline parameter, or a child's new default for one.
func (c *checker) param(pd *pipelineDecl, prm *dsl.Param) {
	f, p := pd.file, pd.ir
	name := prm.Name.Name
	pos := c.pos(f, prm.Name.Pos)
	typ := c.typeOf(f, prm.Type)
	def, defPos := "", dsl.Pos{}
	if prm.Default != nil {
		def, defPos = prm.Default.Text, c.pos(f, prm.Default.Pos)
		if _, err := parser.ParseExpr(def); err != nil {
			c.diags.Errorf(c.pos(f, prm.Default.Pos), "invalid default for parameter %q: %v", name, goErr(err))
		}
	}
	field := Exported(name)
	replaced := false
	for _, prev := range p.Params {
		if prev.Name != field {
			continue
		}
		if prev.Owner == p {
			c.diags.Errorf(pos, "duplicate parameter %q (first declared at %s)", name, prev.Pos)
		} else if prev.Type.Go != typ.Go {
			c.diags.Errorf(pos, "parameter %q redeclared with type %s; %q declares it as %s", name, typ.Go, prev.Owner.Name, prev.Type.Go)
		} else {
			prev.Default, prev.DefaultPos = def, defPos
			prev.Pos = pos
			prev.DefaultFrom = p
			if prm.Doc != "" {
				prev.Doc = prm.Doc
			}
		}
		replaced = true
	}
	if !replaced {
		flag := flagName(name)
		if slices.Contains(BuiltinFlags, flag) {
			c.diags.Errorf(pos, "parameter %q would be the flag -%s, which every built program has already: choose another name", name, flag)
		}
		p.Params = append(p.Params, &Param{Name: field, Decl: name, Doc: prm.Doc, Flag: flag, Type: typ, Default: def, DefaultPos: defPos, Pos: pos, Owner: p, DefaultFrom: p})
	}
}

// settings reads the pipeline-level members: params, state, limits, contexts.
func (c *checker) settings(pd *pipelineDecl, members []*dsl.Member) {
	f, p := pd.file, pd.ir
	stateNames := map[string]dsl.Pos{}
	// Params first: options and settings may name them.
	for _, m := range members {
		if m.Param != nil {
			c.param(pd, m.Param)
		}
	}
	// Named contexts next, so that execution and stages may use one
	// declared below them. A child may redefine a parent's context; a second
	// one in the same pipeline is an error.
	ownContexts := map[string]dsl.Pos{}
	for _, m := range members {
		if m.Context == nil {
			continue
		}
		name := m.Context.Name.Name
		pos := c.pos(f, m.Context.Name.Pos)
		if prev, dup := ownContexts[name]; dup {
			c.diags.Errorf(pos, "duplicate context %q (first declared at %s)", name, prev)
			continue
		}
		ownContexts[name] = pos
		pd.contexts[name] = c.strategy(pd, m.Context.Strategy, true)
	}
	var ownExecution *dsl.Pos
	for _, m := range members {
		switch {
		case m.State != nil:
			for i, fl := range m.State.Fields {
				if i > 0 && len(fl.Names) == 1 && fl.Names[0].Name == "merge" && m.State.Fields[i-1].Merge != nil &&
					m.State.Fields[i-1].EndPos.Line == fl.Pos.Line && !strings.Contains(string(f.Src[m.State.Fields[i-1].EndPos.Offset:fl.Pos.Offset]), ";") {
					c.diags.Errorf(c.pos(f, fl.Pos), "a second merge rule: a state field has one")
					continue
				}
				typ := c.typeOf(f, fl.Type)
				kind, fn, mergePos := MergeNone, "", dsl.Pos{}
				if fl.Merge != nil {
					mergePos = c.pos(f, fl.Merge.Rule.Pos)
					rule := strings.Join(fl.Merge.Rule.Parts, ".")
					if k, ok := mergeNames[rule]; ok {
						kind = k
					} else {
						kind, fn = MergeFunc, rule
					}
				}
				if n := fl.Names[0]; len(fl.Names) == 1 && goKeywords[n.Name] {
					// `map[string]int` alone reads as a field "map" of type [string]int.
					c.diags.Errorf(c.pos(f, n.Pos), "state field needs a name: write NAME %s", strings.TrimSpace(string(f.Src[n.Pos.Offset:fl.Type.End])))
					continue
				}
				for _, n := range fl.Names {
					pos := c.pos(f, n.Pos)
					if goKeywords[n.Name] {
						c.diags.Errorf(pos, "state field name %q is a Go keyword", n.Name)
						continue
					}
					if prev, ok := stateNames[n.Name]; ok {
						c.diags.Errorf(pos, "duplicate state field %q (first declared at %s)", n.Name, prev)
						continue
					}
					stateNames[n.Name] = pos
					p.State = append(p.State, &StateField{Name: n.Name, Type: typ, Merge: kind, MergeFunc: fn, MergePos: mergePos, Pos: pos})
				}
			}
		case m.Execution != nil:
			pos := c.pos(f, m.Execution.Pos)
			if ownExecution != nil {
				c.diags.Errorf(pos, "duplicate execution setting (first at %s): a pipeline has one default strategy", *ownExecution)
				continue
			}
			ownExecution = &pos
			s := c.strategy(pd, m.Execution.Strategy, true)
			pd.execution = &s
		case m.QueueSize != nil:
			if m.QueueSize.Unbounded {
				p.QueueSize = Value{N: -1, Pos: c.pos(f, m.QueueSize.Pos)}
				c.diags.Warnf(c.pos(f, m.QueueSize.Pos), "queue_size unbounded removes backpressure: memory grows with the backlog")
			} else {
				p.QueueSize = c.settingValue(f, "queue_size", m.QueueSize.Pos, m.QueueSize.Size+m.QueueSize.Param, p.Params)
			}
		case m.Limit != nil:
			v := c.settingValue(f, m.Limit.Kind, m.Limit.Pos, m.Limit.Value, p.Params)
			switch m.Limit.Kind {
			case "max_threads":
				p.MaxThreads = v
			case "max_processes":
				p.MaxProcesses = v
			case "max_failures":
				p.MaxFailures = &v
			}
		case m.FailFast != nil:
			p.FailFast = true
		}
	}
	for _, fld := range p.State {
		for _, prm := range p.Params {
			if prm.Name == fld.Name {
				c.diags.Errorf(fld.Pos, "state field %q has the name of parameter %q", fld.Name, prm.Name)
			}
		}
	}
}

// typeOf normalises a written Go type.
func (c *checker) typeOf(f *dsl.File, t *dsl.GoType) Type {
	if t == nil {
		return Type{}
	}
	pos := c.pos(f, t.Pos)
	e, err := parser.ParseExpr(t.Text)
	if err != nil {
		c.diags.Errorf(pos, "invalid type %s: %v", t.Text, goErr(err))
		return Type{Go: t.Text, Pos: pos}
	}
	return Type{Go: exprString(e), Pos: pos, src: t.Text}
}

// importPathPos is the position of an import's quoted path.
func importPathPos(f *dsl.File, im *dsl.Import) dsl.Pos {
	off := im.Pos.Offset
	if i := strings.IndexAny(string(f.Src[min(off, len(f.Src)):]), "\"`"); i >= 0 {
		off += i
	}
	return f.OffsetPos(off)
}

func exprString(e ast.Expr) string {
	var b strings.Builder
	printer.Fprint(&b, token.NewFileSet(), e)
	return b.String()
}

func goErr(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i >= 0 && strings.Count(s[:i], ":") >= 1 {
		s = s[i+2:]
	}
	return s
}

// scope reads the members of a pipeline, sub-pipeline or strategy block.
func (c *checker) scope(pd *pipelineDecl, name string, pos dsl.Pos, members []*dsl.Member, block *Strategy) *scopeDecl {
	sc := &scopeDecl{name: name, pos: pos}
	c.members(pd, sc, members, block)
	return sc
}

func (c *checker) members(pd *pipelineDecl, sc *scopeDecl, members []*dsl.Member, block *Strategy) {
	f, p := pd.file, pd.ir
	for _, m := range members {
		switch {
		case m.Stage != nil:
			if st := c.stage(pd, sc, m.Stage, block); st != nil {
				sc.members = append(sc.members, memberDecl{stage: st})
				p.Decls = append(p.Decls, st)
			}
		case m.Batch != nil:
			if st := c.batch(pd, sc, m.Batch, block); st != nil {
				sc.members = append(sc.members, memberDecl{stage: st})
				p.Decls = append(p.Decls, st)
			}
		case m.Hook != nil:
			c.hook(pd, sc, m.Hook)
		case m.Queue != nil:
			q := m.Queue
			st := c.newStage(pd, sc, Queue, q.Name.Name, c.pos(f, q.Name.Pos))
			if !isStageName(st.Name) {
				c.diags.Errorf(st.Pos, "queue name %q must start with a lower-case letter", st.Name)
			} else if goKeywords[st.Name] {
				c.diags.Errorf(st.Pos, "queue name %q is a Go keyword", st.Name)
			}
			st.In = c.typeOf(f, q.Type)
			st.Out = st.In
			var opts []*dsl.Option
			for _, o := range q.Options {
				if o.Name != "queue_size" {
					c.diags.Errorf(c.pos(f, o.Pos), "a queue takes only queue_size(N), not %s", o.Name)
					continue
				}
				opts = append(opts, o)
			}
			c.options(pd, st, opts, nil)
			sc.members = append(sc.members, memberDecl{stage: st})
			p.Decls = append(p.Decls, st)
		case m.Reroute != nil:
			r := reroute{from: c.nameRef(f, m.Reroute.From), own: true}
			for _, t := range m.Reroute.To {
				r.to = append(r.to, c.nameRef(f, t))
			}
			pd.reroutes = append(pd.reroutes, r)
		case m.Sub != nil:
			sub := m.Sub
			subName := sub.Name.Name
			if sc.name != "" {
				subName = sc.name + "." + subName
			}
			if sub.Extends != nil {
				c.diags.Errorf(c.pos(f, sub.Extends.Pos), "a sub-pipeline cannot extend another pipeline; declare a top-level pipeline and nest it")
			}
			child := &scopeDecl{name: subName, pos: c.pos(f, sub.Name.Pos)}
			for _, o := range sub.Options {
				switch o.Name {
				case "to":
					child.to = append(child.to, c.nameArgs(f, o)...)
				case "from":
					child.from = append(child.from, c.nameArgs(f, o)...)
				default:
					c.diags.Errorf(c.pos(f, o.Pos), "a sub-pipeline takes only to(...) and from(...), not %s; use a strategy block inside it", o.Name)
				}
			}
			c.members(pd, child, sub.Members, block)
			sc.members = append(sc.members, memberDecl{sub: child})
		case m.Block != nil:
			s := c.strategy(pd, &m.Block.Strategy.Option, true)
			c.members(pd, sc, m.Block.Members, &s)
		case m.Param != nil, m.State != nil, m.Execution != nil, m.QueueSize != nil, m.Limit != nil, m.Context != nil, m.FailFast != nil:
			if sc.name != "" || block != nil {
				pos := memberPos(m)
				if sc.name != "" {
					c.diags.Errorf(c.pos(f, pos), "this declaration belongs at the top of pipeline %q, not inside a sub-pipeline or block", p.Name)
				} else {
					c.diags.Errorf(c.pos(f, pos), "this declaration belongs at the top of pipeline %q, not inside a strategy block", p.Name)
				}
			}
		}
	}
}

func memberPos(m *dsl.Member) lexer.Position {
	switch {
	case m.Param != nil:
		return m.Param.Pos
	case m.State != nil:
		return m.State.Pos
	case m.Execution != nil:
		return m.Execution.Pos
	case m.QueueSize != nil:
		return m.QueueSize.Pos
	case m.Limit != nil:
		return m.Limit.Pos
	case m.Context != nil:
		return m.Context.Pos
	case m.FailFast != nil:
		return m.FailFast.Pos
	}
	return lexer.Position{}
}

func (c *checker) nameRef(f *dsl.File, q *dsl.QName) NameRef {
	return NameRef{Name: strings.Join(q.Parts, "."), Pos: c.pos(f, q.Pos)}
}

func (c *checker) nameArgs(f *dsl.File, o *dsl.Option) []NameRef {
	if !o.Parens || len(o.Args) == 0 {
		c.diags.Errorf(c.pos(f, o.Pos), "%s(...) needs at least one stage name", o.Name)
		return nil
	}
	var out []NameRef
	for _, a := range o.Args {
		if a.Kind != dsl.ArgName || a.Key != "" {
			c.diags.Errorf(c.pos(f, a.Pos), "%s(...) takes stage names, found %s", o.Name, a.Value)
			continue
		}
		out = append(out, NameRef{Name: a.Value, Pos: c.pos(f, a.Pos)})
	}
	return out
}

var stageKinds = map[string]StageKind{"producer": Producer, "processor": Processor, "consumer": Consumer, "accumulator": Accumulator, "stage": Custom, "nested": Nested}

func (c *checker) newStage(pd *pipelineDecl, sc *scopeDecl, kind StageKind, name string, pos dsl.Pos) *Stage {
	q := name
	if sc.name != "" {
		q = sc.name + "." + name
	}
	method := uniqueName(pd.ir, stageMethod(q))
	return &Stage{Kind: kind, Name: name, QName: q, Pos: pos, Owner: pd.ir, Sub: sc.name, Method: method, ToType: toType(pd.ir.Name, method)}
}

// uniqueName returns base, or base with a number, so that no two stage or
// hook methods of a pipeline share a name (Exported maps ingest.parse and
// ingest_parse alike).
func uniqueName(p *Pipeline, base string) string {
	taken := func(n string) bool {
		for _, st := range p.Decls {
			if st.Method == n {
				return true
			}
		}
		for _, h := range p.Hooks {
			if h.Method == n {
				return true
			}
		}
		return false
	}
	name := base
	for i := 2; taken(name); i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	return name
}

// reservedNames are the names bodies already see: an input parameter (or an
// on_error parameter) of that name would not compile.
var reservedNames = map[string]string{"p": "the pipeline value", "ctx": "the context", "emit": "the emit function", "to": "the dynamic routes", "result": "the run's result in after_run"}

// goKeywords cannot name a stage: the name becomes a Go identifier.
var goKeywords = map[string]bool{
	"break": true, "case": true, "chan": true, "const": true, "continue": true, "default": true,
	"defer": true, "else": true, "fallthrough": true, "for": true, "func": true, "go": true, "goto": true,
	"if": true, "import": true, "interface": true, "map": true, "package": true, "range": true,
	"return": true, "select": true, "struct": true, "switch": true, "type": true, "var": true,
}

func (c *checker) stage(pd *pipelineDecl, sc *scopeDecl, s *dsl.Stage, block *Strategy) *Stage {
	f := pd.file
	kind := stageKinds[s.Kind]
	st := c.newStage(pd, sc, kind, s.Name.Name, c.pos(f, s.Name.Pos))
	st.Doc = s.Doc
	if !isStageName(st.Name) {
		c.diags.Errorf(st.Pos, "stage name %q must start with a lower-case letter", st.Name)
	} else if goKeywords[st.Name] {
		c.diags.Errorf(st.Pos, "stage name %q is a Go keyword", st.Name)
	}
	// Signature.
	if s.Params != nil {
		switch kind {
		case Producer:
			if s.Params.Name != nil {
				c.diags.Errorf(c.pos(f, s.Params.Pos), "producer %q takes no input: write %s()", st.Name, st.Name)
			}
		case Custom, Nested:
			c.diags.Errorf(c.pos(f, s.Params.Pos), "%s %q is bound with =, it takes no parameter list", kind, st.Name)
		default:
			if s.Params.Name == nil {
				c.diags.Errorf(c.pos(f, s.Params.Pos), "%s %q needs an input parameter: (name Type)", kind, st.Name)
			} else {
				st.InName = s.Params.Name.Name
				if what, ok := reservedNames[st.InName]; ok {
					c.diags.Errorf(c.pos(f, s.Params.Name.Pos), "input parameter %q hides %s, which every body sees as %s: choose another name", st.InName, what, st.InName)
				}
				st.In = c.typeOf(f, s.Params.Type)
			}
		}
	}
	if s.Out != nil {
		switch kind {
		case Consumer:
			c.diags.Errorf(c.pos(f, s.Out.Pos), "consumer %q has no output; use a processor to emit %s", st.Name, s.Out.Text)
		case Custom, Nested:
			c.diags.Errorf(c.pos(f, s.Out.Pos), "%s %q takes its types from what it is bound to", kind, st.Name)
		default:
			st.Out = c.typeOf(f, s.Out)
		}
	}
	c.options(pd, st, s.Options, block)
	switch {
	case s.Body != nil:
		st.Body = &Body{Text: noLineDirectives(s.Body.Text), Pos: f.OffsetPos(s.Body.Lbrace.Offset + 1)}
		switch kind {
		case Custom, Nested:
			c.diags.Errorf(st.Pos, "%s %q is bound with = and has no body", kind, st.Name)
		}
		if s.Params == nil && kind != Accumulator {
			if kind == Producer {
				c.diags.Errorf(st.Pos, "producer %q needs a signature: %s() Type { ... }", st.Name, st.Name)
			} else {
				c.diags.Errorf(st.Pos, "%s %q needs a signature: %s(name Type) ... { ... }", kind, st.Name, st.Name)
			}
		}
		if (kind == Producer || kind == Processor) && st.Out.IsZero() && s.Params != nil {
			c.diags.Errorf(st.Pos, "%s %q needs an output type: %s(...) Type { ... }", kind, st.Name, st.Name)
		}
		if kind == Accumulator && st.Out.IsZero() && s.Params != nil {
			// Without a body it sends each batch on; a body emits values of its OUT type.
			c.diags.Errorf(st.Pos, "accumulator %q has a body, so it needs an output type: %s(b []T) Type max_size(N) { ... }", st.Name, st.Name)
		}
	case s.Ref != nil:
		st.Ref = &Binding{Expr: s.Ref.Text, Pos: c.pos(f, s.Ref.Pos)}
		st.ConcurrentEmit = kind != Nested && kind != Consumer // until its shape is known
		st.UsesCtx = true
		if kind == Nested {
			if name, rest, ok := strings.Cut(strings.TrimSpace(s.Ref.Text), " "); ok {
				// Options written after the pipeline's name: nested t = T to(sink).
				if _, known := c.pipelines[name]; known {
					c.diags.Errorf(st.Ref.Pos, "options of a nested pipeline go before the =: nested %s %s = %s", st.Name, strings.TrimSpace(rest), name)
				} else {
					c.diags.Errorf(st.Ref.Pos, "nested %s = ...: want the name of a pipeline after the =, got %q", st.Name, strings.TrimSpace(s.Ref.Text))
				}
				return nil
			}
			nested, ok := c.pipelines[s.Ref.Text]
			if !ok {
				c.unknownPipeline(f, &dsl.Ident{Pos: s.Ref.Pos, Name: s.Ref.Text})
				return nil
			}
			c.declare(nested)
			if !nested.built {
				return nil
			}
			st.NestedOf = nested.ir
			pd.ir.Nested = append(pd.ir.Nested, &NestedField{Field: nestedField(st.QName), Accessor: NestedAccessor(st.QName), Type: nested.ir, Stage: st})
		} else {
			if s.Params != nil || s.Out != nil {
				c.diags.Errorf(st.Pos, "%s %q is bound with =: its types come from the Go function, write no signature", kind, st.Name)
			}
			if e, err := parser.ParseExpr(st.Ref.Expr); err != nil {
				c.diags.Errorf(st.Ref.Pos, "invalid Go reference %s: %v", st.Ref.Expr, goErr(err))
			} else if m, ok := methodExpr(e, pd.ir.Name); ok {
				st.Ref.Method = true
				st.Ref.Name = m
			}
		}
	default:
		if kind != Accumulator {
			c.diags.Errorf(st.Pos, "%s %q needs a body { ... } or a binding = GoFunc", kind, st.Name)
		} else {
			st.IsBatch = true
			if !st.Out.IsZero() {
				c.diags.Errorf(st.Out.Pos, "accumulator %q without a body emits []%s; it has no output type of its own", st.Name, st.In.Go)
			}
		}
	}
	if kind == Accumulator {
		if st.BatchSize.IsZero() {
			c.diags.Errorf(st.Pos, "accumulator %q needs max_size(N)", st.Name)
			st.BatchSize = literal(1, st.Pos)
		}
		if !st.In.IsZero() {
			if !strings.HasPrefix(st.In.Go, "[]") {
				c.diags.Errorf(st.In.Pos, "accumulator %q receives its batch as a slice: write (%s []%s)", st.Name, st.InName, st.In.Go)
			} else {
				st.In.Go = strings.TrimPrefix(st.In.Go, "[]")
			}
		}
		if st.IsBatch {
			st.Out = SliceOf(st.In)
			st.Out.Pos = st.Pos
		}
	}
	return st
}

// isStageName reports whether s starts with a lower-case letter (any script) or "_".
func isStageName(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || unicode.IsLower(r)
}

// methodExpr reports whether e is (*Pipeline).name or Pipeline.name.
func methodExpr(e ast.Expr, pipeline string) (string, bool) {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	x := sel.X
	if p, ok := x.(*ast.ParenExpr); ok {
		x = p.X
	}
	if s, ok := x.(*ast.StarExpr); ok {
		x = s.X
	}
	if id, ok := x.(*ast.Ident); ok && id.Name == pipeline {
		return sel.Sel.Name, true
	}
	return "", false
}

func (c *checker) batch(pd *pipelineDecl, sc *scopeDecl, b *dsl.Batch, block *Strategy) *Stage {
	f := pd.file
	pos := c.pos(f, b.Pos)
	size := c.settingValue(f, "batch", b.Pos, b.Size, pd.ir.Params)
	// Batches are named after their position among the batches of their scope.
	n := 1
	for _, m := range sc.members {
		if m.stage != nil && m.stage.IsBatch && strings.HasPrefix(m.stage.Name, "batch") {
			n++
		}
	}
	name := "batch"
	if n > 1 {
		name = fmt.Sprintf("batch%d", n)
	}
	st := c.newStage(pd, sc, Accumulator, name, pos)
	st.Doc = b.Doc
	st.IsBatch = true
	st.BatchSize = size
	if b.Every != nil {
		st.MaxWait = c.settingValue(f, "every", b.Pos, b.Every.Value, pd.ir.Params)
	}
	c.options(pd, st, b.Options, block)
	return st
}

// options applies stage options and the inherited strategy.
func (c *checker) options(pd *pipelineDecl, st *Stage, opts []*dsl.Option, block *Strategy) {
	f := pd.file
	var own *Strategy
	seen := map[string]dsl.Pos{}
	for _, o := range opts {
		pos := c.pos(f, o.Pos)
		spec, alias := LookupOption(o.Name)
		if spec == nil || spec.Where&(onStages|OnQueue) == 0 {
			msg := fmt.Sprintf("unknown option %q", o.Name)
			if s := didYouMean(o.Name, optionNames(onStages)); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			c.diags.Errorf(pos, "%s", msg)
			continue
		}
		if st.Kind == Queue && spec.Where&OnQueue == 0 {
			c.diags.Errorf(pos, "a queue takes only queue_size(N), not %s", o.Name)
			continue
		}
		if spec.Strategy {
			if own != nil {
				c.diags.Errorf(pos, "stage %q has two strategies (%s and %s)", st.Name, own.Kind, o.Name)
				continue
			}
			s := c.strategy(pd, o, false)
			own = &s
			continue
		}
		if spec.Name != "to" && spec.Name != "from" {
			if prev, ok := seen[spec.Name]; ok {
				c.diags.Errorf(pos, "option %s given twice (first at %s)", o.Name, prev)
				continue
			}
			seen[spec.Name] = pos
		}
		if spec.Where&whereOf(st) == 0 && spec.Belongs != "" {
			c.diags.Errorf(pos, "%s belongs to %s", o.Name, spec.Belongs)
			continue
		}
		args := c.parseOption(f, spec, alias, o, pd.ir.Params)
		switch spec.Name {
		case "to":
			st.To = addRefs(st.To, args.names[""])
		case "from":
			st.From = addRefs(st.From, args.names[""])
		case "routing":
			if args.words[""] == "round_robin" {
				st.Routing = RoundRobin
			}
		case "queue_size":
			if args.words[""] == "unbounded" {
				st.QueueSize = Value{N: -1, Pos: pos}
				c.diags.Warnf(pos, "queue_size(unbounded) on stage %q removes backpressure: memory grows with the backlog", st.Name)
			} else {
				st.QueueSize = args.values[""]
			}
		case "ordered":
			st.Ordered = true
		case "retry":
			st.Retry = args.values[""]
			st.Backoff = args.values["backoff"]
		case "dead_letter":
			if refs := args.names[""]; len(refs) == 1 {
				st.DeadLetter = &refs[0]
			}
		case "timeout":
			st.Timeout = args.values[""]
		case "await":
			c.diags.Notef(pos, "await has no effect: end of stream is exact, every sender of a stage is known before the program runs")
		case "max_size":
			st.BatchSize = args.values[""]
		case "max_wait":
			st.MaxWait = args.values[""]
		case "total":
			st.Total = args.values[""]
		}
	}
	// Strategy: own option, then the innermost block, then the pipeline's execution.
	switch {
	case own != nil:
		st.Strategy = *own
		st.OwnStrategy = true
	case block != nil:
		st.Strategy = *block
	case pd.execution != nil:
		st.Strategy = *pd.execution
	}
	switch st.Kind {
	case Producer:
		if own != nil {
			c.diags.Errorf(own.Pos, "producer %q always runs once on one goroutine; it takes no strategy", st.Name)
		}
		st.Strategy = Strategy{}
	case Accumulator:
		if own != nil && own.Kind != Inline {
			c.diags.Errorf(own.Pos, "accumulator %q always runs on one goroutine in the parent process; it takes no strategy", st.Name)
		}
		st.Strategy = Strategy{}
	case Queue:
		st.Strategy = Strategy{}
	case Nested:
		if own != nil {
			c.diags.Errorf(own.Pos, "nested pipeline %q takes its stages' strategies from its own declaration", st.Name)
		}
		st.Strategy = Strategy{}
	}
	if st.Ordered && st.Strategy.Kind == Inline {
		c.diags.Warnf(seen["ordered"], "ordered has no effect on stage %q: it runs inline, so its items already leave in order", st.Name)
	}
	if _, ok := seen["routing"]; ok && (st.Kind == Consumer || st.Kind == Queue) {
		c.diags.Errorf(seen["routing"], "%s %q has no emits to route: routing(...) belongs to stages with an output", st.Kind, st.Name)
	}
	if st.Kind == Consumer && len(st.To) > 0 {
		c.diags.Errorf(st.To[0].Pos, "consumer %q has no output: it cannot send to(...)", st.Name)
	}
	if st.Kind == Producer && len(st.From) > 0 {
		c.diags.Errorf(st.From[0].Pos, "producer %q never receives: it cannot take from(...)", st.Name)
	}
}

// strategy reads a strategy option; named contexts are resolved.
func (c *checker) strategy(pd *pipelineDecl, o *dsl.Option, declaring bool) Strategy {
	f := pd.file
	pos := c.pos(f, o.Pos)
	s := Strategy{Pos: pos}
	spec, alias := LookupOption(o.Name)
	if spec == nil || !spec.Strategy {
		c.diags.Errorf(pos, "%q is not a strategy: expected %s", o.Name, strategyNames())
		return s
	}
	args := c.parseOption(f, spec, alias, o, pd.ir.Params)
	if spec.Name == "context" {
		refs := args.names[""]
		if len(refs) != 1 {
			return s
		}
		name := refs[0].Name
		cs, ok := pd.contexts[name]
		if !ok {
			var names []string
			for n := range pd.contexts {
				names = append(names, n)
			}
			msg := fmt.Sprintf("unknown context %q", name)
			if sug := didYouMean(name, names); sug != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", sug)
			}
			c.diags.Errorf(pos, "%s", msg)
			return s
		}
		cs.Pos = pos
		return cs
	}
	s.Kind = spec.Kind
	switch s.Kind {
	case ProcessPerBatch:
		s.N, s.IPC = args.values["max"], "pipe"
		if w := args.words["ipc"]; w != "" {
			s.IPC = w
		}
	case Threads, Processes, Remote:
		s.N = args.values[""]
	}
	if _, given := args.values[""]; s.Kind != Inline && s.N.IsZero() && !(s.Kind == Remote && given) {
		s.N = literal(1, pos) // reported by parseOption
	}
	s.Recycle = args.values["recycle"]
	s.Chunk, s.AckWait, s.InFlight, s.MaxDeliver = args.values["chunk"], args.values["ack_wait"], args.values["in_flight"], args.values["max_deliver"]
	return s
}

var hookKinds = map[string]HookKind{"before_run": BeforeRun, "after_run": AfterRun, "after_producer": AfterProducer, "before": BeforeStage, "after": AfterStage, "before_fork": BeforeFork, "after_fork": AfterFork, "on_error": OnError}

func (c *checker) hook(pd *pipelineDecl, sc *scopeDecl, h *dsl.Hook) {
	f := pd.file
	kind := hookKinds[h.Kind]
	hk := &Hook{Kind: kind, Pos: c.pos(f, h.Pos), Owner: pd.ir, Sub: sc.name,
		Body: Body{Text: noLineDirectives(h.Body.Text), Pos: f.OffsetPos(h.Body.Lbrace.Offset + 1)}}
	if h.Target != nil {
		r := c.nameRef(f, h.Target)
		hk.Target = &r
	}
	switch kind {
	case BeforeStage, AfterStage, OnError:
		if hk.Target == nil {
			c.diags.Errorf(hk.Pos, "%s needs a stage: %s(NAME) { ... }", h.Kind, h.Kind)
		}
	case BeforeRun, AfterRun, AfterProducer:
		if hk.Target != nil {
			c.diags.Errorf(hk.Target.Pos, "%s applies to the whole pipeline and takes no stage", h.Kind)
		}
	}
	if kind == OnError {
		for _, prm := range h.Params {
			hk.Params = append(hk.Params, HookParam{Name: prm.Name.Name, Type: c.typeOf(f, prm.Type)})
			if what, ok := reservedNames[prm.Name.Name]; ok {
				c.diags.Errorf(c.pos(f, prm.Name.Pos), "parameter %q hides %s, which every hook sees as %s: choose another name", prm.Name.Name, what, prm.Name.Name)
			}
		}
		if len(hk.Params) != 0 && (len(hk.Params) != 2 || hk.Params[0].Type.Go != "error" || hk.Params[1].Type.Go != "any" && hk.Params[1].Type.Go != "interface{}") {
			c.diags.Errorf(hk.Pos, "on_error takes (err error, item any)")
		}
	} else if len(h.Params) > 0 {
		c.diags.Errorf(c.pos(f, h.Params[0].Pos), "%s takes no parameters", h.Kind)
	}
	// Method names: one per hook, numbered when a kind repeats.
	target := ""
	if hk.Target != nil {
		target = hk.Target.Name
	}
	name := uniqueName(pd.ir, hookMethod(h.Kind, target, sc.name))
	hk.Method = name
	pd.ir.Hooks = append(pd.ir.Hooks, hk)
}

// addRefs adds the names of refs that list does not hold yet: edges are a set, so to(c, c)
// or to(c) to(c) is one edge (DESIGN 2.6).
func addRefs(list, refs []NameRef) []NameRef {
	for _, r := range refs {
		if !slices.ContainsFunc(list, func(l NameRef) bool { return l.Name == r.Name }) {
			list = append(list, r)
		}
	}
	return list
}
