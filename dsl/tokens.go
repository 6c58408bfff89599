package dsl

import "strings"

// TokenKind says what a Token is.
type TokenKind int

// Token kinds, as the .mg lexer tells them apart.
const (
	TokComment   TokenKind = iota // a // or /* */ comment
	TokIdent                      // a name or a keyword
	TokPunct                      // an operator or a bracket
	TokString                     // an interpreted string literal, quotes included
	TokRawString                  // a raw string literal, back quotes included
	TokChar                       // a rune literal
	TokNumber                     // a number
	TokDuration                   // a duration such as 250ms
)

// Token is one token of a .mg file: comments are tokens, whitespace is not.
// Offset is the byte offset of its first byte.
type Token struct {
	Kind   TokenKind
	Offset int
	Text   string
}

// End is the byte offset just past the token.
func (t Token) End() int { return t.Offset + len(t.Text) }

// Tokens returns the tokens of src, comments included, in source order, as
// the parser reads them: Go bodies are tokens too, so that a brace inside a
// string or a comment is never taken for one of the file's. It fails only
// where Parse fails to lex.
func Tokens(name string, src []byte) ([]Token, error) {
	lex, err := mgLexer.LexString(name, string(src))
	if err != nil {
		return nil, err
	}
	kinds := map[string]TokenKind{
		"Comment": TokComment, "Ident": TokIdent, "Punct": TokPunct, "String": TokString,
		"RawString": TokRawString, "Char": TokChar, "Number": TokNumber, "Duration": TokDuration,
	}
	byType := map[int]TokenKind{}
	for name, typ := range mgLexer.Symbols() {
		if k, ok := kinds[name]; ok {
			byType[int(typ)] = k
		}
	}
	var toks []Token
	for {
		t, err := lex.Next()
		if err != nil {
			return nil, err
		}
		if t.EOF() {
			return toks, nil
		}
		k, ok := byType[int(t.Type)]
		if !ok || strings.TrimSpace(t.Value) == "" {
			continue // whitespace
		}
		toks = append(toks, Token{Kind: k, Offset: t.Pos.Offset, Text: t.Value})
	}
}
