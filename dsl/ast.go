package dsl

import "github.com/alecthomas/participle/v2/lexer"

// The AST is also the grammar: participle reads the struct tags. Every node
// records the position of its first token; Go fragments (types, expressions,
// bodies) are parsed by hand in gofrag.go and keep their source text verbatim.

// File is one .mg file.
type File struct {
	Pos     lexer.Position
	Package *Ident     `( "package" @@ )?`
	Imports []*Import  `( "import" ( "(" @@* ")" | @@ ) )*`
	Decls   []*TopDecl `@@*`

	// Name is the file name given to Parse; Src its content.
	Name string `parser:""`
	Src  []byte `parser:""`
}

// Ident is an identifier with its position.
type Ident struct {
	Pos  lexer.Position
	Name string `@Ident`
}

// Import is one Go import spec.
type Import struct {
	Pos   lexer.Position
	Alias string `( @Ident | @"." )?`
	Path  string `@String`
}

// TopDecl is a top-level go { } block or a pipeline.
type TopDecl struct {
	Go       *GoBlock  `  "go" @@`
	Pipeline *Pipeline `| @@`
}

// GoBlock is a block of verbatim Go declarations.
type GoBlock struct {
	Pos  lexer.Position
	Body *Body `@@`
}

// Pipeline is a top-level pipeline or a named sub-pipeline inside one.
type Pipeline struct {
	Pos     lexer.Position
	Name    *Ident    `"pipeline" @@`
	Extends *Ident    `( "extends" @@ )?`
	Options []*Option `@@*`
	Members []*Member `"{" @@* "}"`
	EndPos  lexer.Position
}

// Member is one declaration inside a pipeline or a strategy block.
type Member struct {
	Param        *Param        `  @@`
	State        *State        `| @@`
	Execution    *Execution    `| @@`
	QueueSize    *QueueSize    `| @@`
	Limit        *Limit        `| @@`
	Context      *ContextDecl  `| @@`
	FailFast     *Keyword      `| @@`
	Batch        *Batch        `| @@`
	Stage        *Stage        `| @@`
	Hook         *Hook         `| @@`
	Reroute      *Reroute      `| @@`
	Sub          *Pipeline     `| @@`
	Block        *Block        `| @@`
}

// Param is `param Name Type [= default]`.
type Param struct {
	Pos     lexer.Position
	Name    *Ident  `"param" @@`
	Type    *GoType `@@`
	Default *GoExpr `( "=" @@ )?`
}

// State is a `state { ... }` block of Go fields.
type State struct {
	Pos    lexer.Position
	Fields []*Field `"state" "{" @@* "}"`
}

// Field is one state field line: names, a type and an optional merge rule.
type Field struct {
	Pos   lexer.Position
	Names []*Ident `@@ ( "," @@ )*`
	Type  *GoType  `@@`
	Merge *Merge   `@@?`
}

// Merge is a `merge(RULE)` clause on a state field.
type Merge struct {
	Pos  lexer.Position
	Rule *QName `"merge" "(" @@ ")"`
}

// Execution is the pipeline's default strategy.
type Execution struct {
	Pos      lexer.Position
	Strategy *Option `"execution" @@`
}

// QueueSize is the pipeline's default queue size.
type QueueSize struct {
	Pos       lexer.Position
	Size      string `"queue_size" ( @Number`
	Unbounded bool   `| @"unbounded" )`
}

// Limit is `max_threads N` or `max_processes N`.
type Limit struct {
	Pos   lexer.Position
	Kind  string `@( "max_threads" | "max_processes" )`
	Value string `@Number`
}

// ContextDecl is a named strategy: `context io = threads(50)`.
type ContextDecl struct {
	Pos      lexer.Position
	Name     *Ident  `"context" @@ "="`
	Strategy *Option `@@`
}

// Keyword is a member that is a single word (fail_fast).
type Keyword struct {
	Pos  lexer.Position
	Word string `@"fail_fast"`
}

// Batch is `batch N [every D] [options]`.
type Batch struct {
	Pos     lexer.Position
	Size    string    `"batch" @Number`
	Every   string    `( "every" @Duration )?`
	Options []*Option `@@*`
}

// Stage is a producer, processor, consumer, accumulator, custom stage or nested pipeline.
type Stage struct {
	Pos     lexer.Position
	Kind    string    `@( "producer" | "processor" | "consumer" | "accumulator" | "stage" | "nested" )`
	Name    *Ident    `@@`
	Params  *Params   `@@?`
	Out     *GoType   `@@?`
	Options []*Option `@@*`
	Ref     *GoExpr   `( "=" @@`
	Body    *Body     `| @@ )?`
}

// Params is the parenthesised input parameter of a stage: empty or `name Type`.
type Params struct {
	Pos  lexer.Position
	Name *Ident  `"(" ( @@`
	Type *GoType `@@ )? ")"`
}

// Hook is a hook declaration: `before_run { }`, `after(stage) { }`, `on_error(stage) (err error, item any) { }`.
type Hook struct {
	Pos    lexer.Position
	Kind   string      `@( "before_run" | "after_run" | "after_producer" | "before_fork" | "after_fork" | "before" | "after" | "on_error" )`
	Target *QName      `( "(" @@ ")" )?`
	Params []*HookParam `( "(" @@ ( "," @@ )* ")" )?`
	Body   *Body       `@@`
}

// HookParam is one named parameter of an on_error hook.
type HookParam struct {
	Pos  lexer.Position
	Name *Ident  `@@`
	Type *GoType `@@`
}

// Reroute is `reroute a -> b, c`.
type Reroute struct {
	Pos  lexer.Position
	From *QName   `"reroute" @@ "->"`
	To   []*QName `@@ ( "," @@ )*`
}

// Block is a strategy block: every stage inside takes the strategy unless it says otherwise.
type Block struct {
	Pos      lexer.Position
	Strategy *BlockOption `@@`
	Members  []*Member    `"{" @@* "}"`
}

// QName is a possibly qualified name: `parse`, `ingest.parse`.
type QName struct {
	Pos   lexer.Position
	Parts []string `@Ident ( "." @Ident )*`
}

// BlockOption is the option that opens a strategy block; it is parsed like an
// Option but may start a line, and must be followed by "{".
type BlockOption struct {
	Option
}
