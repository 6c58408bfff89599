package mgrt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
)

// The protocol between the parent and a worker process.
//
// A worker is this executable started again with the environment variables envWorker (the
// pipeline's WorkerKey) and envWorkerStage (the stage's name), and two pipes besides stdin
// (/dev/null), stdout and stderr (forwarded line by line):
//
//	fd 3  parent -> worker: the hello, then items; closing it is the control signal: stop
//	fd 4  worker -> parent: alive, ready, then results
//
// Each direction is a stream of length-prefixed frames:
//
//	[4-byte little-endian length][uvarint header length][header][payload]
//
// The header (wireIn or wireOut) is a small hand-made binary encoding: encoding a fixed
// struct with gob costs about 100µs per process the first time, which a process per item
// pays on every item. The payload, when the header announces one, is a batch of items ([]In)
// or of emitted values ([]Out) encoded with one gob.Encoder for the life of the stream, so
// type information crosses once; a frame and its payload leave in one write.
//
// A worker runs its items one at a time in the order they came and reports them in that
// order, so a result needs no item id: the parent pairs each outcome with the oldest item in
// flight. Emits of an unfinished item may come ahead of its outcome (an item that emits a lot);
// the parent holds them until the outcome.
//
// If a value cannot be encoded, its frame is not sent: the sender sends a reset frame and
// continues with a fresh gob encoder; the receiver starts a fresh gob decoder at the reset.

// The environment variables that make this executable a worker process.
const (
	envWorker      = "MINIGUN_WORKER"       // the pipeline's WorkerKey
	envWorkerStage = "MINIGUN_WORKER_STAGE" // the stage's qualified name
)

// The worker's ends of its pipes.
const (
	fdIn  = 3
	fdOut = 4
)

// Frame kinds. kindReset is common to both directions.
const (
	inHello = iota + 1
	inItems

	outAlive
	outReady
	outResults

	kindReset = 255
)

// maxFrame bytes: a larger frame is a protocol error.
const maxFrameBytes = 1 << 30

// wireIn is a frame from the parent.
type wireIn struct {
	Kind int
	// inHello
	Params     []byte
	HasParams  bool
	State      []byte // StateSpec.Start
	Once       bool   // process_per_batch: serve one batch of items, then exit
	ItemPath   string // ipc: tempfile: read the items from this file
	ResultPath string // ipc: tempfile: write the results to this file
	// inItems: N items follow; Attempts[i] is the attempt number of item i (nil: all 1)
	N        int
	Attempts []int32
}

// Outcomes of an item in wireOut.Status.
const (
	statusOK      = 0
	statusFailed  = 1
	statusDropped = 2 // not run: the parent asked the worker to stop
)

// wireOut is a frame from a worker.
type wireOut struct {
	Kind int
	PID  int // outAlive
	// outReady: Err is why the worker cannot serve (nothing more follows); Hook names the hook
	// that failed; Delta is the state taken after the after_fork hooks.
	Err   string
	Hook  string
	Delta []byte
	// outResults. Reset: drop the emits held for the oldest unfinished item (an attempt
	// failed after some of its emits were sent). Then Done items finished, in order: Status
	// (nil: all ok), Attempts (the attempt that ended each; nil: the attempt it was sent as),
	// Errs (one per failed item), Counts (emits per item in the payload; nil: none), Deltas
	// (state, one per successful item when the stage has state). The payload holds NEmit
	// values, To their targets (nil: all Emit); the values past the finished items' belong to
	// the next, unfinished item. Lat holds sampled item durations in nanoseconds.
	Reset    bool
	Done     int
	Status   []uint8
	Attempts []int32
	Errs     []wireErr
	Counts   []int32
	Deltas   [][]byte
	NEmit    int
	To       []int32
	Lat      []int64
}

// wireErr is an item's error or panic in a worker.
type wireErr struct {
	Msg   string
	Panic bool
	Stack string
}

