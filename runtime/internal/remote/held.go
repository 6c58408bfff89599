package remote

import (
	"bufio"
	"encoding/binary"
	"io"
	"os"
	"sync"
)

// HeldLimit is how many bytes of emits (as they crossed from the worker) the stage holds in
// memory for one unfinished item before it spills them to a temporary file.
var HeldLimit int64 = 32 << 20

// held holds the emits a worker sent ahead of its oldest unfinished item's outcome: they go
// downstream when the item succeeds and are dropped when it fails, so a failed or crashed
// attempt never leaves output behind. Past heldLimit they spill to a file in dir.
type held[Out any] struct {
	mu    sync.Mutex
	pend  []pendingEmit[Out]
	bytes int64
	dir   string

	file    *os.File
	bw      *bufio.Writer
	spilled int  // values in the file
	noSpill bool // spilling failed once: keep everything in memory
}

func (h *held[Out]) empty() bool { return len(h.pend) == 0 && h.spilled == 0 }

// add holds emits (to: their targets, nil for Emit) that took size bytes on the wire.
func (h *held[Out]) add(emits []Out, to []int32, size int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, v := range emits {
		t := -1
		if to != nil {
			t = int(to[i])
		}
		h.pend = append(h.pend, pendingEmit[Out]{t, v})
	}
	h.bytes += size
	if h.bytes > HeldLimit && !h.noSpill {
		h.spill()
	}
}

// spill writes the emits held in memory to the file.
func (h *held[Out]) spill() {
	if h.file == nil {
		f, err := os.CreateTemp(h.dir, "minigun-held-*")
		if err != nil {
			h.noSpill = true
			return
		}
		h.file = f
		h.bw = bufio.NewWriterSize(f, 256<<10)
	}
	to := make([]int32, len(h.pend))
	vals := make([]Out, len(h.pend))
	for i, p := range h.pend {
		to[i], vals[i] = int32(p.to), p.v
	}
	if h.write(to) != nil || h.write(vals) != nil {
		// Values that crossed from a worker encode again; if the disk fails, keep them.
		h.noSpill = true
		return
	}
	h.spilled += len(h.pend)
	clear(h.pend)
	h.pend = h.pend[:0]
	h.bytes = 0
}

// write appends a block to the file: its length (uvarint), then v as Encode writes it.
func (h *held[Out]) write(v any) error {
	b, err := Encode(v)
	if err != nil {
		return err
	}
	if _, err := h.bw.Write(binary.AppendUvarint(nil, uint64(len(b)))); err != nil {
		return err
	}
	_, err = h.bw.Write(b)
	return err
}

// readBlock reads a block that write wrote into v.
func readBlock(r *bufio.Reader, v any) error {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return err
	}
	if n > MaxFrameBytes*4 {
		return ErrMalformed
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	return Decode(b, v)
}

// release hands every held emit, in order, to f, and forgets them.
func (h *held[Out]) release(f func(to int, v Out)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file != nil {
		h.replay(f)
	}
	for _, p := range h.pend {
		f(p.to, p.v)
	}
	h.drop()
}

// replay reads the spilled emits back.
func (h *held[Out]) replay(f func(to int, v Out)) {
	if h.bw.Flush() != nil {
		return
	}
	if _, err := h.file.Seek(0, io.SeekStart); err != nil {
		return
	}
	r := bufio.NewReaderSize(h.file, 256<<10)
	for left := h.spilled; left > 0; {
		var to []int32
		var vals []Out
		if readBlock(r, &to) != nil || readBlock(r, &vals) != nil || len(to) != len(vals) {
			return
		}
		for i, v := range vals {
			f(int(to[i]), v)
		}
		left -= len(vals)
	}
}

// discard drops every held emit.
func (h *held[Out]) discard() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop()
}

func (h *held[Out]) drop() {
	clear(h.pend)
	h.pend = h.pend[:0]
	h.bytes = 0
	if h.file != nil {
		name := h.file.Name()
		h.file.Close()
		os.Remove(name)
		h.file, h.bw = nil, nil
	}
	h.spilled = 0
	h.noSpill = false
}

// pendingEmit is an emit held until its item succeeded; to is the index of a To target, or
// -1 for Emit.
type pendingEmit[Out any] struct {
	to int
	v  Out
}
