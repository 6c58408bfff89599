package mgfmt

import (
	"sort"
	"strings"

	"github.com/minigun-go/minigun/dsl"
	"github.com/minigun-go/minigun/ir"
)

// optionOrder is the canonical order of a stage's options (and a queue's,
// a batch's and a sub-pipeline's): first what the stage is (an
// accumulator's size and wait, as DESIGN 2.3 writes them right after the
// types, and a producer's total), then how it runs (its strategy, and
// ordered, which qualifies the strategy), then its edges (inputs, outputs,
// how outputs share items), its queue, and what happens to a failing item
// (retries, each attempt's deadline, then the dead letter). Strategies
// share a rank: a stage has one, and two are an error the checker reports
// in the order written.
var optionOrder = [][]string{
	{"max_size"}, {"max_wait"}, {"total"},
	{"inline", "threads", "process_per_batch", "processes", "remote", "context"},
	{"ordered"},
	{"from"}, {"to"}, {"routing"},
	{"queue_size"},
	{"retry"}, {"timeout"}, {"dead_letter"},
	{"await"},
}

// optionRank is an option's place in optionOrder (a Ruby spelling's is its
// word's); words the vocabulary does not know come last, in the order written.
func optionRank(name string) int {
	if a, ok := ir.LookupAlias(name); ok {
		name = a.Of
	}
	for i, group := range optionOrder {
		for _, n := range group {
			if n == name {
				return i
			}
		}
	}
	return len(optionOrder)
}

// canonicalOption spells an option as the formatter writes it: a Ruby
// spelling (DESIGN 2.4) becomes the language's word when it is written as the
// checker accepts it, with one argument (thread_pool(N) is threads(N),
// cow_fork(N) is process_per_batch(max: N), ipc_fork(N) is processes(N));
// positional arguments come first, in the order written, then keyed ones in
// the vocabulary's order.
func canonicalOption(o *dsl.Option) (name string, parens bool, args []dsl.Arg) {
	name, parens = o.Name, o.Parens
	for _, a := range o.Args {
		args = append(args, *a)
	}
	if alias, ok := ir.LookupAlias(name); ok && parens && len(args) == 1 && args[0].Key == "" {
		name = alias.Of
		args[0].Key = alias.Key
	}
	spec, _ := ir.LookupOption(name)
	rank := func(a dsl.Arg) int {
		if a.Key == "" {
			return 0
		}
		if spec != nil {
			for i, as := range spec.Args {
				if as.Key == a.Key {
					return 1 + i
				}
			}
		}
		return 1 << 20
	}
	sort.SliceStable(args, func(i, j int) bool { return rank(args[i]) < rank(args[j]) })
	return name, parens, args
}

// optionText writes one option.
func optionText(o *dsl.Option) string {
	name, parens, args := canonicalOption(o)
	if !parens {
		return name
	}
	parts := make([]string, len(args))
	for i, a := range args {
		if a.Key != "" {
			parts[i] = a.Key + ": " + a.Value
		} else {
			parts[i] = a.Value
		}
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

// optionsText writes a declaration's options in the canonical order, each
// after a blank.
func optionsText(opts []*dsl.Option) string {
	sorted := append([]*dsl.Option(nil), opts...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, _, _ := canonicalOption(sorted[i])
		b, _, _ := canonicalOption(sorted[j])
		return optionRank(a) < optionRank(b)
	})
	var b strings.Builder
	for _, o := range sorted {
		b.WriteString(" " + optionText(o))
	}
	return b.String()
}