// hdrBuf builds a header.
type hdrBuf []byte

func (h *hdrBuf) uint(v uint64) { *h = binary.AppendUvarint(*h, v) }
func (h *hdrBuf) int(v int64)   { *h = binary.AppendVarint(*h, v) }
func (h *hdrBuf) bytes(b []byte) {
	h.uint(uint64(len(b)))
	*h = append(*h, b...)
}
func (h *hdrBuf) str(s string) {
	h.uint(uint64(len(s)))
	*h = append(*h, s...)
}
func (h *hdrBuf) bool(b bool) {
	if b {
		*h = append(*h, 1)
	} else {
		*h = append(*h, 0)
	}
}

// int32s writes a slice that may be nil (absent) as its length+1, 0 for nil.
func (h *hdrBuf) int32s(v []int32) {
	if v == nil {
		h.uint(0)
		return
	}
	h.uint(uint64(len(v)) + 1)
	for _, x := range v {
		h.int(int64(x))
	}
}

// hdrReader parses a header; the first error sticks.
type hdrReader struct {
	b   []byte
	err error
}

var errMalformed = errors.New("malformed frame")

func (r *hdrReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *hdrReader) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length that must fit what is left of the header (each element takes a byte
// at least), so that a bad frame cannot make the reader allocate much.
func (r *hdrReader) count() int {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *hdrReader) bytes() []byte {
	n := r.count()
	if r.err != nil {
		return nil
	}
	b := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return b
}

func (r *hdrReader) str() string { return string(r.bytes()) }

func (r *hdrReader) bool() bool {
	if len(r.b) == 0 {
		r.fail()
		return false
	}
	v := r.b[0] != 0
	r.b = r.b[1:]
	return v
}

func (r *hdrReader) int32s() []int32 {
	n := r.uint()
	if n == 0 || r.err != nil {
		return nil
	}
	if n-1 > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := make([]int32, n-1)
	for i := range v {
		x := r.int()
		if x < math.MinInt32 || x > math.MaxInt32 {
			r.fail()
		}
		v[i] = int32(x)
	}
	return v
}

func (r *hdrReader) fail() {
	if r.err == nil {
		r.err = errMalformed
	}
	r.b = nil
}

func (m *wireIn) marshal(h *hdrBuf) {
	*h = append(*h, byte(m.Kind))
	switch m.Kind {
	case inHello:
		h.bool(m.HasParams)
		h.bytes(m.Params)
		h.bytes(m.State)
		h.bool(m.Once)
		h.str(m.ItemPath)
		h.str(m.ResultPath)
	case inItems:
		h.uint(uint64(m.N))
		h.int32s(m.Attempts)
	}
}

func (m *wireIn) unmarshal(b []byte) error {
	r := hdrReader{b: b}
	if len(b) == 0 {
		return errMalformed
	}
	m.Kind = int(b[0])
	r.b = b[1:]
	switch m.Kind {
	case inHello:
		m.HasParams = r.bool()
		m.Params = r.bytes()
		m.State = r.bytes()
		m.Once = r.bool()
		m.ItemPath = r.str()
		m.ResultPath = r.str()
	case inItems:
		m.N = int(r.uint())
		m.Attempts = r.int32s()
		if m.N < 0 || m.Attempts != nil && len(m.Attempts) != m.N {
			r.fail()
		}
	case kindReset:
	default:
		r.fail()
	}
	return r.err
}

func (m *wireOut) marshal(h *hdrBuf) {
	*h = append(*h, byte(m.Kind))
	switch m.Kind {
	case outAlive:
		h.uint(uint64(m.PID))
	case outReady:
		h.str(m.Err)
		h.str(m.Hook)
		h.bytes(m.Delta)
	case outResults:
		h.bool(m.Reset)
		h.uint(uint64(m.Done))
		h.uint(uint64(m.NEmit))
		h.bytes(m.Status)
		h.int32s(m.Attempts)
		h.int32s(m.Counts)
		h.int32s(m.To)
		h.uint(uint64(len(m.Errs)))
		for _, e := range m.Errs {
			h.str(e.Msg)
			h.bool(e.Panic)
			h.str(e.Stack)
		}
		if m.Deltas == nil {
			h.uint(0)
		} else {
			h.uint(uint64(len(m.Deltas)) + 1)
			for _, d := range m.Deltas {
				h.bytes(d)
			}
		}
		h.uint(uint64(len(m.Lat)))
		for _, d := range m.Lat {
			h.int(d)
		}
	}
}

func (m *wireOut) unmarshal(b []byte) error {
	if len(b) == 0 {
		return errMalformed
	}
	m.Kind = int(b[0])
	r := hdrReader{b: b[1:]}
	switch m.Kind {
	case outAlive:
		m.PID = int(r.uint())
	case outReady:
		m.Err = r.str()
		m.Hook = r.str()
		m.Delta = r.bytes()
	case outResults:
		m.Reset = r.bool()
		m.Done = int(r.uint())
		m.NEmit = int(r.uint())
		if st := r.bytes(); len(st) > 0 {
			m.Status = st
		}
		m.Attempts = r.int32s()
		m.Counts = r.int32s()
		m.To = r.int32s()
		if n := r.count(); n > 0 {
			m.Errs = make([]wireErr, n)
			for i := range m.Errs {
				m.Errs[i] = wireErr{Msg: r.str(), Panic: r.bool(), Stack: r.str()}
			}
		}
		if n := r.uint(); n > 0 && r.err == nil {
			if n-1 > uint64(len(r.b)) {
				r.fail()
				break
			}
			m.Deltas = make([][]byte, n-1)
			for i := range m.Deltas {
				m.Deltas[i] = r.bytes()
			}
		}
		if n := r.count(); n > 0 {
			m.Lat = make([]int64, n)
			for i := range m.Lat {
				m.Lat[i] = r.int()
			}
		}
		if m.Done < 0 || m.NEmit < 0 || m.Done > maxFrameBytes || m.NEmit > maxFrameBytes {
			r.fail()
		}
	case kindReset:
	default:
		r.fail()
	}
	return r.err
}

// frameWriter writes frames to w: a header and, optionally, a gob payload from the stream's
// one encoder.
type frameWriter struct {
	w    io.Writer
	buf  bytes.Buffer // the frame being built; the gob encoder appends the payload to it
	enc  *gob.Encoder
	hdr  hdrBuf
	last int // payload bytes of the last frame
}

func newFrameWriter(w io.Writer) *frameWriter {
	f := &frameWriter{w: w}
	f.enc = gob.NewEncoder(&f.buf)
	return f
}

// encodeError is a payload that could not be encoded; the stream was reset and is usable.
type encodeError struct{ err error }

func (e encodeError) Error() string { return e.err.Error() }
func (e encodeError) Unwrap() error { return e.err }

// send writes one frame: the header m marshals, then payload (if not nil). If the payload
// cannot be encoded, nothing of the frame is written, the stream is reset, and an
// encodeError is returned; other errors are the writer's.
func (f *frameWriter) send(m interface{ marshal(*hdrBuf) }, payload any) error {
	f.hdr = f.hdr[:0]
	m.marshal(&f.hdr)
	f.buf.Reset()
	var pre [4 + binary.MaxVarintLen64]byte
	n := binary.PutUvarint(pre[4:], uint64(len(f.hdr)))
	f.buf.Write(pre[:4+n])
	f.buf.Write(f.hdr)
	start := f.buf.Len()
	if payload != nil {
		if err := f.encode(payload); err != nil {
			if rerr := f.reset(); rerr != nil {
				return rerr
			}
			return encodeError{err}
		}
	}
	f.last = f.buf.Len() - start
	b := f.buf.Bytes()
	if len(b)-4 > maxFrameBytes {
		if rerr := f.reset(); rerr != nil {
			return rerr
		}
		return encodeError{fmt.Errorf("a frame of %d bytes is too large", len(b)-4)}
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)-4))
	_, err := f.w.Write(b)
	if f.buf.Cap() > 4<<20 {
		// Drop a large buffer rather than keep it for the life of the process. The encoder
		// writes to f.buf by address, so it carries on into the new, empty one.
		f.buf = bytes.Buffer{}
	}
	return err
}

