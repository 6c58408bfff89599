package dsl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// parseCases cover every construct of the .mg language (DESIGN §2). want is
// dump(file): one line per node, Go fragments quoted with %q, so that types,
// expressions and bodies are compared verbatim.
var parseCases = []struct {
	name string
	src  string
	want string
}{
	{
		name: "package_and_imports",
		src: `package orders

import "fmt"
import f "fmt"
import . "strings"
import (
	"context"
	str "strings"
	. "math"
	_ "embed"
)

pipeline Orders {}
`,
		want: `package orders
import "fmt"
import f "fmt"
import . "strings"
import "context"
import str "strings"
import . "math"
import _ "embed"
pipeline Orders {
}
`,
	},
	{
		name: "no_package",
		src: `import "fmt"

pipeline A {
}
pipeline B {}
`,
		want: `import "fmt"
pipeline A {
}
pipeline B {
}
`,
	},
	{
		name: "empty_file",
		src: `// nothing but a comment
`,
		want: ``,
	},
	{
		name: "go_blocks",
		src: `go {
	type Order struct { ID int; Total float64 }
}

pipeline P {}

go {
	// a comment with a brace }
	/* and { another */
	var open = "{ not a brace"
	var close = '}'
	var quote = '"'
	var esc = "\"}"
}
go {}
`,
		want: `go "\n\ttype Order struct { ID int; Total float64 }\n"
pipeline P {
}
go "\n\t// a comment with a brace }\n\t/* and { another */\n\tvar open = \"{ not a brace\"\n\tvar close = '}'\n\tvar quote = '\"'\n\tvar esc = \"\\\"}\"\n"
go ""
`,
	},
	{
		name: "extends",
		src: `pipeline Main {}

pipeline Skip extends Main {
	reroute start -> collect
}
`,
		want: `pipeline Main {
}
pipeline Skip extends Main {
  reroute start -> collect
}
`,
	},
	{
		name: "params",
		src: `pipeline P {
	param Zero int
	param Count int = 100
	param Label string = "x"
	param Wait time.Duration = time.Second * 5
	param Names []string = []string{"a", "b"}
	param Table map[string]int = map[string]int{
		"a": 1, // one
		"b": 2,
	}
	param Sum int = 1 +
		2
	param Call int = f(1,
		2)
	param After int = 3 }
`,
		want: `pipeline P {
  param Zero "int"
  param Count "int" = "100"
  param Label "string" = "\"x\""
  param Wait "time.Duration" = "time.Second * 5"
  param Names "[]string" = "[]string{\"a\", \"b\"}"
  param Table "map[string]int" = "map[string]int{\n\t\t\"a\": 1, // one\n\t\t\"b\": 2,\n\t}"
  param Sum "int" = "1 +\n\t\t2"
  param Call "int" = "f(1,\n\t\t2)"
  param After "int" = "3"
}
`,
	},
	{
		name: "state",
		src: `pipeline P {
	state {
		mu         sync.Mutex
		even, odd  []int          merge(append)
		batches    int            merge(sum)
		hi         int            merge(max)
		lo         int            merge(min)
		pids       map[int]bool   merge(union)
		custom     Totals         merge(pkg.Func)
		local      Totals         merge(mergeTotals)
		fn         func(int) error
	}
}
`,
		want: `pipeline P {
  state
    field mu "sync.Mutex"
    field even,odd "[]int" merge(append)
    field batches "int" merge(sum)
    field hi "int" merge(max)
    field lo "int" merge(min)
    field pids "map[int]bool" merge(union)
    field custom "Totals" merge(pkg.Func)
    field local "Totals" merge(mergeTotals)
    field fn "func(int) error"
}
`,
	},
	{
		name: "settings",
		src: `pipeline P {
	execution threads(4)
	queue_size 1000
	queue_size unbounded
	max_threads 64
	max_processes 8
	context io = threads(50)
	context cpu = processes(2, recycle: 100)
	fail_fast
}
`,
		want: `pipeline P {
  execution threads(4)
  queue_size 1000
  queue_size unbounded
  max_threads 64
  max_processes 8
  context io = threads(50)
  context cpu = processes(2, recycle: 100)
  fail_fast
}
`,
	},
	{
		name: "stage_bodies",
		src: `pipeline P {
	producer gen() int {
		for i := 0; i < 3; i++ {
			emit(i)
		}
	}
	processor double(n int) int threads(10) { emit(n * 2) }
	consumer save(b []int) { p.sum += len(b) }
	processor one(n int) int { if n > 0 { emit(n) } }
}
`,
		want: `pipeline P {
  producer gen() out "int" body "\n\t\tfor i := 0; i < 3; i++ {\n\t\t\temit(i)\n\t\t}\n\t"
  processor double(n "int") out "int" [threads(10)] body " emit(n * 2) "
  consumer save(b "[]int") body " p.sum += len(b) "
  processor one(n "int") out "int" body " if n > 0 { emit(n) } "
}
`,
	},
	{
		name: "bindings",
		src: `pipeline P {
	producer words = Words
	processor upper = strings.ToUpper
	processor length threads(2) = Length
	consumer sum = (*Bindings).add
	consumer log to(x) = pkg.Log
	processor made = NewStage(1, "a")
}
`,
		want: `pipeline P {
  producer words = "Words"
  processor upper = "strings.ToUpper"
  processor length [threads(2)] = "Length"
  consumer sum = "(*Bindings).add"
  consumer log [to(x)] = "pkg.Log"
  processor made = "NewStage(1, \"a\")"
}
`,
	},
	{
		name: "accumulators",
		src: `pipeline P {
	accumulator group(b []int) max_size(10)
	accumulator timed(b []int) max_size(100) max_wait(250ms)
	accumulator sum(b []int) int max_size(10) max_wait(2s) threads(2) {
		emit(len(b))
	}
	batch 10
	batch 100 every 250ms
	batch 5 every 1h30m to(save)
}
`,
		want: `pipeline P {
  accumulator group(b "[]int") [max_size(10)]
  accumulator timed(b "[]int") [max_size(100)] [max_wait(250ms)]
  accumulator sum(b "[]int") out "int" [max_size(10)] [max_wait(2s)] [threads(2)] body "\n\t\temit(len(b))\n\t"
  batch 10
  batch 100 every 250ms
  batch 5 every 1h30m [to(save)]
}
`,
	},
	{
		name: "custom_and_nested",
		src: `pipeline P {
	stage custom = mypkg.NewDedup[int]()
	stage limited threads(2) = Limiter
	nested transform = Transform
	nested inner to(save) = Transform
}
`,
		want: `pipeline P {
  stage custom = "mypkg.NewDedup[int]()"
  stage limited [threads(2)] = "Limiter"
  nested transform = "Transform"
  nested inner [to(save)] = "Transform"
}
`,
	},
	{
		name: "options",
		src: `pipeline P {
	processor a(n int) int threads(4) { }
	processor b(n int) int process_per_batch(max: 4) process_per_batch(max: 2, ipc: pipe) process_per_batch(max: 1, ipc: tempfile) { }
	processor c(n int) int processes(4) processes(4, recycle: 1000) { }
	processor d(n int) int inline context(io) { }
	processor e(n int) int to(a, b) from(c, d) routing(broadcast) routing(round_robin) { }
	processor f(n int) int queue_size(10) queue_size(unbounded) ordered { }
	processor g(n int) int retry(3) retry(3, backoff: 100ms) dead_letter(dl) timeout(5s) { }
	processor h(n int) int await await(1s) { }
	processor i(n int) int thread_pool(4) cow_fork(2) ipc_fork(3) { }
}
`,
		want: `pipeline P {
  processor a(n "int") out "int" [threads(4)] body " "
  processor b(n "int") out "int" [process_per_batch(max: 4)] [process_per_batch(max: 2, ipc: pipe)] [process_per_batch(max: 1, ipc: tempfile)] body " "
  processor c(n "int") out "int" [processes(4)] [processes(4, recycle: 1000)] body " "
  processor d(n "int") out "int" [inline] [context(io)] body " "
  processor e(n "int") out "int" [to(a, b)] [from(c, d)] [routing(broadcast)] [routing(round_robin)] body " "
  processor f(n "int") out "int" [queue_size(10)] [queue_size(unbounded)] [ordered] body " "
  processor g(n "int") out "int" [retry(3)] [retry(3, backoff: 100ms)] [dead_letter(dl)] [timeout(5s)] body " "
  processor h(n "int") out "int" [await] [await(1s)] body " "
  processor i(n "int") out "int" [thread_pool(4)] [cow_fork(2)] [ipc_fork(3)] body " "
}
`,
	},
	{
		name: "bare_words_in_out",
		src: `pipeline P {
	processor a(n int) inline { }
	processor b(n int) ordered threads(2) { }
	consumer c(n int) await { }
	processor d(n int) await(1s) { }
	processor e(n int) inline.Type { }
	processor f(n int) ordered
	processor g(n int) T inline { }
}
`,
		want: `pipeline P {
  processor a(n "int") [inline] body " "
  processor b(n "int") [ordered] [threads(2)] body " "
  consumer c(n "int") [await] body " "
  processor d(n "int") [await(1s)] body " "
  processor e(n "int") out "inline.Type" body " "
  processor f(n "int") [ordered]
  processor g(n "int") out "T" [inline] body " "
}
`,
	},
	{
		name: "qualified_names",
		src: `pipeline P {
	processor a(n int) int to(ingest.parse, b) from(x.y.z) { }
	processor b(n int) int dead_letter(errs.sink) context(ctxs.io) { }
	before(ingest.parse) { }
	reroute ingest.parse -> out.save, b
}
`,
		want: `pipeline P {
  processor a(n "int") out "int" [to(ingest.parse, b)] [from(x.y.z)] body " "
  processor b(n "int") out "int" [dead_letter(errs.sink)] [context(ctxs.io)] body " "
  hook before(ingest.parse) body " "
  reroute ingest.parse -> out.save, b
}
`,
	},
	{
		name: "strategy_blocks",
		src: `pipeline P {
	threads(50) {
		processor download(u URL) Page { fetch(u) }
		batch 20
		process_per_batch(max: 4) {
			consumer store(b []Page) { save(b) }
		}
	}
	inline {
		consumer last(n int) { }
	}
	context(io) {
		consumer io1(n int) { }
	}
}
`,
		want: `pipeline P {
  block threads(50) {
    processor download(u "URL") out "Page" body " fetch(u) "
    batch 20
    block process_per_batch(max: 4) {
      consumer store(b "[]Page") body " save(b) "
    }
  }
  block inline {
    consumer last(n "int") body " "
  }
  block context(io) {
    consumer io1(n "int") body " "
  }
}
`,
	},
	{
		name: "block_after_batch",
		src: `pipeline P {
	producer gen() int { emit(1) }
	batch 10
	process_per_batch(max: 4) {
		processor square(b []int) int { emit(len(b)) }
	}
	batch 5 every 1s
	threads(2) {
		consumer save(b []int) { }
	}
}
`,
		want: `pipeline P {
  producer gen() out "int" body " emit(1) "
  batch 10
  block process_per_batch(max: 4) {
    processor square(b "[]int") out "int" body " emit(len(b)) "
  }
  batch 5 every 1s
  block threads(2) {
    consumer save(b "[]int") body " "
  }
}
`,
	},
	{
		name: "sub_pipelines",
		src: `pipeline Flow {
	pipeline ingest to(validate) { producer read() Order { emit(Order{}) } }
	pipeline validate to(fast, slow) {
		processor check(o Order) Order to(fast, slow) { emit(o) }
	}
	pipeline fast { consumer f(o Order) { } }
	pipeline slow extends Base {
		threads(2) {
			consumer s(o Order) { }
		}
	}
}
`,
		want: `pipeline Flow {
  pipeline ingest [to(validate)] {
    producer read() out "Order" body " emit(Order{}) "
  }
  pipeline validate [to(fast, slow)] {
    processor check(o "Order") out "Order" [to(fast, slow)] body " emit(o) "
  }
  pipeline fast {
    consumer f(o "Order") body " "
  }
  pipeline slow extends Base {
    block threads(2) {
      consumer s(o "Order") body " "
    }
  }
}
`,
	},
	{
		name: "reroute",
		src: `pipeline Child extends Parent {
	reroute start -> collect
	reroute a -> b, c
	reroute a->b
}
`,
		want: `pipeline Child extends Parent {
  reroute start -> collect
  reroute a -> b, c
  reroute a -> b
}
`,
	},
	{
		name: "hooks",
		src: `pipeline P {
	before_run { p.counts = map[string]int{} }
	after_run { fmt.Println(result) }
	after_producer { p.note("done") }
	before(gen) { p.note("before") }
	after(gen) { p.note("after") }
	before_fork { }
	before_fork(square) { p.forks++ }
	after_fork { }
	after_fork(square) { }
	on_error(work) (err error, item any) { log.Print(err, item) }
	on_error(sub.work) (err error, item int) { }
}
`,
		want: `pipeline P {
  hook before_run body " p.counts = map[string]int{} "
  hook after_run body " fmt.Println(result) "
  hook after_producer body " p.note(\"done\") "
  hook before(gen) body " p.note(\"before\") "
  hook after(gen) body " p.note(\"after\") "
  hook before_fork body " "
  hook before_fork(square) body " p.forks++ "
  hook after_fork body " "
  hook after_fork(square) body " "
  hook on_error(work) (err "error", item "any") body " log.Print(err, item) "
  hook on_error(sub.work) (err "error", item "int") body " "
}
`,
	},
	{
		name: "keyword_names",
		src: `pipeline P {
	consumer merge(n int) from(path_a) { }
	processor process_batch(b []int) int { }
	processor batch2(n int) int to(merge) { }
	processor processor_x(n int) int { }
	consumer state(n int) { }
	consumer pipeline(n int) { }
	consumer every(n int) { }
	consumer to(n int) { }
	processor threads(n int) int { }
	before(merge) { }
	reroute batch2 -> merge
}
`,
		want: `pipeline P {
  consumer merge(n "int") [from(path_a)] body " "
  processor process_batch(b "[]int") out "int" body " "
  processor batch2(n "int") out "int" [to(merge)] body " "
  processor processor_x(n "int") out "int" body " "
  consumer state(n "int") body " "
  consumer pipeline(n "int") body " "
  consumer every(n "int") body " "
  consumer to(n "int") body " "
  processor threads(n "int") out "int" body " "
  hook before(merge) body " "
  reroute batch2 -> merge
}
`,
	},
	{
		name: "go_types",
		src: `pipeline P {
	processor a(n *T) *pkg.T { }
	processor b(n [3]int) map[string][]*T { }
	processor c(n chan<- int) <-chan int { }
	processor d(n func(int) error) func() (int, error) { }
	processor e(n struct{ A, B int }) interface{ M() } { }
	processor f(n List[int]) pkg.Pair[int, string] { }
	processor h(n chan int) (int) { }
}
`,
		want: `pipeline P {
  processor a(n "*T") out "*pkg.T" body " "
  processor b(n "[3]int") out "map[string][]*T" body " "
  processor c(n "chan<- int") out "<-chan int" body " "
  processor d(n "func(int) error") out "func() (int, error)" body " "
  processor e(n "struct{ A, B int }") out "interface{ M() }" body " "
  processor f(n "List[int]") out "pkg.Pair[int, string]" body " "
  processor h(n "chan int") out "(int)" body " "
}
`,
	},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			f, diags := Parse(c.name+".mg", []byte(c.src))
			if len(diags) != 0 || f == nil {
				t.Fatalf("Parse: file %v, diagnostics:\n%v", f != nil, diags)
			}
			if got := dump(f); got != c.want {
				t.Errorf("AST mismatch\ngot:\n%s\nwant:\n%s", got, c.want)
			}
			checkParse(t, []byte(c.src))
		})
	}
}

