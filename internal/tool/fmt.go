package tool

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

var fmtCommand = &command{
	name:     "fmt",
	synopsis: "fmt [-l] [-w] FILES|DIRS",
	short:    "rewrite Ruby spellings (thread_pool, cow_fork, ipc_fork)",
	doc: `fmt rewrites the Ruby spellings of strategies to their names in the
language (DESIGN 2.4): thread_pool(N) becomes threads(N), cow_fork(N)
process_per_batch(max: N), ipc_fork(N) processes(N). Everything else is kept
as written.`,
	example:     "minigungen fmt -w ./...",
	interleaved: true,
	setup: func(fs *flag.FlagSet) func([]string, Env) int {
		write := fs.Bool("w", false, "write the result to the file instead of standard output")
		list := fs.Bool("l", false, "list the files whose spelling would change")
		return func(args []string, env Env) int { return rewriteSpellings(args, env, *list, *write) }
	},
}

func rewriteSpellings(args []string, env Env, list, write bool) int {
	if len(args) == 0 {
		return usageError(env, "needs .mg files or directories")
	}
	pkgs, err := collect(args, env)
	if err != nil {
		return usageError(env, "%v", err)
	}
	status := ExitOK
	for _, pf := range pkgs {
		for _, name := range pf.files {
			src, err := os.ReadFile(resolve(env, name))
			if err != nil {
				fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
				status = ExitDiag
				continue
			}
			f, diags := dsl.Parse(name, src)
			if f == nil {
				for _, d := range diags {
					fmt.Fprintln(env.Stderr, d.String())
				}
				status = ExitDiag
				continue
			}
			out := canonicalSpelling(f)
			changed := !bytes.Equal(out, src)
			switch {
			case list:
				if changed {
					fmt.Fprintln(env.Stdout, filepath.ToSlash(name))
				}
			case write:
				if changed {
					if err := os.WriteFile(resolve(env, name), out, 0o644); err != nil {
						fmt.Fprintf(env.Stderr, "minigungen: %v\n", err)
						status = ExitDiag
					}
				}
			default:
				env.Stdout.Write(out)
			}
		}
	}
	return status
}

type edit struct {
	start, end int
	text       string
}

// canonicalSpelling returns the file's source with every aliased option
// rewritten.
func canonicalSpelling(f *dsl.File) []byte {
	var edits []edit
	option := func(o *dsl.Option) {
		alias, ok := ir.LookupAlias(o.Name) // the language's vocabulary
		if !ok || !o.Parens {
			return
		}
		start := o.Pos.Offset
		open := bytes.IndexByte(f.Src[start:], '(')
		if open < 0 {
			return
		}
		end := bytes.IndexByte(f.Src[start+open:], ')')
		if end < 0 {
			return
		}
		args := strings.TrimSpace(string(f.Src[start+open+1 : start+open+end]))
		edits = append(edits, edit{start, start + open + end + 1, alias.Rewrite(args)})
	}
	var members func([]*dsl.Member)
	members = func(ms []*dsl.Member) {
		for _, m := range ms {
			switch {
			case m.Stage != nil:
				for _, o := range m.Stage.Options {
					option(o)
				}
			case m.Batch != nil:
				for _, o := range m.Batch.Options {
					option(o)
				}
			case m.Execution != nil:
				option(m.Execution.Strategy)
			case m.Context != nil:
				option(m.Context.Strategy)
			case m.Block != nil:
				option(&m.Block.Strategy.Option)
				members(m.Block.Members)
			case m.Sub != nil:
				members(m.Sub.Members)
			}
		}
	}
	for _, d := range f.Decls {
		if d.Pipeline != nil {
			members(d.Pipeline.Members)
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := append([]byte(nil), f.Src...)
	for _, e := range edits {
		out = append(out[:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	return out
}
