package ir

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/minigun-go/minigun/dsl"
)

type lexerPos = lexer.Position

// The vocabulary of options, strategies and pipeline settings (DESIGN 2.4):
// each word's canonical spelling, its Ruby aliases, its arguments and where it
// is valid. The checker, `minigungen fmt` and `minigungen graph` all read it
// here; nothing else spells them.

// Where is a set of places an option may be written.
type Where uint

// Places of options.
const (
	OnProducer    Where = 1 << iota
	OnProcessor         // processor
	OnConsumer          // consumer
	OnAccumulator       // accumulator with or without a body, and batch N
	OnCustom            // stage NAME = Value
	OnNested            // nested NAME = Pipeline
	OnQueue             // queue NAME Type
	InBlock             // the option opening a strategy block
	InExecution         // execution STRATEGY, context NAME = STRATEGY
	Setting             // a pipeline setting: max_threads N, queue_size N, ...

	onStages   = OnProducer | OnProcessor | OnConsumer | OnAccumulator | OnCustom | OnNested
	onWorkers  = OnProcessor | OnConsumer | OnCustom                 // stages whose bodies a strategy runs
	withInput  = OnProcessor | OnConsumer | OnAccumulator | OnCustom // stages that take items
	withOutput = OnProducer | OnProcessor | OnAccumulator | OnCustom // stages that send items
	strategic  = onWorkers | InBlock | InExecution
)

// ArgKind is what an option argument holds.
type ArgKind int

// Argument kinds.
const (
	CountArg    ArgKind = iota // a whole number, or the name of an integer param
	DurationArg                // a duration such as 250ms, or the name of a time.Duration param
	NameArg                    // a stage, queue or context name
	WordArg                    // one of the words the argument lists
)

// ArgSpec describes one argument of an option.
type ArgSpec struct {
	Key      string // "" for the positional argument, else the key: process_per_batch(max: N)
	Kind     ArgKind
	Min      int64    // CountArg, DurationArg: the smallest accepted value
	Max      int64    // CountArg: the largest accepted value (0: no bound)
	Required bool     // the option needs it
	Many     bool     // NameArg: one name or more
	Words    []string // WordArg: the accepted words; CountArg: words accepted instead of a number
}

// OptionSpec is one word of the vocabulary.
type OptionSpec struct {
	Name     string // canonical spelling
	Strategy bool   // an execution strategy: a stage has at most one
	Kind     StrategyKind
	Args     []ArgSpec // positional first
	Parens   bool      // written with parentheses (threads(4)); settings are not (max_threads 4)
	Where    Where
	Belongs  string // for an option written where it does not apply: "accumulators"
}

// Alias is a Ruby spelling of an option (DESIGN 2.4): its one positional
// argument becomes Key of the canonical option (cow_fork(4) is
// process_per_batch(max: 4)).
type Alias struct {
	Name string
	Of   string
	Key  string
}

// Rewrite spells the alias's arguments (as written, between the
// parentheses) in the canonical option.
func (a Alias) Rewrite(args string) string {
	if a.Key != "" {
		args = a.Key + ": " + args
	}
	return a.Of + "(" + args + ")"
}

var countArg = ArgSpec{Kind: CountArg, Min: 1, Required: true}

// Bounds of counts that size what a run makes: goroutines, processes, buffers. Past them a
// run would run out of memory, descriptors or process slots before doing anything.
const (
	maxGoroutines = 1 << 16 // threads(N), max_threads
	maxProcesses  = 1 << 10 // processes(N), process_per_batch(max: N), remote(N), max_processes
	maxBuffer     = 1 << 24 // queue_size(N), max_size(N), batch N: items held at once
)

var (
	goroutinesArg = ArgSpec{Kind: CountArg, Min: 1, Max: maxGoroutines, Required: true}
	processesArg  = ArgSpec{Kind: CountArg, Min: 1, Max: maxProcesses, Required: true}
	bufferArg     = ArgSpec{Kind: CountArg, Min: 1, Max: maxBuffer, Required: true}
)

// itemStages says where the options of per-item failure handling belong.
const itemStages = "stages that process items (not producers or nested pipelines)"