// reset sends a reset frame and starts a fresh gob encoder.
func (f *frameWriter) reset() error {
	f.buf = bytes.Buffer{}
	f.enc = gob.NewEncoder(&f.buf)
	_, err := f.w.Write([]byte{2, 0, 0, 0, 1, kindReset})
	return err
}

// encode encodes v, turning a panic of gob (a nil pointer) into an error.
func (f *frameWriter) encode(v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return f.enc.Encode(v)
}

// frameReader reads frames: next returns a frame's header, decode its payload with the
// stream's one gob decoder, which reads exactly the payload (gob reads whole messages from an
// io.ByteReader and nothing more).
type frameReader struct {
	r       io.Reader
	buf     []byte
	pr      payloadReader
	dec     *gob.Decoder
	size    [4]byte
	pending []byte // a frame's header read ahead (prefetch)
}

func newFrameReader(r io.Reader, size int) *frameReader {
	f := &frameReader{r: bufio.NewReaderSize(r, size)}
	f.dec = gob.NewDecoder(&f.pr)
	return f
}

// prefetch reads the next frame now; next returns it.
func (f *frameReader) prefetch() error {
	hdr, err := f.next()
	f.pending = hdr
	return err
}

// next reads the next frame and returns its header bytes; its payload is ready to decode.
// A reset frame is handled here.
func (f *frameReader) next() ([]byte, error) {
	if hdr := f.pending; hdr != nil {
		f.pending = nil
		return hdr, nil
	}
	for {
		if _, err := io.ReadFull(f.r, f.size[:]); err != nil {
			return nil, err
		}
		n := binary.LittleEndian.Uint32(f.size[:])
		if n > maxFrameBytes || n == 0 {
			return nil, errMalformed
		}
		if int(n) > cap(f.buf) {
			f.buf = make([]byte, n)
		}
		body := f.buf[:n]
		if _, err := io.ReadFull(f.r, body); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if n > 4<<20 {
			f.buf = nil // not kept for the life of the stream
		}
		h, k := binary.Uvarint(body)
		if k <= 0 || h == 0 || h > uint64(len(body)-k) {
			return nil, errMalformed
		}
		hdr := body[k : k+int(h)]
		f.pr.b = body[k+int(h):]
		if hdr[0] == kindReset {
			f.dec = gob.NewDecoder(&f.pr)
			continue
		}
		return hdr, nil
	}
}

// decode decodes the current frame's payload into v.
func (f *frameReader) decode(v any) error {
	if err := f.dec.Decode(v); err != nil {
		return err
	}
	if len(f.pr.b) != 0 {
		return errMalformed
	}
	return nil
}

// payload returns the size of the current frame's payload not decoded yet.
func (f *frameReader) payload() int { return len(f.pr.b) }

// buffered reports whether bytes of a next frame have been read already.
func (f *frameReader) buffered() bool {
	b, ok := f.r.(*bufio.Reader)
	return ok && b.Buffered() > 0
}

// payloadReader serves one frame's payload to the gob decoder.
type payloadReader struct{ b []byte }

func (p *payloadReader) Read(b []byte) (int, error) {
	if len(p.b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(b, p.b)
	p.b = p.b[n:]
	return n, nil
}

func (p *payloadReader) ReadByte() (byte, error) {
	if len(p.b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	c := p.b[0]
	p.b = p.b[1:]
	return c, nil
}
