package codegen

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/dave/jennifer/jen"

	"github.com/minigun-go/minigun/ir"
)

// What generated code adds for remote stages (DESIGN 3.7): the import of the NATS transport
// (runtime/nats, only in files that have remote stages, so that other programs link no NATS
// package), the registration of each pipeline's graph fingerprint and remote stages, a
// ServeRemote method, and the transport's flags in a built main.

// NATSPath is the import path of the transport of remote stages.
const NATSPath = ir.NATSPath

func natsQ(name string) *jen.Statement { return jen.Qual(NATSPath, name) }

// remoteStages are the qualified names of a pipeline's remote stages, in graph order.
func remoteStages(p *ir.Pipeline) []string {
	if p.Graph == nil {
		return nil
	}
	var out []string
	for _, n := range p.Graph.Nodes {
		if n.Decl.Strategy.Kind == ir.Remote {
			out = append(out, n.Name)
		}
	}
	return out
}

// fileHasRemote reports whether a file's pipelines have remote stages.
func fileHasRemote(f *ir.File) bool {
	for _, p := range f.Pipelines {
		if len(remoteStages(p)) > 0 {
			return true
		}
	}
	return false
}

// Fingerprint is the graph fingerprint of a pipeline with remote stages: a hash of what a
// worker and its coordinator must agree on for items, emits, parameters and state to cross
// correctly: the run graph's stages (names, kinds, item types, strategies and options),
// its edges, the parameters and merge fields (names and types), and the file's go { }
// blocks, where its own types are declared. Positions, comments and bodies do not count.
func Fingerprint(f *ir.File, p *ir.Pipeline) string {
	h := sha256.New()
	w := func(parts ...string) {
		for _, s := range parts {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		h.Write([]byte{1})
	}
	w("minigun graph fingerprint v1", p.Name)
	for _, r := range p.AllParams {
		w("param", r.Mirror, r.Param.Type.Go)
	}
	for _, fl := range mergeFields(p) {
		w("state", fl.Name, fl.Type.Go, strconv.Itoa(int(fl.Merge)), fl.MergeFunc)
	}
	for _, n := range p.Graph.Nodes {
		st := n.Decl
		w("stage", n.Name, st.Kind.String(), n.In.Go, n.Out.Go, st.Strategy.String(),
			st.Retry.String(), st.Backoff.String(), st.Timeout.String(), strconv.FormatBool(st.Ordered))
		for _, r := range n.Routes {
			w("route", r.Field)
		}
	}
	for _, e := range p.Graph.Edges {
		w("edge", e.From.Name, e.To.Name, strconv.FormatBool(e.DeadLetter))
	}
	for _, gb := range f.GoBlocks {
		w("go", gb.Text)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// remoteSupport writes the registration and ServeRemote of a pipeline with remote stages.
func (g *gen) remoteSupport(p *ir.Pipeline) {
	stages := remoteStages(p)
	if len(stages) == 0 {
		return
	}
	f := g.f
	key := rt("WorkerKey").Index(jen.Id(p.Name)).Call()
	args := []jen.Code{key.Clone(), jen.Lit(Fingerprint(g.file, p))}
	for _, s := range stages {
		args = append(args, jen.Lit(s))
	}
	f.Commentf("%s's graph fingerprint and remote stages: a worker refuses a job whose", p.Name)
	f.Comment("fingerprint differs from its own (a program built from another version of the .mg file).")
	f.Var().Id("_").Op("=").Add(natsQ("Register")).Call(args...)
	mgCtx, stage, cfg := id(ir.CtxVar), id(ir.Reserved+"Stage"), id(ir.Reserved+"Config")
	f.Commentf("%s serves one remote stage of %s (%s) on this machine: for every", ir.ServeRemoteMethod, p.Name, joinNames(stages))
	f.Comment("job on the NATS server of the config whose graph fingerprint matches this program's, it")
	f.Comment("starts worker processes of this executable that join it, until ctx is done (see")
	f.Comment("mgnats.Serve). Built programs do the same with -worker STAGE -nats URL.")
	f.Func().Params(id(ir.RecvVar).Op("*").Id(p.Name)).Id(ir.ServeRemoteMethod).
		Params(mgCtx.Clone().Add(ctxType()), stage.Clone().String(), cfg.Clone().Add(natsQ("WorkerConfig"))).Error().
		Block(jen.Return(natsQ("Serve").Call(mgCtx, key, stage, cfg)))
}

func joinNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