// Vocabulary lists every option and setting in canonical spelling.
var Vocabulary = []OptionSpec{
	// Strategies.
	{Name: "inline", Strategy: true, Kind: Inline, Where: strategic},
	{Name: "threads", Strategy: true, Kind: Threads, Parens: true, Where: strategic, Args: []ArgSpec{goroutinesArg}},
	{Name: "process_per_batch", Strategy: true, Kind: ProcessPerBatch, Parens: true, Where: strategic, Args: []ArgSpec{
		{Key: "max", Kind: CountArg, Min: 1, Max: maxProcesses, Required: true},
		{Key: "ipc", Kind: WordArg, Words: []string{"pipe", "tempfile"}},
	}},
	{Name: "processes", Strategy: true, Kind: Processes, Parens: true, Where: strategic, Args: []ArgSpec{
		processesArg,
		{Key: "recycle", Kind: CountArg, Min: 0}, // 0: never replaced
	}},
	{Name: "remote", Strategy: true, Kind: Remote, Parens: true, Where: strategic, Args: []ArgSpec{
		{Kind: CountArg, Min: 0, Max: maxProcesses, Required: true}, // remote(0): only workers started elsewhere
		{Key: "chunk", Kind: CountArg, Min: 1},
		{Key: "ack_wait", Kind: DurationArg, Min: int64(3 * time.Millisecond)}, // the heartbeat is a third of it
		{Key: "in_flight", Kind: CountArg, Min: 1},
		{Key: "max_deliver", Kind: CountArg, Min: 1},
	}},
	{Name: "context", Strategy: true, Parens: true, Where: onWorkers | InBlock, Args: []ArgSpec{{Kind: NameArg, Required: true}}},

	// Stage options.
	{Name: "to", Parens: true, Where: onStages | OnQueue, Args: []ArgSpec{{Kind: NameArg, Required: true, Many: true}}},
	{Name: "from", Parens: true, Where: onStages, Args: []ArgSpec{{Kind: NameArg, Required: true, Many: true}}},
	{Name: "routing", Parens: true, Where: withOutput | OnConsumer, Belongs: "stages that send items (not nested pipelines)", Args: []ArgSpec{{Kind: WordArg, Required: true, Words: []string{"broadcast", "round_robin"}}}},
	{Name: "queue_size", Parens: true, Where: withInput | OnQueue | Setting, Belongs: "stages with an input queue (not producers or nested pipelines)", Args: []ArgSpec{{Kind: CountArg, Min: 1, Max: maxBuffer, Required: true, Words: []string{"unbounded"}}}},
	{Name: "ordered", Where: onWorkers, Belongs: "processors, consumers and custom stages"},
	{Name: "retry", Parens: true, Where: withInput, Belongs: itemStages, Args: []ArgSpec{
		{Kind: CountArg, Min: 0, Required: true}, // 0: no retry (from a param: -retries 0)
		{Key: "backoff", Kind: DurationArg, Min: 1},
	}},
	{Name: "dead_letter", Parens: true, Where: withInput, Belongs: itemStages, Args: []ArgSpec{{Kind: NameArg, Required: true}}},
	{Name: "timeout", Parens: true, Where: withInput, Belongs: itemStages, Args: []ArgSpec{{Kind: DurationArg, Min: 1, Required: true}}},
	{Name: "await", Where: onStages, Args: []ArgSpec{{Kind: DurationArg, Min: 1}}},
	{Name: "max_size", Parens: true, Where: OnAccumulator, Belongs: "accumulators", Args: []ArgSpec{bufferArg}},
	{Name: "max_wait", Parens: true, Where: OnAccumulator, Belongs: "accumulators", Args: []ArgSpec{{Kind: DurationArg, Min: 1, Required: true}}},
	{Name: "total", Parens: true, Where: OnProducer, Belongs: "producers", Args: []ArgSpec{{Kind: CountArg, Min: 0, Required: true}}},

	// Pipeline settings and the words of `batch N every D`.
	{Name: "max_threads", Where: Setting, Args: []ArgSpec{goroutinesArg}},
	{Name: "max_processes", Where: Setting, Args: []ArgSpec{processesArg}},
	{Name: "max_failures", Where: Setting, Args: []ArgSpec{{Kind: CountArg, Min: 0, Required: true}}},
	{Name: "fail_fast", Where: Setting},
	{Name: "batch", Where: Setting, Args: []ArgSpec{bufferArg}},
	{Name: "every", Where: Setting, Args: []ArgSpec{{Kind: DurationArg, Min: 1, Required: true}}},
}