// syntaxErrorCases each hold one syntax error: Parse must report exactly one
// diagnostic, there, with this message.
var syntaxErrorCases = []struct {
	name      string
	src       string
	line, col int
	msg       string
}{
	{"option_not_closed", "pipeline P {\n\tprocessor work(n int) int threads(4 { emit(n) }\n}\n", 2, 38, "syntax error: unexpected \"{\" in threads(...): expected \",\" or \")\""},
	{"option_at_eof", "pipeline P {\n\tprocessor x(n int) int threads(", 2, 33, "syntax error: unexpected end of file: expected an option argument"},
	{"option_trailing_comma", "pipeline P {\n\tprocessor x(n int) int threads(4,) { }\n}\n", 2, 35, "syntax error: unexpected \")\": expected an option argument"},
	{"option_key_without_value", "pipeline P {\n\tprocessor x(n int) int retry(3, backoff: ) { }\n}\n", 2, 43, "syntax error: unexpected \")\": expected an option argument"},
	{"option_bad_qualified_name", "pipeline P {\n\tprocessor x(n int) int to(ingest.) { }\n}\n", 2, 35, "syntax error: expected a name after \".\", found \")\""},
	{"option_after_body", "pipeline P {\n\tprocessor x(n int) int { emit(n) } threads(2)\n}\n", 2, 37, "syntax error: unexpected \"threads\" (an option goes on the line of its stage; a strategy block opens with \"{\")"},
	{"option_on_own_line", "pipeline P {\n\tprocessor x(n int) int\n\tordered\n}\n", 3, 2, "syntax error: unexpected \"ordered\" (an option goes on the line of its stage; a strategy block opens with \"{\")"},
	{"block_without_brace", "pipeline P {\n\tthreads(4) x\n}\n", 2, 13, "syntax error: expected \"{\" to open a threads block, found \"x\""},
	{"stray_word_in_pipeline", "pipeline P {\n\tprocesor x(n int) int { }\n}\n", 2, 2, "syntax error: unknown word \"procesor\" (did you mean \"processor\"?)"},
	{"stray_word_not_close", "pipeline P {\n\tblurb x(n int) int { }\n}\n", 2, 8, "syntax error: expected \"{\" to open a blurb block, found \"x\""},
	{"stray_top_level", "pipeline P {}\nprocessor x(n int) int { }\n", 2, 1, "syntax error: unexpected token \"processor\""},
	{"unterminated_body", "pipeline P {\n\tproducer gen() int {\n\t\temit(1)\n", 2, 21, "syntax error: unterminated block: no \"}\" matches this \"{\""},
	{"unterminated_go_block", "go {\n\tfunc f() {}\n", 1, 4, "syntax error: unterminated block: no \"}\" matches this \"{\""},
	{"missing_pipeline_brace", "pipeline P {\n\tproducer gen() int { emit(1) }\n", 3, 1, "syntax error: unexpected end of file (expected \"}\")"},
	{"map_without_bracket", "pipeline P {\n\tparam m map string\n}\n", 2, 14, "syntax error: expected \"[\" after \"map\", found \"string\""},
	{"struct_without_brace", "pipeline P {\n\tstate {\n\t\ts struct int\n\t}\n}\n", 3, 12, "syntax error: expected \"{\" after \"struct\", found \"int\""},
	{"func_without_paren", "pipeline P {\n\tparam f func int\n}\n", 2, 15, "syntax error: expected \"(\" after \"func\", found \"int\""},
	{"arrow_without_chan", "pipeline P {\n\tprocessor x(c <-int) { }\n}\n", 2, 18, "syntax error: expected \"chan\" after \"<-\", found \"int\""},
	{"params_without_type", "pipeline P {\n\tprocessor x(n) int { emit(n) }\n}\n", 2, 15, "syntax error: expected the type of \"n\", found \")\""},
	{"params_two", "pipeline P {\n\tprocessor x(a int, b int) int { }\n}\n", 2, 19, "syntax error: a stage takes one input parameter"},
	{"params_not_a_name", "pipeline P {\n\tprocessor x(1) int { }\n}\n", 2, 14, "syntax error: expected a parameter name or \")\", found \"1\""},
	{"param_without_type", "pipeline P {\n\tparam x\n}\n", 3, 1, "syntax error: unexpected token \"}\" (expected a Go type)"},
	{"expression_mismatched", "pipeline P {\n\tparam x int = f(1]\n}\n", 2, 19, "syntax error: unexpected \"]\": expected \")\""},
	{"expression_unclosed", "pipeline P {\n\tparam x []int = []int{1, 2", 2, 23, "syntax error: unclosed \"{\" in expression"},
	{"expression_missing", "pipeline P {\n\tparam x int =\n}\n", 3, 1, "syntax error: expected a Go expression, found \"}\""},
	{"binding_missing", "pipeline P {\n\tproducer words =\n}\n", 3, 1, "syntax error: expected a Go expression, found \"}\""},
	{"state_field_not_a_type", "pipeline P {\n\tparam Count int = 1\n\tstate {\n\t\tx 0\n\t}\n}\n", 4, 5, "syntax error: expected a Go type, found \"0\""},
	{"state_field_without_type", "pipeline P {\n\tbatch 10\n\tstate {\n\t\tx\n\t}\n}\n", 5, 2, "syntax error: expected the field's Go type on its line"},
	{"reroute_without_target", "pipeline P {\n\treroute a ->\n\tconsumer b(n int) {}\n}\n", 3, 2, "syntax error: expected the stage to reroute to after \"->\", on its line"},
	{"merge_without_rule", "pipeline P {\n\tstate {\n\t\tn int merge()\n\t}\n}\n", 3, 15, "syntax error: unexpected token \")\" (expected a name)"},
	{"context_without_strategy", "pipeline P {\n\tcontext io =\n}\n", 3, 1, "syntax error: unexpected token \"}\" (expected an option)"},
	{"reroute_without_arrow", "pipeline P {\n\treroute a b\n}\n", 2, 12, "syntax error: unexpected token \"b\" (expected \"->\")"},
	{"hook_without_body", "pipeline P {\n\tbefore_run\n}\n", 3, 1, "syntax error: unexpected token \"}\" (expected \"{\")"},
	{"hook_param_missing", "pipeline P {\n\ton_error(x) (err error, ) { }\n}\n", 2, 26, "syntax error: unexpected token \")\" (expected a parameter name)"},
	{"extends_without_name", "pipeline P extends {\n}\n", 1, 20, "syntax error: unexpected token \"{\" (expected a name)"},
	{"import_without_path", "import fmt\n", 2, 1, "syntax error: unexpected end of file (expected a string)"},
	{"package_without_name", "package\n", 2, 1, "syntax error: unexpected end of file (expected a name)"},
	{"invalid_character", "pipeline P {\n\tconsumer c(n int) { x := n @ 2 }\n}\n", 2, 29, "syntax error: invalid character '@'"},
	{"string_not_terminated", "pipeline P {\n\tconsumer c(n int) { s := \"abc }\n}\n", 2, 27, "syntax error: string literal not terminated"},
	{"raw_string_not_terminated", "pipeline P {\n\tconsumer c(n int) { s := `abc }\n}\n", 2, 27, "syntax error: raw string literal not terminated"},
	{"bytes_not_runes", "// ünïcödé\npipeline P {\n\t/* é */ processor x(n int) int threads(2 { }\n}\n", 3, 44, "syntax error: unexpected \"{\" in threads(...): expected \",\" or \")\""},
	{"invalid_character_after_utf8", "pipeline P {}\né€\n", 2, 3, "syntax error: invalid character '€'"},
}

