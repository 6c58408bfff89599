// Package reroute_extends shows inheritance with `extends` and rewiring with
// `reroute`. Ingest parses access-log lines, enriches them, validates them
// and stores them. Three variants reuse it:
//
//   - Backfill: `reroute parse -> store` skips enrich and validate, which
//     can then receive nothing and are dropped from Backfill (generate warns
//     about it, as it does for every stage a reroute leaves unreachable);
//   - Audited: `reroute validate -> store, audit` sends each validated event
//     to both, and adds its own state, stage and hooks, which run after the
//     parent's;
//   - Errors: `reroute enrich -> only_errors` inserts a stage of its own
//     between two of the parent's.
//
// Each child redeclares the Label param to change its default.
package reroute_extends

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
