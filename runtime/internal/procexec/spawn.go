package procexec

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// spawnThreads is how many threads start worker processes, so that starts overlap.
const spawnThreads = 4

// spawnQueue feeds the spawner goroutines, started at the first worker start.
var spawnQueue = sync.OnceValue(func() chan func() {
	q := make(chan func())
	for range spawnThreads {
		go spawner(q)
	}
	spawners.Store(spawnThreads)
	return q
})

var spawners atomic.Int32

// Spawners is how many goroutines start worker processes (0 before the first start): they
// live as long as the process, which leak checks allow for.
func Spawners() int { return int(spawners.Load()) }

// spawner runs process starts on an OS thread that lives as long as the process. On Linux the
// kernel sends a worker its Pdeathsig when the thread that started it ends, not when its
// process does, and Go ends a thread when a goroutine locked to it (runtime.LockOSThread,
// as code that changes a thread's namespace or a GUI library does) returns: a worker started
// from an ordinary goroutine's thread could be killed later, healthy, while its parent runs.
// The spawner's goroutine locks its thread and never returns.
func spawner(q chan func()) {
	runtime.LockOSThread()
	for f := range q {
		f()
	}
}

// OnSpawnThread runs f, which starts a worker process, on a spawner thread and returns when f
// has returned.
func OnSpawnThread(f func()) {
	done := make(chan struct{})
	spawnQueue() <- func() {
		defer close(done)
		f()
	}
	<-done
}
