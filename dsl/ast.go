package dsl

import "github.com/alecthomas/participle/v2/lexer"

// The AST is also the grammar: participle reads the struct tags. Every node
// records the position of its first token; Go fragments (types, expressions,
// bodies) are parsed by hand in gofrag.go and keep their source text verbatim.

// File is one .mg file.
type File struct {
	Pos     lexer.Position
	Package *Ident     `parser:"( \"package\" @@ )?"`
	Imports []*Import  `parser:"( \"import\" ( \"(\" ( @@ \";\"? )* \")\" | @@ ) )*"`
	Decls   []*TopDecl `parser:"@@*"`

	// Name is the file name given to Parse; Src its content.
	Name string `parser:""`
	Src  []byte `parser:""`
}

// Ident is an identifier with its position.
type Ident struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

// Import is one Go import spec.
type Import struct {
	Pos    lexer.Position
	EndPos lexer.Position // just past its last token

	Alias string `parser:"( @Ident | @\".\" )?"`
	Path  string `parser:"@String"`
}

// TopDecl is a top-level go { } block or a pipeline.
type TopDecl struct {
	Pos    lexer.Position
	EndPos lexer.Position // just past its last token

	Go       *GoBlock  `parser:"\"go\" @@"`
	Pipeline *Pipeline `parser:"| @@"`
}

// GoBlock is a block of verbatim Go declarations.
type GoBlock struct {
	Pos  lexer.Position
	Body *Body `parser:"@@"`
}

// Pipeline is a top-level pipeline or a named sub-pipeline inside one.
type Pipeline struct {
	Pos     lexer.Position
	Name    *Ident    `parser:"\"pipeline\" @@"`
	Extends *Ident    `parser:"( \"extends\" @@ )?"`
	Options []*Option `parser:"@@*"`
	Members []*Member `parser:"\"{\" @@* \"}\""`
	EndPos  lexer.Position
	Doc     string `parser:""` // the // comment lines right above it, without the slashes
}

// Member is one declaration inside a pipeline or a strategy block.
type Member struct {
	Pos    lexer.Position
	EndPos lexer.Position // just past its last token

	Param     *Param       `parser:"@@"`
	State     *State       `parser:"| @@"`
	Execution *Execution   `parser:"| @@"`
	QueueSize *QueueSize   `parser:"| @@"`
	Limit     *Limit       `parser:"| @@"`
	Context   *ContextDecl `parser:"| @@"`
	FailFast  *Keyword     `parser:"| @@"`
	Batch     *Batch       `parser:"| @@"`
	Stage     *Stage       `parser:"| @@"`
	Hook      *Hook        `parser:"| @@"`
	Reroute   *Reroute     `parser:"| @@"`
	Queue     *Queue       `parser:"| @@"`
	Sub       *Pipeline    `parser:"| @@"`
	Block     *Block       `parser:"| @@"`
}

// Param is `param Name Type [= default]`.
type Param struct {
	Pos     lexer.Position
	Name    *Ident  `parser:"\"param\" @@"`
	Type    *GoType `parser:"@@"`
	Default *GoExpr `parser:"( \"=\" @@ )?"`
	Doc     string  `parser:""` // the // comment lines right above it
}

// State is a `state { ... }` block of Go fields.
type State struct {
	Pos    lexer.Position
	Fields []*Field `parser:"\"state\" \"{\" ( @@ \";\"? )* \"}\""`

	EndPos lexer.Position // just past its "}"
}

// Field is one state field line: names, a type and an optional merge rule.
type Field struct {
	Pos    lexer.Position
	EndPos lexer.Position // just past its last token

	Names []*Ident   `parser:"@@ ( \",\" @@ )*"`
	Typed *typeAhead `parser:"@@"`
	Type  *GoType    `parser:"@@"`
	Merge *Merge     `parser:"@@?"`
}

// Merge is a `merge(RULE)` clause on a state field.
type Merge struct {
	Pos  lexer.Position
	Rule *QName `parser:"\"merge\" \"(\" @@ \")\""`
}

// Execution is the pipeline's default strategy.
type Execution struct {
	Pos      lexer.Position
	Strategy *Option `parser:"\"execution\" @@"`
}

// QueueSize is the pipeline's default queue size: a number, unbounded, or
// the name of a param.
type QueueSize struct {
	Pos       lexer.Position
	Size      string `parser:"\"queue_size\" ( @Number"`
	Unbounded bool   `parser:"| @\"unbounded\""`
	Param     string `parser:"| @Ident )"`
}

