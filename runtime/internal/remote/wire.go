package remote

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
)

// The wire format between a stage and its workers, the same whatever carries it (the pipes of
// package procexec, a message engine).
//
// A stream of length-prefixed frames:
//
//	[4-byte little-endian length][uvarint header length][header][payload]
//
// The header (ToWorker or FromWorker) is a small hand-made binary encoding: encoding a fixed
// struct with gob costs about 100µs per process the first time, which a process per item pays
// on every item. Item ids travel as runs of consecutive ids, and outcomes as runs of
// consecutive items that ended alike, so that a frame of a thousand cheap items costs a few
// bytes of header. The payload, when the header announces one, is a batch of items ([]In) or
// of emitted values ([]Out): in the raw codec of codec.go when they are plain values, else
// encoded with one gob.Encoder for the life of the stream, so type information crosses once.
// A frame and its payload leave in one write.
//
// The hello carries the version of this format (WireVersion); a worker refuses a stage that
// speaks another.
//
// Every item carries an id, unique in the run of its stage; results name the items they
// settle, so a result is never matched by its position. A worker runs its items one at a time,
// in the order they came, and reports each outcome once: ok (with the item's emits and its
// state delta), failed (with the error of the attempt that ended it), dropped (not run: the
// worker was told to stop) or revoked (not run: the stage asked for it back). The emits of an
// item that emits a lot may come ahead of its outcome (FromWorker.Partial); the stage holds
// them until the outcome, and drops them on a reset.
//
// If a value cannot be encoded, its frame is not sent: the sender sends a reset frame and
// continues with a fresh gob encoder; the receiver starts a fresh gob decoder at the reset.

// Frame kinds. KindReset is common to both directions.
const (
	KindHello  = iota + 1 // to a worker: what it needs to start
	KindItems             // to a worker: items to run
	KindRevoke            // to a worker: give back these items if they have not started
	KindStop              // to a worker: finish the item that runs, report the others dropped, exit

	KindAlive   // from a worker: it started (its pid)
	KindReady   // from a worker: it serves (or cannot, with the error)
	KindResults // from a worker: outcomes and emits

	KindReset = 255
)

// MaxFrameBytes bounds a frame: a larger one is a protocol error.
const MaxFrameBytes = 1 << 30

// WireVersion is the version of the wire format. 1 had gob payloads only, ids one by one; 2
// had no abandoned outcome.
const WireVersion = 3

// maxFrameItems bounds the ids or outcomes of one frame: a frame that claims more is malformed
// (a run of consecutive ids is short, but it must not make the reader allocate without bound).
const maxFrameItems = 1 << 20

// ErrMalformed is a frame that does not parse.
var ErrMalformed = errors.New("malformed frame")

// ToWorker is a frame to a worker.
type ToWorker struct {
	Kind int
	// KindHello
	Params     []byte // the pipeline's parameters (HasParams: present)
	HasParams  bool
	State      []byte // the state's start values (StateSpec.Start)
	Once       bool   // process_per_batch: serve one batch of items, then exit
	ItemPath   string // ipc: tempfile: read the items from this file
	ResultPath string // ipc: tempfile: write the results to this file
	Timeout    int64  // the stage's per-attempt timeout in nanoseconds, 0 = none
	Version    int    // the sender's WireVersion (set by Unmarshal; Marshal writes WireVersion)
	// KindItems: len(IDs) items follow in the payload; Attempts[i] is the attempt number of
	// item i (nil: all 1). KindRevoke: the items to give back.
	IDs      []uint64
	Attempts []int32
}

// Outcomes of an item.
const (
	StatusOK      = 0
	StatusFailed  = 1
	StatusDropped = 2 // not run: the worker was told to stop
	StatusRevoked = 3 // not run: given back on request
	// StatusAbandoned: the attempt ran past its timeout and grace and the worker gave it up
	// (a worker its stage cannot kill ends such an attempt itself): the item runs again
	// elsewhere if it has attempts left, else it fails with Err.
	StatusAbandoned = 4
)

// Outcome is the end of one item in a worker.
type Outcome struct {
	ID      uint64
	Status  uint8
	Attempt int32   // the attempt that ended it (StatusOK, StatusFailed, StatusAbandoned)
	NEmit   int32   // its emits in the frame's payload (StatusOK)
	Err     WireErr // StatusFailed, StatusAbandoned
	Delta   []byte  // StatusOK: the state delta, when the stage has state
}

// WireErr is an item's error or panic in a worker.
type WireErr struct {
	Msg   string
	Panic bool
	Stack string
}

