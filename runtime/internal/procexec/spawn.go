package procexec

import (
	"runtime"
	"sync"
)

// OnSpawnThread runs start, which starts a worker process and reports whether it did, on a
// goroutine locked to its OS thread, and returns when start has returned. The thread stays
// locked to that goroutine until release is called, once the worker has been waited for
// (release may be called more than once).
//
// On Linux the kernel sends a worker its Pdeathsig when the thread that started it ends, not
// when its process does, and Go ends a thread when a goroutine locked to it returns
// (runtime.LockOSThread, as code that changes a thread's namespace or a GUI library uses): a
// worker started from an ordinary goroutine's thread could be killed, healthy, while its
// parent runs on. A thread locked here runs nothing else while its worker lives; it is
// unlocked, and so kept, when its goroutine returns.
func OnSpawnThread(start func() bool) (release func()) {
	started, exited := make(chan struct{}), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		ok := start()
		close(started)
		if ok {
			<-exited
		}
		runtime.UnlockOSThread()
	}()
	<-started
	return sync.OnceFunc(func() { close(exited) })
}