// Limit is `max_threads N`, `max_processes N` or `max_failures N`; N is a
// number or the name of a param.
type Limit struct {
	Pos   lexer.Position
	Kind  string `parser:"@( \"max_threads\" | \"max_processes\" | \"max_failures\" )"`
	Value string `parser:"@( Number | Ident )"`
}

// ContextDecl is a named strategy: `context io = threads(50)`.
type ContextDecl struct {
	Pos      lexer.Position
	Name     *Ident  `parser:"\"context\" @@ \"=\""`
	Strategy *Option `parser:"@@"`
}

// Keyword is a member that is a single word (fail_fast).
type Keyword struct {
	Pos  lexer.Position
	Word string `parser:"@\"fail_fast\""`
}

// Batch is `batch N [every D] [options]`; N and D may name params.
type Batch struct {
	Pos     lexer.Position
	Size    string    `parser:"\"batch\" @( Number | Ident )"`
	Every   *Every    `parser:"@@?"`
	Options []*Option `parser:"@@*"`
	Doc     string    `parser:""` // the // comment lines right above it
}

// Every is a batch's `every D`: a duration or the name of a param, on the line of the word.
type Every struct {
	Pos   lexer.Position // of the word every
	Value string
}

// Stage is a producer, processor, consumer, accumulator, custom stage or nested pipeline.
type Stage struct {
	Pos     lexer.Position
	Kind    string    `parser:"@( \"producer\" | \"processor\" | \"consumer\" | \"accumulator\" | \"stage\" | \"nested\" )"`
	Name    *Ident    `parser:"@@"`
	Params  *Params   `parser:"@@?"`
	Out     *GoType   `parser:"@@?"`
	Options []*Option `parser:"@@*"`
	Ref     *GoExpr   `parser:"( \"=\" @@"`
	Body    *Body     `parser:"| @@ )?"`
	Doc     string    `parser:""` // the // comment lines right above it
}

// Params is the parenthesised input parameter of a stage: empty or `name Type`.
// It is parsed by hand (gofrag.go): a "(" after a stage name always opens it.
type Params struct {
	Pos  lexer.Position
	Name *Ident
	Type *GoType
}

// Hook is a hook declaration: `before_run { }`, `after(stage) { }`, `on_error(stage) (err error, item any) { }`.
type Hook struct {
	Pos    lexer.Position
	Kind   string       `parser:"@( \"before_run\" | \"after_run\" | \"after_producer\" | \"before_fork\" | \"after_fork\" | \"before\" | \"after\" | \"on_error\" )"`
	Target *QName       `parser:"( \"(\" @@ \")\" )?"`
	Params []*HookParam `parser:"( \"(\" @@ ( \",\" @@ )* \")\" )?"`
	Body   *Body        `parser:"@@"`
}

// HookParam is one named parameter of an on_error hook.
type HookParam struct {
	Pos  lexer.Position
	Name *Ident  `parser:"@@"`
	Type *GoType `parser:"@@"`
}

// Queue is a named queue: `queue urgent Job [queue_size(N)]`. Stages send to
// it with to(urgent) and to.urgent(v); several stages subscribe with
// from(urgent) and share its items, each item going to one of them.
type Queue struct {
	Pos     lexer.Position
	Name    *Ident    `parser:"\"queue\" @@"`
	Type    *GoType   `parser:"@@"`
	Options []*Option `parser:"@@*"`
}

// Reroute is `reroute a -> b, c`.
type Reroute struct {
	Pos  lexer.Position
	From *QName     `parser:"\"reroute\" @@ \"->\""`
	Line *sameLineQ `parser:"@@"`
	To   []*QName   `parser:"@@ ( \",\" @@ )*"`
}

// Block is a strategy block: every stage inside takes the strategy unless it says otherwise.
type Block struct {
	Pos      lexer.Position
	Strategy *BlockOption `parser:"@@"`
	Members  []*Member    `parser:"\"{\" @@* \"}\""`

	EndPos lexer.Position // just past its "}"
}

// QName is a possibly qualified name: `parse`, `ingest.parse`.
type QName struct {
	Pos   lexer.Position
	Parts []string `parser:"@Ident ( \".\" @Ident )*"`
}

// BlockOption is the option that opens a strategy block; it is parsed like an
// Option but may start a line, and must be followed by "{".
type BlockOption struct {
	Option
}