// Aliases are the Ruby spellings the language accepts.
var Aliases = []Alias{
	{Name: "thread_pool", Of: "threads"},
	{Name: "cow_fork", Of: "process_per_batch", Key: "max"},
	{Name: "ipc_fork", Of: "processes"},
}

// LookupOption returns the option a word names, canonical or Ruby, and the
// alias when it is one.
func LookupOption(name string) (*OptionSpec, *Alias) {
	var alias *Alias
	for i := range Aliases {
		if Aliases[i].Name == name {
			alias = &Aliases[i]
			name = alias.Of
		}
	}
	for i := range Vocabulary {
		if Vocabulary[i].Name == name {
			return &Vocabulary[i], alias
		}
	}
	return nil, nil
}

// LookupAlias returns the Ruby spelling name stands for.
func LookupAlias(name string) (Alias, bool) {
	for _, a := range Aliases {
		if a.Name == name {
			return a, true
		}
	}
	return Alias{}, false
}

// Usage spells how an option is written: "threads(N)", "process_per_batch(max: N[, ipc: pipe|tempfile])".
func (o *OptionSpec) Usage() string {
	var req, opt []string
	for _, a := range o.Args {
		s := map[ArgKind]string{CountArg: "N", DurationArg: "D", NameArg: "NAME", WordArg: strings.Join(a.Words, "|")}[a.Kind]
		if a.Kind == CountArg && len(a.Words) > 0 {
			s += "|" + strings.Join(a.Words, "|")
		}
		if a.Many {
			s += ", ..."
		}
		if a.Key != "" {
			s = a.Key + ": " + s
		}
		if a.Required {
			req = append(req, s)
		} else {
			opt = append(opt, s)
		}
	}
	args := strings.Join(req, ", ")
	if len(opt) > 0 {
		if args != "" {
			args += "[, " + strings.Join(opt, ", ") + "]"
		} else {
			args = "[" + strings.Join(opt, ", ") + "]"
		}
	}
	if args == "" {
		return o.Name
	}
	if !o.Parens {
		return o.Name + " " + args
	}
	return o.Name + "(" + args + ")"
}

// optionNames are the words an unknown option is compared with.
func optionNames(where Where) []string {
	var out []string
	for _, o := range Vocabulary {
		if o.Where&where != 0 {
			out = append(out, o.Name)
		}
	}
	for _, a := range Aliases {
		out = append(out, a.Name)
	}
	return out
}

