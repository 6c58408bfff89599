// Package complexrouting shows routing on several levels: a stage that lists
// its downstreams with to(...) sends each item where its body says with
// to.NAME (a misspelt name is a compile error at the .mg line), a stage's
// emit reaches every downstream it lists, sub-pipelines route to stages of
// other sub-pipelines by qualified name (to(general.reply)), two targets with
// the same last name are told apart as to.security_triage and
// to.billing_triage, and stages with from(...) take items from several
// senders. Every route a ticket can take ends exactly when all its possible
// senders have ended, so no stage waits on a route that was never used.
package complexrouting

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
