// Package config_params shows configuration through params. The options
// threads(Workers), batch Size and retry(Retries, backoff: Backoff) name
// params instead of literals: their values are read when a run starts, so a
// caller sets the fields (p.Workers = 8) and a program built with
// `minigungen build config_params.mg` takes flags (-workers 8 -size 20
// -retries 0). A value out of range (-workers 0) fails the run before any
// stage starts with an *mgrt.ParamError naming the param, the stage and the
// option.
package config_params

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
