package ir

import (
	"go/scanner"
	"go/token"
	"strings"
	"unicode"

	"github.com/minigun-go/minigun/dsl"
)

// initialisms are written in capitals in exported names (fetch_url → FetchURL).
var initialisms = map[string]bool{
	"api": true, "ascii": true, "cpu": true, "css": true, "csv": true, "db": true, "dns": true,
	"etl": true, "html": true, "http": true, "https": true, "id": true, "io": true, "ip": true,
	"ipc": true, "json": true, "os": true, "pid": true, "rpc": true, "sql": true, "ssh": true,
	"tcp": true, "tls": true, "ttl": true, "udp": true, "ui": true, "uid": true, "uri": true,
	"url": true, "utf8": true, "uuid": true, "xml": true,
}

// Exported turns a .mg name into an exported Go name: fetch_users → FetchUsers,
// ingest.parse_url → IngestParseURL. It is the one place names are exported.
func Exported(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '_' || r == '.' || r == '-' }) {
		if initialisms[strings.ToLower(part)] {
			b.WriteString(strings.ToUpper(part))
			continue
		}
		rs := []rune(part)
		rs[0] = unicode.ToUpper(rs[0])
		b.WriteString(string(rs))
	}
	if b.Len() == 0 {
		return "X"
	}
	return b.String()
}

// FusedVar is the variable of the handle of the i-th stage of a chain.
func FusedVar(i int) string { return "mgF" + itoa(i) }

// ChainCallVar is the variable of the function that calls the i-th stage of a chain.
func ChainCallVar(i int) string { return "mgCall" + itoa(i) }

// ChainSlowVar is the variable of the function that calls the i-th stage of a chain with a
// recovery of its own (when the stage is covered by the recovery of one before it).
func ChainSlowVar(i int) string { return "mgSlow" + itoa(i) }

// ChainItemVar is the variable holding the item the i-th stage of a chain runs on.
func ChainItemVar(i int) string { return "mgItem" + itoa(i) }

// ChainBodyMethod is the method of a chain's type that holds the body of its i-th stage.
func ChainBodyMethod(i int) string { return "mgBody" + itoa(i) }

// ChainType is the type that runs the chain of pipeline pipe's graph that begins at its
// node number head: the number after the last "_" makes it unique in the package.
func ChainType(pipe string, head int) string {
	return Reserved + "Chain" + pipe + "_" + itoa(head)
}