// strategyNames lists the strategies, for a word that is not one.
func strategyNames() string {
	var out []string
	for _, o := range Vocabulary {
		if o.Strategy {
			if len(o.Args) > 0 {
				out = append(out, o.Name+"("+o.Args[0].shortUsage()+")")
			} else {
				out = append(out, o.Name)
			}
		}
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}

func (a ArgSpec) shortUsage() string {
	s := map[ArgKind]string{CountArg: "N", DurationArg: "D", NameArg: "NAME", WordArg: "WORD"}[a.Kind]
	if a.Key != "" {
		s = a.Key + ": " + s
	}
	return s
}

// Value is a numeric or duration argument of an option or a setting: a
// literal, or a param of the pipeline whose value is read when the run starts
// (DESIGN 2.4).
type Value struct {
	N        int64  // the literal (a duration in nanoseconds); 0 when Param is set
	Param    *Param // the param named instead of a literal, or nil
	Duration bool   // a duration rather than a count
	Min      int64  // the smallest value the option accepts
	Max      int64  // the largest (0: no bound)
	Pos      dsl.Pos
	Option   string // the option as written, for run errors: "threads(Workers)"
}

// IsZero reports whether the value is absent (no literal, no param).
func (v Value) IsZero() bool { return v.N == 0 && v.Param == nil }

// IsParam reports whether the value is read from a param.
func (v Value) IsParam() bool { return v.Param != nil }

// Int is the literal as an int (0 when the value is a param).
func (v Value) Int() int { return int(v.N) }

// Dur is the literal as a duration (0 when the value is a param).
func (v Value) Dur() time.Duration { return time.Duration(v.N) }

// String spells the value as written: "4", "250ms", "Workers".
func (v Value) String() string {
	switch {
	case v.Param != nil:
		return v.Param.Decl
	case v.Duration:
		return time.Duration(v.N).String()
	}
	return strconv.FormatInt(v.N, 10)
}

// Want says what range the option accepts, for run errors: "at least 1".
func (v Value) Want() string {
	if v.Duration {
		if v.Min > 1 {
			return "at least " + time.Duration(v.Min).String()
		}
		if v.Min > 0 {
			return "more than 0s"
		}
		return "at least 0s"
	}
	if v.Max > 0 {
		return fmt.Sprintf("from %d to %d", v.Min, v.Max)
	}
	return fmt.Sprintf("at least %d", v.Min)
}

// literal builds a Value from a number.
func literal(n int64, pos dsl.Pos) Value { return Value{N: n, Pos: pos} }

// String spells the strategy in canonical .mg syntax, leaving out defaults:
// "inline", "threads(4)", "threads(Workers)", "process_per_batch(max: 4)",
// "processes(4, recycle: 100)", "remote(3, chunk: 100)".
func (s Strategy) String() string {
	var args []string
	add := func(key string, v Value) {
		if !v.IsZero() {
			args = append(args, key+": "+v.String())
		}
	}
	switch s.Kind {
	case Inline:
		return "inline"
	case Threads:
		return "threads(" + s.N.String() + ")"
	case ProcessPerBatch:
		args = append(args, "max: "+s.N.String())
		if s.IPC != "" && s.IPC != "pipe" {
			args = append(args, "ipc: "+s.IPC)
		}
		return "process_per_batch(" + strings.Join(args, ", ") + ")"
	case Processes:
		args = append(args, s.N.String())
		add("recycle", s.Recycle)
		return "processes(" + strings.Join(args, ", ") + ")"
	case Remote:
		args = append(args, s.N.String())
		add("chunk", s.Chunk)
		add("ack_wait", s.AckWait)
		add("in_flight", s.InFlight)
		add("max_deliver", s.MaxDeliver)
		return "remote(" + strings.Join(args, ", ") + ")"
	}
	return fmt.Sprintf("StrategyKind(%d)", int(s.Kind))
}

// parsedArgs are an option's arguments, read by the spec.
type parsedArgs struct {
	values map[string]Value     // CountArg and DurationArg, by key ("" positional)
	words  map[string]string    // WordArg, and a CountArg's word (unbounded)
	names  map[string][]NameRef // NameArg
}

// parseOption checks an option's arguments against its spec. name is the
// option as written (an alias keeps its spelling in messages); params are
// the pipeline's parameters, which a count or duration may name.
// durationDigits is a duration of Go's syntax, whatever its size: one that time.ParseDuration
// refuses is too large.
var durationDigits = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`)

func (c *checker) parseOption(f *dsl.File, spec *OptionSpec, alias *Alias, o *dsl.Option, params []*Param) parsedArgs {
	out := parsedArgs{values: map[string]Value{}, words: map[string]string{}, names: map[string][]NameRef{}}
	pos := c.pos(f, o.Pos)
	args := spec.Args
	if alias != nil {
		// A Ruby spelling takes one positional argument: the canonical key's.
		for _, a := range spec.Args {
			if a.Key == alias.Key {
				a.Key = ""
				args = []ArgSpec{a}
			}
		}
	}
	if len(args) == 0 && o.Parens {
		c.diags.Errorf(pos, "%s takes no arguments", o.Name)
		return out
	}
	seen := map[string]bool{}
	for i, a := range o.Args {
		apos := c.pos(f, a.Pos)
		var as *ArgSpec
		for j := range args {
			if args[j].Key == a.Key {
				as = &args[j]
			}
		}
		switch {
		case as == nil && a.Key == "" && i > 0 && len(args) > 0 && args[0].Key == "" && args[0].Many:
			as = &args[0]
		case as == nil:
			c.diags.Errorf(apos, "unexpected argument to %s: write %s", o.Name, usageOf(spec, alias))
			continue
		case seen[a.Key] && !as.Many:
			c.diags.Errorf(apos, "unexpected argument to %s: write %s", o.Name, usageOf(spec, alias))
			continue
		}
		seen[a.Key] = true
		switch as.Kind {
		case NameArg:
			if a.Kind != dsl.ArgName {
				c.diags.Errorf(apos, "%s(...) takes names, found %s", o.Name, a.Value)
				continue
			}
			out.names[as.Key] = append(out.names[as.Key], NameRef{Name: a.Value, Pos: apos})
		case WordArg:
			if a.Kind != dsl.ArgName || !contains(as.Words, a.Value) {
				what := o.Name
				if as.Key != "" {
					what = as.Key
				}
				c.diags.Errorf(apos, "%s must be %s, found %s", what, orList(as.Words), a.Value)
				continue
			}
			out.words[as.Key] = a.Value
		case CountArg, DurationArg:
			if as.Kind == CountArg && a.Kind == dsl.ArgName && contains(as.Words, a.Value) {
				out.words[as.Key] = a.Value
				continue
			}
			if v, ok := c.value(f, *as, a, o, params); ok {
				out.values[as.Key] = v
			}
		}
	}
	for _, as := range args {
		if !as.Required || seen[as.Key] {
			continue
		}
		switch {
		case as.Key != "":
			c.diags.Errorf(pos, "%s needs %s: N", o.Name, as.Key)
		case as.Kind == CountArg:
			c.diags.Errorf(pos, "%s needs a number: %s(N)", o.Name, o.Name)
		case as.Kind == DurationArg:
			c.diags.Errorf(pos, "%s takes one duration: %s(250ms)", o.Name, o.Name)
		default:
			c.diags.Errorf(pos, "%s takes %s: %s", o.Name, map[bool]string{true: "names", false: "one name"}[as.Many], usageOf(spec, alias))
		}
	}
	if alias != nil && alias.Key != "" {
		if v, ok := out.values[""]; ok {
			out.values[alias.Key] = v
			delete(out.values, "")
		}
	}
	return out
}

func usageOf(spec *OptionSpec, alias *Alias) string {
	if alias != nil {
		return alias.Name + "(N)"
	}
	return spec.Usage()
}

// value reads a count or a duration: a literal in range, or a param of the
// right type.
func (c *checker) value(f *dsl.File, as ArgSpec, a *dsl.Arg, o *dsl.Option, params []*Param) (Value, bool) {
	apos := c.pos(f, a.Pos)
	dur := as.Kind == DurationArg
	v := Value{Duration: dur, Min: as.Min, Max: as.Max, Pos: apos, Option: optionText(o)}
	if a.Kind == dsl.ArgName {
		prm := c.lookupParam(a.Value, apos, params)
		if prm == nil {
			return v, false
		}
		if dur && prm.Type.Go != "time.Duration" {
			c.diags.Errorf(apos, "parameter %q is %s: %s needs a time.Duration", a.Value, prm.Type.Go, o.Name)
			return v, false
		}
		if !dur && !integerTypes[prm.Type.Go] {
			c.diags.Errorf(apos, "parameter %q is %s: %s needs an integer", a.Value, prm.Type.Go, o.Name)
			return v, false
		}
		v.Param = prm
		return v, true
	}
	if dur {
		d, err := time.ParseDuration(a.Value)
		if a.Kind == dsl.ArgDuration && err == nil && d > 0 && int64(d) < as.Min {
			name := o.Name
			if as.Key != "" {
				name = as.Key
			}
			c.diags.Errorf(apos, "%s: expected a duration of at least %v, found %s", name, time.Duration(as.Min), a.Value)
			return v, false
		}
		if a.Kind == dsl.ArgDuration && err != nil && durationDigits.MatchString(a.Value) {
			c.diags.Errorf(apos, "duration %s is too large: at most about 2562047h (292 years)", a.Value)
			return v, false
		}
		if a.Kind != dsl.ArgDuration || err != nil || int64(d) < as.Min {
			c.diags.Errorf(apos, "expected a positive duration such as 250ms, found %s", a.Value)
			return v, false
		}
		v.N = int64(d)
		return v, true
	}
	if a.Kind != dsl.ArgNumber {
		c.diags.Errorf(apos, "expected a number, found %s", a.Value)
		return v, false
	}
	n, ok := c.count(f, a.Pos, o.Name, a.Value, as.Min)
	if ok && as.Max > 0 && n > as.Max {
		// Reported; the bound stands in for it, so that nothing else is reported of it.
		c.diags.Errorf(apos, "%s takes at most %d, found %s", o.Name, as.Max, a.Value)
		n = as.Max
	}
	v.N = n
	return v, ok
}

// count reads a whole number of at least min.
func (c *checker) count(f *dsl.File, pos lexerPos, what, s string, min int64) (int64, bool) {
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
	if err != nil || n < min {
		if min > 0 {
			c.diags.Errorf(c.pos(f, pos), "%s needs a positive whole number, found %s", what, s)
		} else {
			c.diags.Errorf(c.pos(f, pos), "%s needs a whole number, found %s", what, s)
		}
		return min, false
	}
	return n, true
}

// settingValue reads the value of a setting or of `batch N every D`: a
// literal or the name of a param.
func (c *checker) settingValue(f *dsl.File, name string, pos lexerPos, text string, params []*Param) Value {
	spec, _ := LookupOption(name)
	as := spec.Args[0]
	v := Value{Duration: as.Kind == DurationArg, Min: as.Min, Max: as.Max, Pos: c.pos(f, pos), Option: name + " " + text}
	a := &dsl.Arg{Pos: pos, Value: text, Kind: dsl.ArgNumber}
	switch {
	case isIdent(text):
		a.Kind = dsl.ArgName
	case v.Duration:
		a.Kind = dsl.ArgDuration
	}
	if got, ok := c.value(f, as, a, &dsl.Option{Name: name}, params); ok {
		got.Option = v.Option
		return got
	}
	v.N = max(as.Min, 1)
	if v.Duration {
		v.N = 0
	}
	return v
}

// lookupParam finds a param by its name as declared or as its Go field.
func (c *checker) lookupParam(name string, pos dsl.Pos, params []*Param) *Param {
	var names []string
	for _, p := range params {
		if p.Decl == name || p.Name == name {
			return p
		}
		names = append(names, p.Decl)
	}
	msg := fmt.Sprintf("unknown parameter %q", name)
	if s := didYouMean(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	c.diags.Errorf(pos, "%s", msg)
	return nil
}

// integerTypes are the param types a count may read.
var integerTypes = map[string]bool{
	"int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "byte": true,
}

// optionText spells an option as written: threads(Workers), retry(3, backoff: Wait).
func optionText(o *dsl.Option) string {
	if !o.Parens {
		return o.Name
	}
	var args []string
	for _, a := range o.Args {
		if a.Key != "" {
			args = append(args, a.Key+": "+a.Value)
		} else {
			args = append(args, a.Value)
		}
	}
	return o.Name + "(" + strings.Join(args, ", ") + ")"
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// whereOf is the place of a stage's options.
func whereOf(st *Stage) Where {
	switch st.Kind {
	case Producer:
		return OnProducer
	case Processor:
		return OnProcessor
	case Consumer:
		return OnConsumer
	case Accumulator:
		return OnAccumulator
	case Custom:
		return OnCustom
	case Nested:
		return OnNested
	}
	return OnQueue
}

// String returns the strategy's canonical name: "inline", "threads", ...
func (k StrategyKind) String() string {
	for _, o := range Vocabulary {
		if o.Strategy && o.Kind == k && o.Name != "context" {
			return o.Name
		}
	}
	return fmt.Sprintf("StrategyKind(%d)", int(k))
}
