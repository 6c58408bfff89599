package ir

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/minigun-go/minigun/dsl"
)

// Checks for stages that run in worker processes (DESIGN 3.3): every value
// that crosses the boundary must survive encoding/gob, and a write to state
// that has no merge rule is lost in the parent.

func (c *checker) checkProcesses() {
	for _, pd := range c.order {
		p := pd.ir
		if p.Graph == nil {
			continue
		}
		for _, n := range p.Graph.Nodes {
			st := n.Decl
			if st.Owner != p || !st.Strategy.IsProcess() {
				continue
			}
			for _, side := range []struct {
				what string
				t    Type
			}{{"input", n.In}, {"output", n.Out}} {
				if why := unencodable(side.t.gt, c.qual, nil); why != "" {
					c.diags.Errorf(st.Pos, "stage %q runs in worker processes, but its %s type %s cannot cross a process boundary: %s", n.Name, side.what, side.t.Go, why)
				}
			}
			if st.Body != nil {
				c.lostWrites(st.Body, "p", st.Owner, fmt.Sprintf("stage %q", st.Name))
			}
			if st.Ref != nil && st.Ref.Method {
				c.lostWritesInMethod(st.Owner, st.Ref.Name, fmt.Sprintf("stage %q", st.Name))
			}
		}
		hasProcess := false
		for _, n := range p.Graph.Nodes {
			if n.Decl.Strategy.IsProcess() {
				hasProcess = true
			}
		}
		if hasProcess {
			for _, prm := range p.Params {
				if why := unencodable(prm.Type.gt, c.qual, nil); why != "" {
					c.diags.Errorf(prm.Pos, "parameter %q is copied into worker processes, but its type %s cannot cross a process boundary: %s", prm.Name, prm.Type.Go, why)
				}
			}
		}
		for _, h := range p.Hooks {
			if h.Kind == AfterFork && hasProcess {
				c.lostWrites(&h.Body, "p", p, "after_fork")
			}
		}
		for _, s := range p.State {
			if s.Merge == MergeNone || s.Merge == MergeFunc || s.Type.Shape == UnknownShape {
				continue // merge(FUNC) is checked with the types; an unknown shape was not loaded
			}
			if need, ok := mergeNeeds(s.Merge, s.Type.Shape); !ok {
				c.diags.Errorf(s.Pos, "merge(%s) needs %s, %q is %s", s.Merge, need, s.Name, describeType(s.Type, c.qual))
			}
		}
		for _, s := range p.State {
			if s.Merge == MergeNone {
				continue
			}
			if why := unencodable(s.Type.gt, c.qual, nil); why != "" {
				c.diags.Errorf(s.Pos, "state field %q has a merge rule, but its type %s cannot cross a process boundary: %s", s.Name, s.Type.Go, why)
			}
		}
		p.NeedsGob = hasProcess && needsGob(p)
	}
}

// needsGob reports whether a value the worker processes of p exchange may need encoding/gob:
// an item or emit of a process stage, a parameter, or the value of a merge field of p, its
// parents or its nested pipelines that is not made of plain values. merge(sum), max and min
// cross as numbers and strings; a union's map always goes through gob.
func needsGob(p *Pipeline) bool {
	for _, n := range p.Graph.Nodes {
		if !n.Decl.Strategy.IsProcess() {
			continue
		}
		if !PlainValues(n.In.gt) || !n.Out.IsZero() && !PlainValues(n.Out.gt) {
			return true
		}
	}
	for _, r := range p.AllParams {
		if !PlainValues(r.Param.Type.gt) {
			return true
		}
	}
	seen := map[*Pipeline]bool{}
	var state func(q *Pipeline) bool
	state = func(q *Pipeline) bool {
		for ; q != nil && !seen[q]; q = q.Extends {
			seen[q] = true
			for _, s := range q.State {
				switch s.Merge {
				case MergeUnion:
					return true
				case MergeAppend, MergeFunc:
					if !PlainValues(s.Type.gt) {
						return true
					}
				}
			}
			for _, nf := range q.Nested {
				if state(nf.Type) {
					return true
				}
			}
		}
		return false
	}
	return state(p)
}

// PlainValues reports whether values of type t cross a process boundary in the runtime's raw
// codec, without encoding/gob: booleans, integers, floating-point numbers, strings, and
// arrays, slices and structs made of them, every struct field exported, none of them of size
// zero or with a method gob or encoding would use (GobEncode, MarshalBinary, MarshalText and
// their decoding sides), nested at most 6 deep. It mirrors the runtime's buildRaw
// (runtime/internal/remote/codec.go), never more lenient: a type it calls plain is plain
// there. An unknown type (Go types not loaded) is not plain.
func PlainValues(t types.Type) bool { return plainValues(t, 0) }