// FromWorker is a frame from a worker.
type FromWorker struct {
	Kind int
	// KindAlive: the worker's pid. On the stage's side the transport sets it, Bytes (the
	// payload's size), and Host and WorkDir when it has them, on every frame it hands over.
	PID     int
	Bytes   int
	Host    string
	WorkDir string
	// KindReady: Err is why the worker cannot serve (nothing more follows); Hook names the
	// hook that failed; Delta is the state taken after the after_fork hooks.
	Err   string
	Hook  string
	Delta []byte
	// KindResults. Reset, if not 0, is an item whose emits sent ahead must be dropped (its
	// attempt failed after some were sent); it applies before the rest of the frame. Then the
	// outcomes, in order. The payload holds NEmit values, To their targets (nil: all Emit):
	// first the emits of each ok outcome in turn, then, if Partial is not 0, emits of item
	// Partial sent ahead of its outcome. HasState says whether ok outcomes carry a delta.
	// Lat holds sampled item durations in nanoseconds.
	Reset    uint64
	Outcomes []Outcome
	HasState bool
	Partial  uint64
	NEmit    int
	To       []int32
	Lat      []int64
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

// ids writes ids as runs of consecutive ids: the count, then for each run the distance of
// its first id from the end of the previous run, and its length.
func (h *hdrBuf) ids(v []uint64) {
	h.uint(uint64(len(v)))
	next := uint64(0)
	for i := 0; i < len(v); {
		j := i + 1
		for j < len(v) && v[j] == v[j-1]+1 {
			j++
		}
		h.int(int64(v[i] - next))
		h.uint(uint64(j - i))
		next = v[j-1] + 1
		i = j
	}
}

// hdrReader parses a header; the first error sticks.
type hdrReader struct {
	b   []byte
	err error
}

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

func (r *hdrReader) int32() int32 {
	x := r.int()
	if x < math.MinInt32 || x > math.MaxInt32 {
		r.fail()
	}
	return int32(x)
}

func (r *hdrReader) int32s() []int32 { return r.int32sInto(nil) }

// int32sInto reads what hdrBuf.int32s wrote, into v's backing array when it is large enough.
func (r *hdrReader) int32sInto(v []int32) []int32 {
	n := r.uint()
	if n == 0 || r.err != nil {
		return nil
	}
	if n-1 > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	if uint64(cap(v)) < n-1 {
		v = make([]int32, n-1)
	}
	v = v[:n-1]
	for i := range v {
		v[i] = r.int32()
	}
	return v
}

// ids reads what hdrBuf.ids wrote, into v's backing array when it is large enough.
func (r *hdrReader) ids(v []uint64) []uint64 {
	n := r.uint()
	if n == 0 || r.err != nil {
		return nil
	}
	if n > maxFrameItems {
		r.fail()
		return nil
	}
	if uint64(cap(v)) < n {
		v = make([]uint64, 0, n)
	}
	v = v[:0]
	next := uint64(0)
	for uint64(len(v)) < n && r.err == nil {
		first := next + uint64(r.int())
		k := r.uint()
		if k == 0 || k > n-uint64(len(v)) {
			r.fail()
			break
		}
		for x := range k {
			v = append(v, first+x)
		}
		next = first + k
	}
	if r.err != nil {
		return nil
	}
	return v
}

func (r *hdrReader) fail() {
	if r.err == nil {
		r.err = ErrMalformed
	}
	r.b = nil
}

// Marshaler is a frame header.
type Marshaler interface{ marshal(*hdrBuf) }

func (m *ToWorker) marshal(h *hdrBuf) {
	*h = append(*h, byte(m.Kind))
	switch m.Kind {
	case KindHello:
		h.bool(m.HasParams)
		h.bytes(m.Params)
		h.bytes(m.State)
		h.bool(m.Once)
		h.str(m.ItemPath)
		h.str(m.ResultPath)
		h.int(m.Timeout)
		h.uint(WireVersion)
	case KindItems:
		h.ids(m.IDs)
		h.int32s(m.Attempts)
	case KindRevoke:
		h.ids(m.IDs)
	}
}

// Unmarshal parses a header made by a FrameWriter. The slices of m (IDs, Attempts) are reused
// when they are large enough: a caller that keeps them passes a fresh m.
func (m *ToWorker) Unmarshal(b []byte) error {
	if len(b) == 0 {
		return ErrMalformed
	}
	ids, att := m.IDs, m.Attempts
	*m = ToWorker{Kind: int(b[0])}
	r := hdrReader{b: b[1:]}
	switch m.Kind {
	case KindHello:
		m.HasParams = r.bool()
		m.Params = r.bytes()
		m.State = r.bytes()
		m.Once = r.bool()
		m.ItemPath = r.str()
		m.ResultPath = r.str()
		m.Timeout = r.int()
		m.Version = 1
		if len(r.b) > 0 {
			m.Version = int(r.uint())
		}
	case KindItems:
		m.IDs = r.ids(ids)
		m.Attempts = r.int32sInto(att)
		if m.Attempts != nil && len(m.Attempts) != len(m.IDs) {
			r.fail()
		}
	case KindRevoke:
		m.IDs = r.ids(ids)
	case KindStop, KindReset:
	default:
		r.fail()
	}
	return r.err
}

func (m *FromWorker) marshal(h *hdrBuf) {
	*h = append(*h, byte(m.Kind))
	switch m.Kind {
	case KindAlive:
		h.uint(uint64(m.PID))
	case KindReady:
		h.str(m.Err)
		h.str(m.Hook)
		h.bytes(m.Delta)
	case KindResults:
		h.uint(m.Reset)
		h.bool(m.HasState)
		// The outcomes as runs: items of consecutive ids that ended alike (ok with the same
		// attempt and number of emits, dropped, revoked) share one entry; a failure has its own.
		h.uint(uint64(len(m.Outcomes)))
		next := uint64(0)
		for i := 0; i < len(m.Outcomes); {
			o := &m.Outcomes[i]
			j := i + 1
			if o.Status != StatusFailed && o.Status != StatusAbandoned {
				for j < len(m.Outcomes) && j-i < maxRun && sameRun(o, &m.Outcomes[j], j-i) {
					j++
				}
			}
			h.int(int64(o.ID - next))
			*h = append(*h, o.Status)
			h.uint(uint64(j - i))
			switch o.Status {
			case StatusOK:
				h.int(int64(o.Attempt))
				h.uint(uint64(o.NEmit))
				if m.HasState {
					for k := i; k < j; k++ {
						h.bytes(m.Outcomes[k].Delta)
					}
				}
			case StatusFailed, StatusAbandoned:
				h.int(int64(o.Attempt))
				h.str(o.Err.Msg)
				h.bool(o.Err.Panic)
				h.str(o.Err.Stack)
			}
			next = m.Outcomes[j-1].ID + 1
			i = j
		}
		h.uint(m.Partial)
		h.uint(uint64(m.NEmit))
		h.int32s(m.To)
		h.uint(uint64(len(m.Lat)))
		for _, d := range m.Lat {
			h.int(d)
		}
	}
}

// maxRun bounds a run of outcomes (ids of one chunk are consecutive, at most maxChunkItems).
const maxRun = 1 << 16

// sameRun reports whether outcome o2 continues the run that o starts, k items after it.
func sameRun(o, o2 *Outcome, k int) bool {
	return o2.ID == o.ID+uint64(k) && o2.Status == o.Status && o2.Attempt == o.Attempt && o2.NEmit == o.NEmit
}

// Unmarshal parses a header made by a FrameWriter. The slices of m (Outcomes, To, Lat) are
// reused when they are large enough: a caller that keeps them passes a fresh m.
func (m *FromWorker) Unmarshal(b []byte) error {
	if len(b) == 0 {
		return ErrMalformed
	}
	outs, to, lat := m.Outcomes[:0], m.To, m.Lat[:0]
	*m = FromWorker{Kind: int(b[0])}
	r := hdrReader{b: b[1:]}
	switch m.Kind {
	case KindAlive:
		m.PID = int(r.uint())
	case KindReady:
		m.Err = r.str()
		m.Hook = r.str()
		m.Delta = r.bytes()
	case KindResults:
		m.Reset = r.uint()
		m.HasState = r.bool()
		n := r.uint()
		if n > maxFrameItems {
			r.fail()
		}
		if n > 0 && r.err == nil {
			if uint64(cap(outs)) < n {
				outs = make([]Outcome, 0, n)
			}
			next := uint64(0)
			for uint64(len(outs)) < n && r.err == nil {
				id := next + uint64(r.int())
				if len(r.b) == 0 {
					r.fail()
					break
				}
				st := r.b[0]
				r.b = r.b[1:]
				k := r.uint()
				if k == 0 || k > n-uint64(len(outs)) || k > maxRun || k > 1 && (st == StatusFailed || st == StatusAbandoned) {
					r.fail()
					break
				}
				o := Outcome{ID: id, Status: st}
				switch st {
				case StatusOK:
					o.Attempt = r.int32()
					if e := r.uint(); e <= math.MaxInt32 {
						o.NEmit = int32(e)
					} else {
						r.fail()
					}
				case StatusFailed, StatusAbandoned:
					o.Attempt = r.int32()
					o.Err = WireErr{Msg: r.str(), Panic: r.bool(), Stack: r.str()}
				case StatusDropped, StatusRevoked:
				default:
					r.fail()
				}
				for x := range k {
					o.ID = id + x
					if st == StatusOK && m.HasState {
						o.Delta = r.bytes()
					}
					outs = append(outs, o)
				}
				next = id + k
			}
			m.Outcomes = outs
		}
		m.Partial = r.uint()
		m.NEmit = int(r.uint())
		m.To = r.int32sInto(to)
		if n := r.count(); n > 0 {
			if cap(lat) < n {
				lat = make([]int64, 0, n)
			}
			for range n {
				lat = append(lat, r.int())
			}
			m.Lat = lat
		}
		if m.NEmit < 0 || m.NEmit > MaxFrameBytes || m.To != nil && len(m.To) != m.NEmit {
			r.fail()
		}
		total := 0
		for i := range m.Outcomes {
			total += int(m.Outcomes[i].NEmit)
		}
		if total > m.NEmit || m.Partial == 0 && total != m.NEmit {
			r.fail()
		}
	case KindReset:
	default:
		r.fail()
	}
	return r.err
}

// FrameWriter writes frames to w: a header and, optionally, a payload: raw (codec.go) or
// from the stream's one gob encoder.
type FrameWriter struct {
	w    io.Writer
	out  []byte       // the frame being built
	gbuf bytes.Buffer // what the gob encoder writes
	enc  Encoder
	hdr  hdrBuf
	last int // payload bytes of the last frame

	rawT reflect.Type // the last payload's type, and its raw codec (nil: gob)
	rawC *rawCodec
}

// NewFrameWriter returns a writer of frames to w.
func NewFrameWriter(w io.Writer) *FrameWriter {
	return &FrameWriter{w: w}
}

// Restart makes f write a new stream to w, as a new FrameWriter would, with the buffers it
// has (a worker writes each chunk's results as a stream of their own).
func (f *FrameWriter) Restart(w io.Writer) {
	f.w, f.enc, f.last = w, nil, 0
	f.gbuf.Reset()
}

// EncodeError is a payload that could not be encoded; the stream was reset and is usable.
type EncodeError struct{ Err error }

func (e EncodeError) Error() string { return e.Err.Error() }
func (e EncodeError) Unwrap() error { return e.Err }

// Send writes one frame: the header m, then payload (if not nil), in one write. If the
// payload cannot be encoded, nothing of the frame is written, the stream is reset, and an
// EncodeError is returned; other errors are the writer's.
func (f *FrameWriter) Send(m Marshaler, payload any) error {
	f.hdr = f.hdr[:0]
	m.marshal(&f.hdr)
	b := append(f.out[:0], 0, 0, 0, 0)
	b = binary.AppendUvarint(b, uint64(len(f.hdr)))
	b = append(b, f.hdr...)
	start := len(b)
	if payload != nil {
		if c := f.codec(payload); c != nil {
			b = appendRaw(b, c, payload)
		} else {
			if f.enc == nil {
				f.enc = newGobEncoder(&f.gbuf)
			}
			f.gbuf.Reset()
			if err := f.encode(payload); err != nil {
				f.out = b[:0]
				if rerr := f.reset(); rerr != nil {
					return rerr
				}
				return EncodeError{err}
			}
			b = append(b, payloadGob)
			b = append(b, f.gbuf.Bytes()...)
			if f.gbuf.Cap() > 4<<20 {
				// Not kept for the life of the process. The encoder writes to f.gbuf by
				// address, so it carries on into the new, empty one.
				f.gbuf = bytes.Buffer{}
			}
		}
	}
	f.last = len(b) - start
	if len(b)-4 > MaxFrameBytes {
		f.out = b[:0]
		if rerr := f.reset(); rerr != nil {
			return rerr
		}
		return EncodeError{fmt.Errorf("a frame of %d bytes is too large", len(b)-4)}
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)-4))
	_, err := f.w.Write(b)
	f.out = b[:0]
	if cap(b) > 4<<20 {
		f.out = nil // not kept for the life of the process
	}
	return err
}