func TestSyntaxErrors(t *testing.T) {
	for _, c := range syntaxErrorCases {
		t.Run(c.name, func(t *testing.T) {
			f, diags := Parse("bad.mg", []byte(c.src))
			if f != nil {
				t.Errorf("Parse returned a file along with %v", diags)
			}
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1: %v", len(diags), diags)
			}
			d := diags[0]
			if d.Pos.File != "bad.mg" || d.Pos.Line != c.line || d.Pos.Col != c.col {
				t.Errorf("position %s, want bad.mg:%d:%d (%s)", d.Pos, c.line, c.col, d.Msg)
			}
			if d.Severity != Error {
				t.Errorf("severity %v, want Error", d.Severity)
			}
			if d.Msg != c.msg {
				t.Errorf("message\ngot:  %s\nwant: %s", d.Msg, c.msg)
			}
			if r := []rune(d.Msg)[0]; !unicode.IsLower(r) || strings.HasSuffix(d.Msg, ".") {
				t.Errorf("message %q must start lower-case and have no trailing period", d.Msg)
			}
		})
	}
}

// TestParseBodyVerbatim checks that bodies are the exact source between
// their braces, whatever braces hide in comments, strings, runes and raw
// strings, in stage bodies, hooks and go blocks alike.
func TestParseBodyVerbatim(t *testing.T) {
	body := "\n" +
		"\t\t// a } in a line comment\n" +
		"\t\t/* { and } in a block comment */\n" +
		"\t\ts := \"}{\" + \"\\\"}\"\n" +
		"\t\tr := []rune{'}', '{', '\\'', '\"'}\n" +
		"\t\tq := `{{\n}} \" '`\n" +
		"\t\tif n > 0 { emit(n) } // 'quoted'\n" +
		"\t"
	head := "pipeline P {\n\tconsumer c(n int) {"
	src := head + body + "}\n" +
		"\tafter_run {" + body + "}\n" +
		"}\n" +
		"go {" + body + "}\n"
	f, diags := Parse("body.mg", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	bodies, _, _ := fragments(f)
	if len(bodies) != 3 {
		t.Fatalf("got %d bodies, want 3", len(bodies))
	}
	for i, b := range bodies {
		if b.Text != body {
			t.Errorf("body %d\ngot:  %q\nwant: %q", i, b.Text, body)
		}
	}
	st := f.Decls[0].Pipeline.Members[0].Stage
	if got := f.Position(st.Body.Lbrace); got.Line != 2 || got.Col != 20 || got.Offset != len(head)-1 {
		t.Errorf("{ at %s (offset %d), want body.mg:2:20 (offset %d)", got, got.Offset, len(head)-1)
	}
	// The closing brace is on the body's last line, after its one tab.
	wantLine := 2 + strings.Count(body, "\n")
	if got := f.Position(st.Body.Rbrace); got.Line != wantLine || got.Col != 2 || got.Offset != len(head)+len(body) {
		t.Errorf("} at %s (offset %d), want body.mg:%d:2 (offset %d)", got, got.Offset, wantLine, len(head)+len(body))
	}
}

// TestParseOptionArgs checks the parts of options that dump leaves out:
// argument kinds, keys, parentheses and positions.
func TestParseOptionArgs(t *testing.T) {
	src := "pipeline P {\n" +
		"\tprocessor x(n int) int process_per_batch(max: 4, ipc: pipe) retry(3, backoff: 100ms) to(ingest.parse, b) ordered await() label(\"s\", `r`) queue_size(0x10) queue_size(1_000) {}\n" +
		"}\n"
	f, diags := Parse("opts.mg", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	type arg struct {
		key   string
		kind  ArgKind
		value string
	}
	want := []struct {
		name   string
		parens bool
		args   []arg
	}{
		{"process_per_batch", true, []arg{{"max", ArgNumber, "4"}, {"ipc", ArgName, "pipe"}}},
		{"retry", true, []arg{{"", ArgNumber, "3"}, {"backoff", ArgDuration, "100ms"}}},
		{"to", true, []arg{{"", ArgName, "ingest.parse"}, {"", ArgName, "b"}}},
		{"ordered", false, nil},
		{"await", true, nil},
		{"label", true, []arg{{"", ArgString, `"s"`}, {"", ArgString, "`r`"}}},
		{"queue_size", true, []arg{{"", ArgNumber, "0x10"}}},
		{"queue_size", true, []arg{{"", ArgNumber, "1_000"}}},
	}
	opts := f.Decls[0].Pipeline.Members[0].Stage.Options
	if len(opts) != len(want) {
		t.Fatalf("got %d options, want %d", len(opts), len(want))
	}
	for i, w := range want {
		o := opts[i]
		if o.Name != w.name || o.Parens != w.parens || len(o.Args) != len(w.args) {
			t.Errorf("option %d: got %s parens=%v with %d args, want %s parens=%v with %d", i, o.Name, o.Parens, len(o.Args), w.name, w.parens, len(w.args))
			continue
		}
		for j, a := range o.Args {
			if got := (arg{a.Key, a.Kind, a.Value}); got != w.args[j] {
				t.Errorf("%s arg %d: got %+v, want %+v", o.Name, j, got, w.args[j])
			}
		}
	}
	// An option's position is its name; a keyed argument's is its key.
	if got := f.Position(opts[0].Pos); got.Line != 2 || got.Col != 25 {
		t.Errorf("process_per_batch at %s, want 2:25", got)
	}
	if got := f.Position(opts[1].Args[1].Pos); got.Line != 2 || got.Col != 71 {
		t.Errorf("backoff at %s, want 2:71", got)
	}
}

// TestParsePositions checks positions of every kind of node, with multi-byte
// UTF-8 before them on their line: columns count bytes (as Go's do), not runes.
func TestParsePositions(t *testing.T) {
	src := "// naïve: ünïcödé\n" +
		"pipeline Ü {\n" +
		"\t/* é */ processor x(n int) int threads(2) { s := \"é}\" }\n" +
		"\tparam Ñ int = 1 // ñ\n" +
		"\tstate { é, ü int merge(sum) }\n" +
		"\t/*é*/ before(x) { }\n" +
		"}\n"
	f, diags := Parse("pos.mg", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	pl := f.Decls[0].Pipeline
	ms := pl.Members
	st, prm, state, hook := ms[0].Stage, ms[1].Param, ms[2].State, ms[3].Hook
	for _, c := range []struct {
		what string
		pos  Pos
		want string
	}{
		{"pipeline", f.Position(pl.Pos), "2:1"},
		{"pipeline name", f.Position(pl.Name.Pos), "2:10"},
		{"stage", f.Position(st.Pos), "3:11"},
		{"stage name", f.Position(st.Name.Pos), "3:21"},
		{"params", f.Position(st.Params.Pos), "3:22"},
		{"param name", f.Position(st.Params.Name.Pos), "3:23"},
		{"param type", f.Position(st.Params.Type.Pos), "3:25"},
		{"out type", f.Position(st.Out.Pos), "3:30"},
		{"option", f.Position(st.Options[0].Pos), "3:34"},
		{"option arg", f.Position(st.Options[0].Args[0].Pos), "3:42"},
		{"body {", f.Position(st.Body.Lbrace), "3:45"},
		{"body }", f.Position(st.Body.Rbrace), "3:58"},
		{"param", f.Position(prm.Pos), "4:2"},
		{"param Ñ", f.Position(prm.Name.Pos), "4:8"},
		{"param type", f.Position(prm.Type.Pos), "4:11"},
		{"param default", f.Position(prm.Default.Pos), "4:17"},
		{"state", f.Position(state.Pos), "5:2"},
		{"field", f.Position(state.Fields[0].Pos), "5:10"},
		{"field name ü", f.Position(state.Fields[0].Names[1].Pos), "5:14"},
		{"field type", f.Position(state.Fields[0].Type.Pos), "5:17"},
		{"merge", f.Position(state.Fields[0].Merge.Pos), "5:21"},
		{"hook", f.Position(hook.Pos), "6:9"},
		{"hook target", f.Position(hook.Target.Pos), "6:16"},
		{"hook body", f.Position(hook.Body.Lbrace), "6:19"},
	} {
		if got := strings.TrimPrefix(c.pos.String(), "pos.mg:"); got != c.want {
			t.Errorf("%s at %s, want %s", c.what, got, c.want)
		}
	}
	// Guard against a test that cannot fail: participle's own columns count
	// runes, so on line 3 they differ from the byte columns above.
	if st.Pos.Column == f.Position(st.Pos).Col {
		t.Errorf("line 3 does not tell bytes from runes")
	}
	if got := st.Body.Text; got != ` s := "é}" ` {
		t.Errorf("body %q", got)
	}
	if got := f.OffsetPos(strings.Index(src, "threads")); got.String() != "pos.mg:3:34" {
		t.Errorf("OffsetPos = %s, want pos.mg:3:34", got)
	}
}

// TestParseSpec parses the shared conformance corpus: every file parses but
// errors/syntax.mg, which fails at 9:38.
func TestParseSpec(t *testing.T) {
	files := specFiles(t)
	if len(files) == 0 {
		t.Skipf("conformance corpus %s not found", specDir)
	}
	sawSyntax := false
	for _, path := range files {
		rel, _ := filepath.Rel(specDir, path)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := Parse(rel, src)
			if rel == "errors/syntax.mg" {
				sawSyntax = true
				if f != nil || len(diags) != 1 || diags[0].Pos.Line != 9 || diags[0].Pos.Col != 38 {
					t.Fatalf("want one diagnostic at %s:9:38, got %v", rel, diags)
				}
				return
			}
			if f == nil || len(diags) != 0 {
				t.Fatalf("Parse failed:\n%v", diags)
			}
			if len(f.Decls) == 0 {
				t.Errorf("no declarations")
			}
			checkParse(t, src)
		})
	}
	if !sawSyntax {
		t.Errorf("errors/syntax.mg missing from %s", specDir)
	}
}

// TestParseDegenerate feeds inputs at the edges: Parse returns a file or
// exactly one diagnostic, never neither.
func TestParseDegenerate(t *testing.T) {
	for _, src := range []string{
		"", " ", "\n\n", "// only a comment", "/* only a comment */", "\x00", "\xff", "\ufeffpipeline P {}",
		"{", "}", "(", "pipeline", "pipeline P", "pipeline P {", "pipeline P }", "go", "go {", "go }",
		"pipeline P { processor", "pipeline P { processor x(", "pipeline P { processor x(n", "pipeline P { processor x(n int",
		"pipeline P { processor x(n int) int threads", "pipeline P { param x int = [", "pipeline P { state {",
		"pipeline P { threads(4) {", "pipeline P { on_error(x) (", "pipeline P { batch 10 every",
		"pipeline P { reroute a ->", "pipeline P { nested n =", "package p import",
	} {
		f, diags := Parse("edge.mg", []byte(src))
		if (f == nil) == (len(diags) == 0) {
			t.Errorf("Parse(%q) = file %v with %d diagnostics", src, f != nil, len(diags))
		}
		for _, d := range diags {
			if strings.HasPrefix(d.Msg, "internal error") {
				t.Errorf("Parse(%q): %s", src, d)
			}
		}
	}
	f, diags := Parse("empty.mg", nil)
	if f == nil || len(diags) != 0 || len(f.Decls) != 0 || f.Package != nil || f.Name != "empty.mg" {
		t.Errorf("Parse(nil) = %+v, %v; want an empty file", f, diags)
	}
}

// TestParseNestingLimit checks that nesting is bounded, with an error where
// it goes too deep: the parser recurses on brackets, blocks and types, and a
// stack overflow, unlike a panic, would kill the process.
func TestParseNestingLimit(t *testing.T) {
	for _, c := range []struct {
		name string
		src  func(n int) string
		ok   int    // deepest nesting that parses
		col  int    // column of the error one level deeper
		msg  string // its message
	}{{
		name: "expression",
		src: func(n int) string {
			return "pipeline P {\n\tparam x int = " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n}\n"
		},
		ok:  maxNesting - 1, // the pipeline's "{" is one level
		col: len("\tparam x int = ") + maxNesting,
		msg: "syntax error: brackets nested too deeply",
	}, {
		name: "blocks",
		src: func(n int) string {
			return "pipeline P {\n" + strings.Repeat("inline {", n) + strings.Repeat("}", n) + "\n}\n"
		},
		ok:  maxNesting - 1,
		col: len("inline {")*maxNesting - len("{") + 1,
		msg: "syntax error: brackets nested too deeply",
	}, {
		name: "type",
		src: func(n int) string {
			return "pipeline P {\n\tparam x " + strings.Repeat("*", n) + "int\n}\n"
		},
		ok:  maxNesting,
		col: len("\tparam x ") + maxNesting + 2, // at "int", one deeper than the last "*"
		msg: "syntax error: type nested too deeply",
	}} {
		t.Run(c.name, func(t *testing.T) {
			if f, diags := Parse("deep.mg", []byte(c.src(c.ok))); f == nil {
				t.Fatalf("nesting %d: %v", c.ok, diags)
			}
			f, diags := Parse("deep.mg", []byte(c.src(c.ok+1)))
			if f != nil || len(diags) != 1 {
				t.Fatalf("nesting %d: got file %v and %v, want one error", c.ok+1, f != nil, diags)
			}
			if d := diags[0]; d.Pos.Line != 2 || d.Pos.Col != c.col || d.Msg != c.msg {
				t.Errorf("got %s, want deep.mg:2:%d: %s", d, c.col, c.msg)
			}
		})
	}
}

