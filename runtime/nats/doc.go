// Package mgnats runs remote stages (DESIGN 3.7): the bodies of a stage with remote(N) run on
// worker processes fed through a NATS JetStream work queue, on this machine or others, with
// the semantics of a processes(N) stage. Code generated for a .mg file with remote stages
// imports it; other programs link no NATS package.
//
// The coordinator (a normal run) embeds a NATS server unless Configure (-nats in built
// binaries, or MINIGUN_NATS_URL) names one, and starts N local workers of its own executable;
// Serve (-worker STAGE, or a generated ServeRemote) serves a stage on other machines for
// every job whose graph fingerprint matches the program's. What crosses, the delivery
// guarantee and the differences from processes are in the README ("Remote stages") and in
// the comment of the session type; the wire format is package remote's.
//
// Names in NATS: per stage of a job, a work-queue stream MG_<job>_<stage token> with the
// subjects mg.<job>.<token>.in (chunks, consumer "work" shared by the workers) and
// mg.<job>.<token>.res (results, consumer "coord"); a key <pipeline token>.<job>.<token> of
// the KV bucket mg_jobs holds the job record workers join with, put again every 5 s while the
// stage runs (workers leave a job whose record went unrenewed for 20 s), deleted when it ends.
package mgnats