// codec returns the raw codec of the payload's type, nil if it goes through gob.
func (f *FrameWriter) codec(payload any) *rawCodec {
	t := reflect.TypeOf(payload)
	if t != f.rawT {
		f.rawT, f.rawC = t, rawSliceCodec(t)
	}
	return f.rawC
}

// LastPayload is the size in bytes of the last frame's payload.
func (f *FrameWriter) LastPayload() int { return f.last }

// reset sends a reset frame and starts a fresh gob encoder.
func (f *FrameWriter) reset() error {
	f.gbuf = bytes.Buffer{}
	f.enc = newGobEncoder(&f.gbuf)
	_, err := f.w.Write([]byte{2, 0, 0, 0, 1, KindReset})
	return err
}

// encode encodes v, turning a panic of gob (a nil pointer) into an error.
func (f *FrameWriter) encode(v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return f.enc.Encode(v)
}

// FrameReader reads frames: Next returns a frame's header, Decode its payload, raw or with the
// stream's one gob decoder, which reads exactly the payload (gob reads whole messages from an
// io.ByteReader and nothing more).
type FrameReader struct {
	r       io.Reader // nil: the frames are read in place from src
	src     []byte
	buf     []byte
	pr      payloadReader
	dec     Decoder
	size    [4]byte
	pending []byte // a frame's header read ahead (Prefetch)
}