func plainValues(t types.Type, depth int) bool {
	if t == nil || !validType(t) || depth > 6 || hasEncodingMethod(t) || zeroSize(t) {
		return false
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch u.Kind() {
		case types.Bool, types.Int, types.Int8, types.Int16, types.Int32, types.Int64,
			types.Uint, types.Uint8, types.Uint16, types.Uint32, types.Uint64, types.Uintptr,
			types.Float32, types.Float64, types.String:
			return true
		}
	case *types.Array:
		return plainValues(u.Elem(), depth+1)
	case *types.Slice:
		return plainValues(u.Elem(), depth+1)
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if f := u.Field(i); !f.Exported() || !plainValues(f.Type(), depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// hasEncodingMethod reports whether t or *t has a method named as those through which gob
// encodes or decodes a value itself, whatever its signature.
func hasEncodingMethod(t types.Type) bool {
	ms := types.NewMethodSet(types.NewPointer(t))
	for _, name := range []string{"GobEncode", "GobDecode", "MarshalBinary", "UnmarshalBinary", "MarshalText", "UnmarshalText"} {
		if ms.Lookup(nil, name) != nil {
			return true
		}
	}
	return false
}

// zeroSize reports whether values of t take no memory (struct{}, [0]T).
func zeroSize(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Array:
		return u.Len() == 0 || zeroSize(u.Elem())
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if !zeroSize(u.Field(i).Type()) {
				return false
			}
		}
		return true
	}
	return false
}

// mergeNeeds says what shape a merge rule needs, and whether shape is one.
func mergeNeeds(k MergeKind, shape TypeShape) (string, bool) {
	switch k {
	case MergeAppend:
		return "a slice", shape == SliceShape
	case MergeUnion:
		return "a map", shape == MapShape
	case MergeSum:
		return "a number", shape == NumberShape
	case MergeMax, MergeMin:
		return "an ordered type (a number or a string)", shape.Ordered()
	}
	return "", true
}

// describeType spells a type, and what it is underneath when its name does
// not say it: Counter (struct{N int}).
func describeType(t Type, qual types.Qualifier) string {
	if t.gt == nil {
		return t.Go
	}
	if u := types.TypeString(t.gt.Underlying(), qual); u != t.Go {
		return fmt.Sprintf("%s (%s)", t.Go, u)
	}
	return t.Go
}

// unencodable explains why encoding/gob cannot carry a value of type t
// across a process boundary, or returns "". Named types, of the go { } blocks
// and of other packages alike, are seen through to what they are; a type
// that encodes itself (GobEncoder, BinaryMarshaler, TextMarshaler, as
// time.Time does) is carried whatever it holds. gob drops chan and func
// fields silently, so a struct field of either is refused too. An unknown
// type (Go types not loaded) is not judged.
func unencodable(t types.Type, qual types.Qualifier, seen map[*types.Named]bool) string {
	if t == nil || !validType(t) {
		return ""
	}
	if seen == nil {
		seen = map[*types.Named]bool{}
	}
	if encodesItself(t) {
		return ""
	}
	named, _ := types.Unalias(t).(*types.Named)
	if named != nil {
		if seen[named] {
			return ""
		}
		seen[named] = true
	}
	why := ""
	switch u := t.Underlying().(type) {
	case *types.Chan, *types.Signature:
		return fmt.Sprintf("encoding/gob cannot encode %s", types.TypeString(t, qual))
	case *types.Interface:
		return fmt.Sprintf("encoding/gob cannot encode the interface %s without registered concrete types", types.TypeString(t, qual))
	case *types.Basic:
		if u.Kind() == types.UnsafePointer {
			return fmt.Sprintf("encoding/gob cannot encode %s", types.TypeString(t, qual))
		}
	case *types.Pointer:
		why = unencodable(u.Elem(), qual, seen)
	case *types.Slice:
		why = unencodable(u.Elem(), qual, seen)
	case *types.Array:
		why = unencodable(u.Elem(), qual, seen)
	case *types.Map:
		if why = unencodable(u.Key(), qual, seen); why == "" {
			why = unencodable(u.Elem(), qual, seen)
		}
	case *types.Struct:
		exported := 0
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if !f.Exported() {
				continue
			}
			exported++
			if w := unencodable(f.Type(), qual, seen); w != "" {
				why = fmt.Sprintf("field %s: %s", f.Name(), w)
				break
			}
		}
		if exported == 0 {
			why = "a struct with no exported fields, so encoding/gob would carry nothing"
		}
	}
	if why != "" && named != nil && types.TypeString(t, qual) != types.TypeString(t.Underlying(), qual) {
		if _, isStruct := t.Underlying().(*types.Struct); isStruct || !strings.HasPrefix(why, "encoding/gob cannot encode") {
			why = types.TypeString(t, qual) + ": " + why
		}
	}
	return why
}