// MentionsReserved reports whether Go text (a body) spells an identifier that takes the
// reserved prefix: it may declare one that a generated name in its scope would meet.
func MentionsReserved(text string) bool {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(text))
	var s scanner.Scanner
	s.Init(file, []byte(text), nil, 0)
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return false
		}
		if tok == token.IDENT && hasReservedPrefix(lit) {
			return true
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// BuiltinFlags are the flags every built program has (runtime/cli, and runtime/nats for the
// programs with remote stages): no parameter's flag may take one of their names. A test of
// built programs checks the list against their -h.
var BuiltinFlags = []string{
	"h", "help", "hud", "keep-failures", "log-format", "log-level", "max-failures",
	"metrics-addr", "nats", "nats-creds", "nats-max-payload", "pipeline", "progress", "shutdown-timeout", "stats", "stats-json",
	"version", "worker", "worker-concurrency",
}

// flagName turns a parameter name into a flag: Count → count, MaxItems → max-items.
func flagName(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		if r == '_' {
			b.WriteByte('-')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// didYouMean returns the candidate closest to name, or "" when none is close.
func didYouMean(name string, candidates []string) string { return dsl.DidYouMean(name, candidates) }

// Every identifier of the generated code is decided here (STYLE.md, Names).
// Bodies and hooks see the names DESIGN 2.2 documents (p, ctx, emit, to,
// result, their input parameter, on_error's err and item); every other
// generated name, locals and parameters of generated functions included,
// carries the reserved prefix, which no user name may take: no user name can
// shadow one, and none can collide with one.

// Reserved is the prefix of generated names.
const Reserved = "mg"

// Names that bodies and hooks see.
const (
	BodyRecv   = "p"
	BodyCtx    = "ctx"
	BodyEmit   = "emit"
	BodyTo     = "to"
	BodyResult = "result"
	BodyErr    = "err"
	BodyItem   = "item"
)

// Locals, parameters and receivers of generated functions that hold no user body.
const (
	RecvVar   = "mgP"      // receiver of generated methods, and the pipeline value in a generated main
	GraphVar  = "mgG"      // the graph mgGraph builds
	WorkerVar = "mgW"      // a stage's worker in its bind function
	CtxVar    = "mgCtx"    // a context parameter
	InVar     = "mgIn"     // an item parameter
	EmitVar   = "mgEmit"   // an emit function
	ToVar     = "mgTo"     // the dynamic routes of a stage
	ValueVar  = "mgV"      // a value being passed on
	OutVar    = "mgOut"    // a bound function's result
	ErrVar    = "mgErr"    // an error
	OKVar     = "mgOK"     // a comma-ok result
	DataVar   = "mgData"   // encoded parameters
	ParamsVar = "mgParams" // encoded parameters given to a worker's build function
	SetVar    = "mgSet"    // the parameters given on a built binary's command line

	ChainRecv     = "mgChain"    // the receiver of a chain type's methods
	ChainCtxVar   = "mgChainCtx" // the context of the item a chain runs
	ChainLastVar  = "mgLast"     // the emit of a chain's last stage, to its downstreams
	ChainLastWVar = "mgLastW"    // the Emitter of a chain's last stage
	StateVar      = "mgS"        // what a chained stage's Enter said
	ChainCurVar   = "mgCur"      // the stage of a chain whose code runs
	ChainPanicVar = "mgPanicAt"  // records a panic of a chain's stage covered by another's recovery
	RecoveredVar  = "mgR"        // what recover returned
)

// Methods and package-level names of generated code.
const (
	InitMethod         = "mgInit"         // sets defaults, creates nested pipelines
	GraphMethod        = "mgGraph"        // builds the run graph
	StateSpecMethod    = "mgStateSpec"    // merge fields for worker processes
	EncodeParamsMethod = "mgEncodeParams" // parameters to a worker process
	DecodeParamsMethod = "mgDecodeParams" // parameters in a worker process
	RunMethod          = "Run"
	StartMethod        = "Start"
	GraphInfoMethod    = "Graph"
	ServeRemoteMethod  = "ServeRemote" // pipelines with remote stages: serve one on this machine
)

// generatedMembers are the exported methods every pipeline type has: no
// param, state field or method of a go { } block may take their names.
var generatedMembers = []string{RunMethod, StartMethod, GraphInfoMethod, ServeRemoteMethod}

// Constructor is the generated constructor of a pipeline type: NewOrders.
func Constructor(pipeline string) string { return "New" + pipeline }

// ParamsMirror is the type that carries a pipeline's parameters to its worker processes.
func ParamsMirror(pipeline string) string { return Reserved + "Params" + pipeline }

func stageMethod(qname string) string { return Reserved + "Stage" + Exported(qname) }

func hookMethod(kind, target, sub string) string {
	base := Reserved + "Hook" + Exported(kind)
	if target != "" {
		base += Exported(target)
	} else if sub != "" {
		base += Exported(sub)
	}
	return base
}

func nestedField(qname string) string { return Reserved + "Nested" + Exported(qname) }

// RecvPointer spells a pointer to the value that a Node.Recv names, read from base (an
// expression that holds RecvVar's value): RecvVar and a nested copy are pointers, the
// pipeline a pipeline extends is a value it embeds.
func RecvPointer(base, recv string) string {
	expr := base + strings.TrimPrefix(recv, RecvVar)
	last := recv[strings.LastIndexByte(recv, '.')+1:]
	if last == RecvVar || strings.HasPrefix(last, Reserved+"Nested") {
		return expr
	}
	return "&" + expr
}

// NestedAccessor is the method through which Go code reaches a nested copy: NestedTransform.
func NestedAccessor(qname string) string { return "Nested" + Exported(qname) }

func toType(pipeline, method string) string {
	return Reserved + "To" + pipeline + "_" + strings.TrimPrefix(method, Reserved+"Stage")
}

// nodeVars names the variable of each node in mgGraph: mgNodeDouble,
// mgNodeTransformAdd, unique within the graph.
func nodeVars(nodes []*Node) {
	used := map[string]bool{}
	for _, n := range nodes {
		v := Reserved + "Node" + Exported(n.Name)
		for used[v] {
			v += "_"
		}
		used[v] = true
		n.Var = v
	}
}

// hasReservedPrefix reports whether a user name takes the generated names' prefix.
func hasReservedPrefix(name string) bool { return strings.HasPrefix(name, Reserved) }