// NewFrameReader returns a reader of the frames of r, buffered by size bytes.
func NewFrameReader(r io.Reader, size int) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, size)}
}

// ResetBytes makes f read the frames in b in place, as a stream of their own (a fresh gob
// decoder): b must not change until they are read. A message's frames are read this way.
func (f *FrameReader) ResetBytes(b []byte) { *f = FrameReader{src: b} }

// Prefetch reads the next frame now; Next returns it.
func (f *FrameReader) Prefetch() error {
	hdr, err := f.Next()
	f.pending = hdr
	return err
}

// Pending returns the header of the frame read ahead by Prefetch and not returned by Next yet
// (nil if none).
func (f *FrameReader) Pending() []byte { return f.pending }

// Next reads the next frame and returns its header bytes; its payload is ready to decode. A
// reset frame is handled here.
func (f *FrameReader) Next() ([]byte, error) {
	if hdr := f.pending; hdr != nil {
		f.pending = nil
		return hdr, nil
	}
	for {
		body, err := f.body()
		if err != nil {
			return nil, err
		}
		h, k := binary.Uvarint(body)
		if k <= 0 || h == 0 || h > uint64(len(body)-k) {
			return nil, ErrMalformed
		}
		hdr := body[k : k+int(h)]
		f.pr.b = body[k+int(h):]
		if hdr[0] == KindReset {
			f.dec = nil // a fresh gob stream
			continue
		}
		return hdr, nil
	}
}