// encodesItself reports whether gob encodes t with its own methods.
func encodesItself(t types.Type) bool {
	ms := types.NewMethodSet(types.NewPointer(t))
	for _, name := range []string{"GobEncode", "MarshalBinary", "MarshalText"} {
		if sel := ms.Lookup(nil, name); sel != nil {
			return true
		}
	}
	return false
}

// stateFields returns the state of p and its parents by name.
func stateFields(p *Pipeline) map[string]*StateField {
	out := map[string]*StateField{}
	for q := p; q != nil; q = q.Extends {
		for _, s := range q.State {
			if _, ok := out[s.Name]; !ok {
				out[s.Name] = s
			}
		}
	}
	return out
}

// lostWrites warns about writes to state without a merge rule in a body that
// runs in a worker process. The check is syntactic (DESIGN 3.3).
func (c *checker) lostWrites(b *Body, recv string, owner *Pipeline, where string) {
	pb := c.parseBody(b)
	if pb == nil {
		return
	}
	c.findWrites(pb.block, recv, owner, where, pb.mgPos)
}

func (c *checker) lostWritesInMethod(owner *Pipeline, method, where string) {
	for _, gb := range c.goBlocks {
		if gb.ast == nil {
			continue
		}
		for _, d := range gb.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != method || len(fn.Recv.List) != 1 || fn.Body == nil {
				continue
			}
			if baseIdent(fn.Recv.List[0].Type) != owner.Name || len(fn.Recv.List[0].Names) == 0 {
				continue
			}
			c.findWrites(fn.Body, fn.Recv.List[0].Names[0].Name, owner, where, gb.pb.mgPos)
		}
	}
}

func (c *checker) findWrites(body ast.Node, recv string, owner *Pipeline, where string, pos func(token.Pos) dsl.Pos) {
	fields := stateFields(owner)
	report := func(lhs ast.Expr) {
		name := stateRoot(lhs, recv)
		if name == "" {
			return
		}
		f, ok := fields[name]
		if !ok || f.Merge != MergeNone {
			return
		}
		c.diags.Warnf(pos(lhs.Pos()), "write to state field %q in %s is lost: it runs in a worker process and %q has no merge rule (add merge(...) to the field, or emit the value)", name, where, name)
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				return true
			}
			for _, l := range s.Lhs {
				report(l)
			}
		case *ast.IncDecStmt:
			report(s.X)
		}
		return true
	})
}

// stateRoot returns F when e is recv.F, recv.F[k], recv.F.x, ... and "" otherwise.
func stateRoot(e ast.Expr, recv string) string {
	for {
		switch t := e.(type) {
		case *ast.SelectorExpr:
			if id, ok := t.X.(*ast.Ident); ok && id.Name == recv {
				return t.Sel.Name
			}
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.StarExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		default:
			return ""
		}
	}
}

func baseIdent(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.StarExpr:
		return baseIdent(t.X)
	case *ast.SelectorExpr:
		return t.Sel.Name
	}
	return ""
}

// checkProcessBudget mirrors the runtime's check of max_processes (DESIGN
// 2.2) when every number is a literal: the persistent workers of processes(N)
// stages hold their processes for the whole run, so they must fit, with one
// process left for the process_per_batch stages.
func (c *checker) checkProcessBudget(p *Pipeline) {
	limit := p.MaxProcesses
	if p.Graph == nil || limit.IsZero() || limit.IsParam() {
		return
	}
	need, perBatch := 0, false
	var names []string
	for _, n := range p.Graph.Nodes {
		switch s := n.Decl.Strategy; s.Kind {
		case Processes:
			if s.N.IsParam() {
				return // known when the run starts
			}
			need += s.N.Int()
			names = append(names, fmt.Sprintf("%q %s", n.Name, s))
		case ProcessPerBatch:
			perBatch = true
		}
	}
	what := strings.Join(names, ", ")
	if perBatch {
		need++
		if what != "" {
			what += " and "
		}
		what += "one process for the process_per_batch stages"
	}
	if need > limit.Int() {
		c.diags.Errorf(limit.Pos, "max_processes %d is less than the %d worker processes the stages of %q need at once (%s)", limit.Int(), need, p.Name, what)
	}
}
