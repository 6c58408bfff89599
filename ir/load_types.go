package ir

import (
	"fmt"
	"go/types"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Types of bound Go functions come from go/packages (DESIGN 2.3). The go { }
// blocks and the pipeline types exist only once the file is generated, so the
// package is loaded with an overlay in place of the generated file: the
// file's imports, its go { } blocks, a stub of each pipeline type, and one
// variable per binding whose type is read back.

const (
	stubPrefix = "mgBind"
)

func (c *checker) loadTypes(prog *Program) {
	var binds []*Stage
	for _, pd := range c.order {
		for _, st := range pd.ir.Decls {
			if st.Ref != nil && st.Kind != Nested {
				binds = append(binds, st)
			}
		}
	}
	if len(binds) == 0 {
		return
	}
	pkg, bindVar, err := c.loadPackage(prog, binds)
	if err != nil {
		for _, st := range binds {
			c.diags.Errorf(st.Ref.Pos, "cannot load Go types for %s: %v", st.Ref.Expr, err)
		}
		return
	}
	qual := func(p *types.Package) string {
		if p == pkg.Types {
			return ""
		}
		return p.Name()
	}
	for _, st := range binds {
		obj := pkg.Types.Scope().Lookup(bindVar[st])
		if obj == nil || obj.Type() == nil || obj.Type() == types.Typ[types.Invalid] {
			c.bindError(st, pkg, bindVar[st])
			continue
		}
		c.matchShape(st, obj.Type(), qual)
		// Go code that is handed emit may call it from goroutines it starts.
		switch st.Ref.Shape {
		case ShapeProducerEmit, ShapeProducerCtxEmit, ShapeProcessorEmit, ShapeProcessorCtxEmit, ShapeCustom:
			st.ConcurrentEmit = true
		default:
			st.ConcurrentEmit = false
		}
	}
}

// bindError reports why a binding did not type-check.
func (c *checker) bindError(st *Stage, pkg *packages.Package, v string) {
	// The binding's line in the overlay is //line mgbind:N, N the variable's number;
	// go/types makes that name absolute, relative to the overlay's directory.
	at := "mgbind:" + strings.TrimPrefix(v, stubPrefix)
	for _, e := range pkg.Errors {
		if base := filepath.Base(e.Pos); base != at && !strings.HasPrefix(base, at+":") {
			continue
		}
		if strings.HasPrefix(e.Msg, "undefined:") {
			c.diags.Errorf(st.Ref.Pos, "%s is not defined in this package or its go { } blocks", st.Ref.Expr)
		} else {
			c.diags.Errorf(st.Ref.Pos, "cannot bind %s: %s", st.Ref.Expr, e.Msg)
		}
		return
	}
	c.diags.Errorf(st.Ref.Pos, "cannot find the type of %s", st.Ref.Expr)
}

func (c *checker) loadPackage(prog *Program, binds []*Stage) (*packages.Package, map[*Stage]string, error) {
	dir := c.opts.Dir
	if dir == "" && len(prog.Files) > 0 {
		dir = filepath.Dir(prog.Files[0].Name)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	pkgName := "main"
	for _, f := range prog.Files {
		if f.Package != "" {
			pkgName = f.Package
		}
	}
	overlay := map[string][]byte{}
	bindVar := map[*Stage]string{}
	n := 0
	loadDir := absDir
	inModule := findModule(absDir) != ""
	if !inModule {
		tmp, err := os.MkdirTemp("", "minigungen-types-")
		if err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(tmp)
		if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte("module minigungen.check\n\ngo 1.23\n"), 0o644); err != nil {
			return nil, nil, err
		}
		loadDir = tmp
	}
	for _, f := range prog.Files {
		var b strings.Builder
		fmt.Fprintf(&b, "package %s\n\n", pkgName)
		for _, im := range f.Imports {
			fmt.Fprintf(&b, "import %s %q\n", im.Alias, im.Path)
		}
		for _, gb := range f.GoBlocks {
			fmt.Fprintf(&b, "\n//line %s:%d:%d\n%s\n", filepath.Base(gb.Pos.File), gb.Pos.Line, max(gb.Pos.Col, 1), gb.Text)
		}
		for _, p := range f.Pipelines {
			fmt.Fprintf(&b, "\ntype %s struct {\n", p.Name)
			if p.Extends != nil {
				fmt.Fprintf(&b, "\t%s\n", p.Extends.Name)
			}
			for _, prm := range p.Params {
				if prm.Owner == p {
					fmt.Fprintf(&b, "\t%s %s\n", prm.Name, prm.Type.Go)
				}
			}
			for _, s := range p.State {
				fmt.Fprintf(&b, "\t%s %s\n", s.Name, s.Type.Go)
			}
			for _, nf := range p.Nested {
				fmt.Fprintf(&b, "\t%s *%s\n", nf.Field, nf.Type.Name)
			}
			b.WriteString("}\n")
		}
		for _, st := range binds {
			if st.Ref.Pos.File != f.Name {
				continue
			}
			n++
			v := fmt.Sprintf("%s%d", stubPrefix, n)
			bindVar[st] = v
			fmt.Fprintf(&b, "\n//line mgbind:%d\nvar %s = %s\n", n, v, st.Ref.Expr)
		}
		name := strings.TrimSuffix(filepath.Base(f.Name), ".mg") + "_mg.go"
		overlay[filepath.Join(loadDir, name)] = []byte(b.String())
	}
	cfg := &packages.Config{
		Mode:    packages.NeedName | packages.NeedTypes | packages.NeedTypesSizes,
		Dir:     loadDir,
		Overlay: overlay,
		Env:     append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off"),
		Tests:   false,
	}
	if inModule {
		cfg.Env = append(os.Environ(), "GOWORK=off")
	}
	pkgs, err := packages.Load(cfg, ".")
	if err != nil {
		return nil, nil, err
	}
	if len(pkgs) != 1 || pkgs[0].Types == nil {
		return nil, nil, fmt.Errorf("no package found in %s", dir)
	}
	return pkgs[0], bindVar, nil
}

// findModule returns the directory holding go.mod at or above dir, or "".
func findModule(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// matchShape decides a binding's shape and the stage's types from the Go type.
func (c *checker) matchShape(st *Stage, t types.Type, qual types.Qualifier) {
	if st.Kind == Custom {
		c.matchCustom(st, t, qual)
		return
	}
	sig, ok := t.Underlying().(*types.Signature)
	if !ok {
		c.diags.Errorf(st.Ref.Pos, "%s has type %s, which is not a function; %s", st.Ref.Expr, types.TypeString(t, qual), shapesFor(st.Kind))
		return
	}
	params := sig.Params()
	var ps []types.Type
	for i := 0; i < params.Len(); i++ {
		ps = append(ps, params.At(i).Type())
	}
	if st.Ref.Method && len(ps) > 0 {
		ps = ps[1:] // the receiver of a method expression
	}
	var rs []types.Type
	for i := 0; i < sig.Results().Len(); i++ {
		rs = append(rs, sig.Results().At(i).Type())
	}
	spell := func(t types.Type) Type {
		ty := Type{Go: types.TypeString(t, qual), Pos: st.Ref.Pos}
		collectImports(t, &ty)
		return ty
	}
	isCtx := func(t types.Type) bool { return types.TypeString(t, nil) == "context.Context" }
	isErr := func(t types.Type) bool { return types.TypeString(t, nil) == "error" }
	emitOf := func(t types.Type) (types.Type, bool) {
		s, ok := t.Underlying().(*types.Signature)
		if !ok || s.Params().Len() != 1 || s.Results().Len() != 0 || s.Variadic() {
			return nil, false
		}
		return s.Params().At(0).Type(), true
	}
	fail := func() {
		c.diags.Errorf(st.Ref.Pos, "%s has type %s, which does not fit a %s; %s", st.Ref.Expr, types.TypeString(t, qual), st.Kind, shapesFor(st.Kind))
	}
	if sig.Variadic() {
		fail()
		return
	}
	switch st.Kind {
	case Producer:
		switch {
		case len(ps) == 1 && len(rs) == 0:
			if e, ok := emitOf(ps[0]); ok {
				st.Ref.Shape, st.Out = ShapeProducerEmit, spell(e)
				return
			}
		case len(ps) == 2 && len(rs) == 1 && isCtx(ps[0]) && isErr(rs[0]):
			if e, ok := emitOf(ps[1]); ok {
				st.Ref.Shape, st.Out = ShapeProducerCtxEmit, spell(e)
				return
			}
		case len(ps) == 0 && len(rs) == 1:
			if n, ok := rs[0].(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "iter" && n.Obj().Name() == "Seq" && n.TypeArgs().Len() == 1 {
				st.Ref.Shape, st.Out = ShapeProducerSeq, spell(n.TypeArgs().At(0))
				return
			}
		}
	case Processor:
		switch {
		case len(ps) == 1 && len(rs) == 1 && !isErr(rs[0]):
			st.Ref.Shape, st.In, st.Out = ShapeProcessorValue, spell(ps[0]), spell(rs[0])
			return
		case len(ps) == 1 && len(rs) == 2 && isErr(rs[1]):
			st.Ref.Shape, st.In, st.Out = ShapeProcessorValueErr, spell(ps[0]), spell(rs[0])
			return
		case len(ps) == 2 && len(rs) == 2 && isCtx(ps[0]) && isErr(rs[1]):
			st.Ref.Shape, st.In, st.Out = ShapeProcessorCtxValue, spell(ps[1]), spell(rs[0])
			return
		case len(ps) == 2 && len(rs) == 0:
			if e, ok := emitOf(ps[1]); ok {
				st.Ref.Shape, st.In, st.Out = ShapeProcessorEmit, spell(ps[0]), spell(e)
				return
			}
		case len(ps) == 3 && len(rs) == 1 && isCtx(ps[0]) && isErr(rs[0]):
			if e, ok := emitOf(ps[2]); ok {
				st.Ref.Shape, st.In, st.Out = ShapeProcessorCtxEmit, spell(ps[1]), spell(e)
				return
			}
		}
	case Consumer:
		switch {
		case len(ps) == 1 && len(rs) == 0:
			st.Ref.Shape, st.In = ShapeConsumer, spell(ps[0])
			return
		case len(ps) == 1 && len(rs) == 1 && isErr(rs[0]):
			st.Ref.Shape, st.In = ShapeConsumerErr, spell(ps[0])
			return
		case len(ps) == 2 && len(rs) == 1 && isCtx(ps[0]) && isErr(rs[0]):
			st.Ref.Shape, st.In = ShapeConsumerCtx, spell(ps[1])
			return
		}
	}
	fail()
}

// matchCustom accepts a value with a method Process(ctx, In, func(Out)) error.
func (c *checker) matchCustom(st *Stage, t types.Type, qual types.Qualifier) {
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "Process")
	fn, ok := obj.(*types.Func)
	if ok {
		sig := fn.Type().(*types.Signature)
		if sig.Params().Len() == 3 && sig.Results().Len() == 1 && types.TypeString(sig.Params().At(0).Type(), nil) == "context.Context" {
			if e, ok := sig.Params().At(2).Type().Underlying().(*types.Signature); ok && e.Params().Len() == 1 {
				st.Ref.Shape = ShapeCustom
				st.In = Type{Go: types.TypeString(sig.Params().At(1).Type(), qual), Pos: st.Ref.Pos}
				collectImports(sig.Params().At(1).Type(), &st.In)
				st.Out = Type{Go: types.TypeString(e.Params().At(0).Type(), qual), Pos: st.Ref.Pos}
				collectImports(e.Params().At(0).Type(), &st.Out)
				return
			}
		}
	}
	c.diags.Errorf(st.Ref.Pos, "%s (%s) does not implement mgrt.Stage: it needs a method Process(ctx context.Context, in In, emit func(Out)) error", st.Ref.Expr, types.TypeString(t, qual))
}

// collectImports records the import paths a type's spelling refers to.
func collectImports(t types.Type, out *Type) {
	seen := map[string]bool{}
	var walk func(t types.Type)
	walk = func(t types.Type) {
		switch t := t.(type) {
		case *types.Named:
			if p := t.Obj().Pkg(); p != nil && !seen[p.Path()] {
				seen[p.Path()] = true
				out.Imports = append(out.Imports, p.Path())
			}
			for i := 0; i < t.TypeArgs().Len(); i++ {
				walk(t.TypeArgs().At(i))
			}
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		}
	}
	walk(t)
}

func shapesFor(k StageKind) string {
	switch k {
	case Producer:
		return "a producer binds func(emit func(T)), func(ctx context.Context, emit func(T)) error or func() iter.Seq[T]"
	case Processor:
		return "a processor binds func(T) U, func(T) (U, error), func(context.Context, T) (U, error), func(T, emit func(U)) or func(context.Context, T, emit func(U)) error"
	case Consumer:
		return "a consumer binds func(T), func(T) error or func(context.Context, T) error"
	}
	return ""
}