// body reads the next frame's size and returns its bytes: in place, or through f.buf.
func (f *FrameReader) body() ([]byte, error) {
	if f.r == nil {
		if len(f.src) == 0 {
			return nil, io.EOF
		}
		if len(f.src) < len(f.size) {
			return nil, io.ErrUnexpectedEOF
		}
		copy(f.size[:], f.src)
	} else if _, err := io.ReadFull(f.r, f.size[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(f.size[:])
	if n > MaxFrameBytes || n == 0 {
		return nil, ErrMalformed
	}
	if f.r == nil {
		rest := f.src[len(f.size):]
		if uint64(n) > uint64(len(rest)) {
			return nil, io.ErrUnexpectedEOF
		}
		f.src = rest[n:]
		return rest[:n:n], nil
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
	return body, nil
}

// Decode decodes the current frame's payload into v, a pointer to a slice that gets fresh
// values. A raw payload reuses the slice's backing array when it is large enough; a gob one
// wants a nil slice.
func (f *FrameReader) Decode(v any) error {
	if len(f.pr.b) == 0 {
		return io.ErrUnexpectedEOF
	}
	switch f.pr.b[0] {
	case payloadRaw:
		b := f.pr.b
		f.pr.b = nil
		return decodeRaw(b, v)
	case payloadGob:
		f.pr.b = f.pr.b[1:]
	default:
		return ErrMalformed
	}
	if f.dec == nil {
		f.dec = newGobDecoder(&f.pr)
	}
	if err := f.dec.Decode(v); err != nil {
		return err
	}
	if len(f.pr.b) != 0 {
		return ErrMalformed
	}
	return nil
}

// Payload returns the size of the current frame's payload not decoded yet.
func (f *FrameReader) Payload() int { return len(f.pr.b) }

// Buffered reports whether bytes of a next frame have been read already.
func (f *FrameReader) Buffered() bool {
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
