package ir

//go:generate go run ./internal/mkstdlib

// The hint on an undefined name that a missing import explains lives in
// load_types.go (withHint); its table, stdlib_names.go, is generated from
// `go list std` by internal/mkstdlib, so that minigungen never runs go list
// to give it.
