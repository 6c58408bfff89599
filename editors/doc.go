// Package editors holds editor support for .mg files: a TextMate grammar
// (textmate/mg.tmLanguage.json) and a VS Code extension (vscode/) that
// packages it. The package has no Go API; its test runs the grammar, with a
// small TextMate tokenizer, over every .mg file of the repository and the
// conformance corpus, and checks what each keyword, comment, string and Go
// body is scoped as. See README.md for installing the grammar in an editor.
package editors
