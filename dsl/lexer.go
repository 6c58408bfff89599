package dsl

import (
	"github.com/alecthomas/participle/v2/lexer"
)

// mgLexer tokenizes .mg files. It understands Go's strings, runes, comments and
// operators, so Go bodies embedded in a file are scanned token by token and
// their braces are balanced correctly; the bodies themselves are later sliced
// verbatim out of the source by offset.
var mgLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `//[^\n]*|/\*([^*]|\*+[^*/])*\*+/`},
	{Name: "Whitespace", Pattern: `[ \t\r\n\f\v]+`},
	{Name: "RawString", Pattern: "`[^`]*`"},
	{Name: "String", Pattern: `"(\\.|[^"\\\n])*"`},
	{Name: "Char", Pattern: `'(\\.|[^'\\\n])+'`},
	{Name: "Duration", Pattern: `([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+\b`},
	{Name: "Number", Pattern: `0[xX][0-9a-fA-F_]+(\.[0-9a-fA-F_]*)?([pP][+-]?[0-9_]+)?i?|0[bB][01_]+i?|0[oO][0-7_]+i?|[0-9][0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9_]+)?i?|\.[0-9][0-9_]*([eE][+-]?[0-9_]+)?i?`},
	{Name: "Ident", Pattern: `[\p{L}_][\p{L}\p{Nd}_]*`},
	{Name: "Punct", Pattern: `\.\.\.|<<=|>>=|&\^=|&&|\|\||<-|->|\+\+|--|==|!=|<=|>=|:=|\+=|-=|\*=|/=|%=|&=|\|=|\^=|<<|>>|&\^|[-+*/%&|^<>=!(){}\[\],;.:~]`},
})
