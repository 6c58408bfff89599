package dsl

var parseCases []struct{ src string }
var syntaxErrorCases []struct{ src string }