// TestParseCRLF checks a file with Windows line endings: lines are still
// lines, and bodies keep their "\r\n" verbatim.
func TestParseCRLF(t *testing.T) {
	src := "pipeline P {\r\n" +
		"\tprocessor x(n int) int threads(2) {\r\n\t\temit(n)\r\n\t}\r\n" +
		"\tbatch 10\r\n" +
		"\tinline {\r\n\t\tconsumer c(b []int) { }\r\n\t}\r\n" +
		"}\r\n"
	f, diags := Parse("crlf.mg", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	want := "pipeline P {\n" +
		"  processor x(n \"int\") out \"int\" [threads(2)] body \"\\r\\n\\t\\temit(n)\\r\\n\\t\"\n" +
		"  batch 10\n" +
		"  block inline {\n" +
		"    consumer c(b \"[]int\") body \" \"\n" +
		"  }\n" +
		"}\n"
	if got := dump(f); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	c := f.Decls[0].Pipeline.Members[2].Block.Members[0].Stage
	if got := f.Position(c.Pos).String(); got != "crlf.mg:7:3" {
		t.Errorf("consumer at %s, want crlf.mg:7:3", got)
	}
}

func TestDocComments(t *testing.T) {
	src := "// P does things.\n//\n// Twice.\npipeline P {\n\t// Count is how many.\n\tparam Count int\n\n\t// not a doc: a blank line follows\n\n\tproducer gen() int { emit(1) } // trailing\n\t// sink keeps them.\n\tconsumer sink(n int) {}\n\tbatch 2\n}\n"
	f, diags := Parse("doc.mg", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := f.Decls[0].Pipeline
	if p.Doc != "P does things.\n\nTwice." {
		t.Errorf("pipeline doc %q", p.Doc)
	}
	ms := p.Members
	if got := ms[0].Param.Doc; got != "Count is how many." {
		t.Errorf("param doc %q", got)
	}
	if got := ms[1].Stage.Doc; got != "" {
		t.Errorf("producer doc %q, want none (a blank line separates the comment)", got)
	}
	if got := ms[2].Stage.Doc; got != "sink keeps them." {
		t.Errorf("consumer doc %q", got)
	}
	if got := ms[3].Batch.Doc; got != "" {
		t.Errorf("batch doc %q, want none", got)
	}
}

// TestParseBOM: a leading byte order mark is allowed, as in Go source, and positions stay byte
// columns of the file as written.
func TestParseBOM(t *testing.T) {
	f, diags := Parse("bom.mg", []byte("\ufeffpackage main\n\npipeline P {}\n"))
	if f == nil {
		t.Fatalf("a file that starts with a BOM does not parse: %v", diags)
	}
	if pos := f.Position(f.Package.Pos); pos.Line != 1 || pos.Col != 12 {
		t.Errorf("package name at %v, want 1:12 (the BOM is 3 bytes)", pos)
	}
}
