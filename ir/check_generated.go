package ir

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/minigun-go/minigun/dsl"
)

// GoFile is a generated Go file as CheckGenerated type-checks it.
type GoFile struct {
	Name string // NAME_mg.go, beside its NAME.mg
	// Src is the file with its user code (bodies, go { } blocks, imports)
	// at .mg positions through //line directives (codegen.File.TypeCheck).
	Src []byte
}

// CheckGenerated type-checks the code generated for the program (DESIGN
// 4.1), together with the package's own Go files, in the package loaded when
// the program was checked, and reports every Go error: one inside a body, a
// go { } block or an import at its .mg line and byte column; one in a Go file
// of the package at its position there; one that points only into generated
// code as an internal error, which says so. Each diagnostic is one line, and
// none repeats an error the checker reported at the same position. It
// reports nothing when Go types were not loaded (Options.NoTypes or Fast).
func (p *Program) CheckGenerated(files ...GoFile) dsl.Diagnostics {
	gp := p.gopkg
	if gp == nil {
		return nil
	}
	var diags dsl.Diagnostics
	astFiles := append([]*ast.File(nil), gp.files...)
	for _, f := range files {
		name := baseName(f.Name)
		af, err := parser.ParseFile(gp.fset, name, f.Src, parser.SkipObjectResolution)
		if err != nil {
			diags.Errorf(gp.mgStart(name), "internal error: the generated code does not parse: %s", gp.clean(err.Error()))
			return diags
		}
		astFiles = append(astFiles, af)
	}
	type goErr struct {
		pos   token.Position
		msg   string
		conts []goErr // the lines go/types adds: "\tother declaration of x"
	}
	var errs []*goErr
	conf := types.Config{
		GoVersion: gp.goVersion,
		Sizes:     gp.sizes,
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if path == "unsafe" {
				return types.Unsafe, nil
			}
			if pkg, ok := gp.imports[path]; ok {
				return pkg, nil
			}
			return nil, fmt.Errorf("package %s was not loaded", path)
		}),
		Error: func(err error) {
			te, ok := err.(types.Error)
			if !ok {
				return
			}
			e := goErr{pos: gp.fset.Position(te.Pos), msg: te.Msg}
			if strings.HasPrefix(te.Msg, "\t") && len(errs) > 0 {
				last := errs[len(errs)-1]
				last.conts = append(last.conts, e)
				return
			}
			errs = append(errs, &e)
		},
	}
	conf.Check(gp.path, gp.fset, astFiles, nil)
	for _, e := range errs {
		pos, where := gp.position(e.pos)
		msg := withHint(gp.clean(e.msg))
		for _, c := range e.conts {
			cpos, cwhere := gp.position(c.pos)
			if where == inGenerated && cwhere == inMG {
				// x redeclared in this block, the other declaration in a
				// go { } block: that one is the user's to change.
				msg = fmt.Sprintf("%s (the generated code declares it at %s)", msg, gp.positionString(e.pos))
				pos, where = cpos, cwhere
				continue
			}
			msg = fmt.Sprintf("%s (%s at %s)", msg, gp.clean(strings.TrimSpace(c.msg)), gp.positionString(c.pos))
		}
		if where == inMG {
			msg = p.toMessage(msg)
		}
		switch where {
		case inGenerated:
			diags.Errorf(pos, "internal error: the generated code does not type-check: %s: %s", gp.positionString(e.pos), msg)
		default:
			if !p.errorAt(pos) {
				diags.Errorf(pos, "%s", msg)
			}
		}
	}
	diags.Sort()
	return diags
}

// noRoute is go/types' word for a to.NAME that names no target of its stage's to(...).
var noRoute = regexp.MustCompile(`^(\w+)\.(\w+) undefined \(type (` + Reserved + `To\w+) has no field or method \w+\)$`)

// toMessage says a Go error about a stage's to(...) senders in the .mg's words, without the
// generated type's name.
func (p *Program) toMessage(msg string) string {
	m := noRoute.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	for _, f := range p.Files {
		for _, pl := range f.Pipelines {
			for _, st := range pl.Decls {
				if st.ToType != m[3] || len(st.To) == 0 {
					continue
				}
				var names []string
				for _, ref := range st.To {
					names = append(names, RouteField(st.To, ref))
				}
				return fmt.Sprintf("%s.%s undefined: stage %q has no to(...) target %q (it has %s)", m[1], m[2], st.QName, m[2], strings.Join(names, ", "))
			}
		}
	}
	return msg
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// errorAt reports whether the checker reported an error at pos.
func (p *Program) errorAt(pos dsl.Pos) bool {
	for _, d := range p.diags {
		if d.Severity == dsl.Error && d.Pos.File == pos.File && d.Pos.Line == pos.Line && d.Pos.Col == pos.Col {
			return true
		}
	}
	return false
}

// Where a Go position is.
const (
	inMG        = iota // a .mg file of the program
	inGenerated        // a generated file
	inGoFile           // another Go file of the package
)

// position maps a Go position to a diagnostic's: a .mg file or a Go file of
// the package as the .mg names spell their directory; a position in
// generated code to the start of its .mg file.
func (gp *goPackage) position(p token.Position) (dsl.Pos, int) {
	base := filepath.Base(p.Filename)
	if name, ok := gp.mgFiles[base]; ok {
		return dsl.Pos{File: name, Line: p.Line, Col: max(p.Column, 1)}, inMG
	}
	if _, ok := gp.genFiles[base]; ok && (p.Filename == base || filepath.Dir(p.Filename) == gp.pkgDir) {
		return gp.mgStart(base), inGenerated
	}
	return dsl.Pos{File: gp.userPath(base), Line: p.Line, Col: max(p.Column, 1)}, inGoFile
}

// positionString spells a Go position as the user names the file.
func (gp *goPackage) positionString(p token.Position) string {
	base := filepath.Base(p.Filename)
	name := gp.userPath(base)
	if n, ok := gp.mgFiles[base]; ok {
		name = n
	}
	if p.Column > 0 {
		return fmt.Sprintf("%s:%d:%d", name, p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d", name, p.Line)
}

// userPath is a file of the package's directory as the .mg names spell it.
func (gp *goPackage) userPath(base string) string {
	if gp.userDir == "" || gp.userDir == "." {
		return base
	}
	return path.Join(gp.userDir, base)
}

// mgStart is the start of the .mg file a generated file (or a .mg file) comes from.
func (gp *goPackage) mgStart(base string) dsl.Pos {
	name := gp.genFiles[base]
	if name == "" {
		name = gp.mgFiles[base]
	}
	return dsl.Pos{File: name, Line: 1, Col: 1}
}
