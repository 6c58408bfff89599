// Package remote_workers shows a remote(N) stage: the body of thumbnail runs
// in worker processes that take chunks of images from a NATS JetStream work
// queue, while the producer, the store stage and the hooks stay in the
// coordinator (the run). By default a run embeds a NATS server (loopback, a
// random port and token) and starts Workers copies of its own executable as
// local workers; nothing in the .mg file names a server. Each thumbnail comes
// back as an emit, applied once per image, and the workers' state comes back
// through merge rules: the pixels they read (merge(sum)), the largest image
// (merge(max)) and how many images each worker process shrank (merge(addCounts)).
// mgrt.ItemKey gives each image a key that is the same on every delivery, for
// side effects that must not repeat.
//
// A program built from the file takes -nats URL to use an existing server
// instead, and the same program started with -worker thumbnail -nats URL
// joins the runs on that server as one more worker, on this machine or
// another (README.md of the examples has the commands).
//
// The test binary is the local workers' executable: the generated init
// serves the stage when the process was started as a worker.
package remote_workers

//go:generate go run github.com/minigun-go/minigun/cmd/minigungen generate
