// Package message_router shows a message router by type: envelopes carrying a
// type tag and a JSON body are sent with to.NAME(v) to the one handler that
// decodes that type. An envelope of a type no handler takes fails in the
// router and is dead-lettered to the unroutable stage; a handler that cannot
// decode its body fails that message, which the run's Result lists.
//
// All handlers take the Envelope: a stage has one output type, so the router
// passes the raw message on and each handler decodes its own body.
package message_router

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
