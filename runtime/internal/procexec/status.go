//go:build unix

package procexec

import (
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// A status page is a small file mapped into the memory of the parent and of a worker: the
// worker stores there the id of the item it runs and, for another attempt of the same item, a
// count of attempts: an atomic write or two per item, no system call nor clock read. When a
// worker dies, the parent reads which item it was running (that item used an attempt; the
// others did not); while it lives, the parent's watchdog sees how long an attempt has run
// from when it first saw it (timeout(D), and items stuck behind a slow one).

const pageSize = 64

// page is a mapped status page.
type page struct {
	file *os.File // the parent's; passed to each worker as fd 5
	mem  []byte
	last uint64 // worker side: the item set last
}

// newPage makes a status page, or returns nil when the system does not let it.
func newPage(dir string) *page {
	f, err := os.CreateTemp(dir, "minigun-status-*")
	if err != nil {
		return nil
	}
	os.Remove(f.Name()) // the open descriptors keep it
	if err := f.Truncate(pageSize); err != nil {
		f.Close()
		return nil
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil
	}
	return &page{file: f, mem: mem}
}

// mapPage maps the status page a worker received on fd (nil if it cannot).
func mapPage(fd int) *page {
	mem, err := syscall.Mmap(fd, 0, pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return &page{mem: mem}
}

func (p *page) word(i int) *atomic.Uint64 {
	return (*atomic.Uint64)(unsafe.Pointer(&p.mem[i*8]))
}

// set records that an attempt of item id starts (worker side). Another attempt of the same
// item counts in the second word, so that the parent sees it is a new one.
func (p *page) set(id uint64) {
	if p == nil {
		return
	}
	if id == p.last {
		p.word(1).Add(1)
	}
	p.last = id
	p.word(0).Store(id)
}

// clear records that no item runs (worker side).
func (p *page) clear() {
	if p != nil {
		p.word(0).Store(0)
	}
}

// running returns the item the worker runs (0: none) and the number of its attempt in the
// worker's life (it changes with every attempt).
func (p *page) running() (id, attempt uint64) {
	if p == nil {
		return 0, 0
	}
	id = p.word(0).Load()
	if id == 0 {
		return 0, 0
	}
	return id, p.word(1).Load()
}

// reset clears the page for the next worker of a slot (parent side).
func (p *page) reset() {
	if p != nil {
		p.word(0).Store(0)
		p.word(1).Store(0)
	}
}

// close unmaps the page and closes its file.
func (p *page) close() {
	if p == nil {
		return
	}
	_ = syscall.Munmap(p.mem)
	if p.file != nil {
		p.file.Close()
	}
}
