package ir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

func TestZZDump(t *testing.T) {
	path := os.Getenv("MGDUMP")
	if path == "" {
		t.Skip()
	}
	src, _ := os.ReadFile(path)
	f, d := dsl.Parse(filepath.Base(path), src)
	if f == nil {
		t.Fatal(d)
	}
	prog, diags := ir.CheckWith(ir.Options{Dir: filepath.Dir(path)}, f)
	for _, x := range diags {
		fmt.Println(x)
	}
	for _, p := range prog.Files[0].Pipelines {
		fmt.Printf("pipeline %s runs=%v\n", p.Name, p.Runs)
		for _, prm := range p.Params {
			fmt.Printf("  param %s flag=%s %s = %q owner=%s from=%s\n", prm.Name, prm.Flag, prm.Type.Go, prm.Default, prm.Owner.Name, prm.DefaultFrom.Name)
		}
		if p.Graph == nil {
			continue
		}
		for _, n := range p.Graph.Nodes {
			shape := ""
			if n.Decl.Ref != nil {
				shape = fmt.Sprintf(" ref=%s shape=%d method=%v", n.Decl.Ref.Expr, n.Decl.Ref.Shape, n.Decl.Ref.Method)
			}
			fmt.Printf("  node %d %s kind=%s in=%q out=%q strat=%d/%d own=%v recv=%s%s\n", n.Index, n.Name, n.Decl.Kind, n.In.Go, n.Out.Go, n.Decl.Strategy.Kind, n.Decl.Strategy.N, n.Decl.OwnStrategy, n.Recv, shape)
		}
		for _, e := range p.Graph.Edges {
			fmt.Printf("  edge %s -> %s dl=%v %s\n", e.From.Name, e.To.Name, e.DeadLetter, e.Pos)
		}
		for _, h := range p.Graph.Hooks {
			tn := ""
			if h.Target != nil {
				tn = h.Target.Name
			}
			fmt.Printf("  hook %s target=%s recv=%s method=%s\n", h.Hook.Kind, tn, h.Recv, h.Hook.Method)
		}
	}
}
