package remote

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"sync"
	"unsafe"
)

// A payload is a batch of values: the items of a frame to a worker ([]In), the emits of a
// results frame ([]Out). A batch of plain values (booleans, integers, floating-point numbers,
// strings, and arrays, slices and structs made of them, every struct field exported, none of
// them with gob or encoding methods) is written in a compact encoding of its own, the raw
// codec: no type negotiation (which a fresh gob stream pays in every process), no reflection
// per value, a few bytes per number. Anything else goes through the stream's gob encoder.
// Both decode into fresh values, and agree on what a value becomes on the other side: an
// empty slice arrives as nil, as with gob.
//
// A raw payload is:
//
//	[payloadRaw][4-byte little-endian hash of the type's shape][uvarint count][values]
//
// Integers are varints (zig-zag for signed ones), floating-point numbers their IEEE bits in
// little-endian order, booleans a byte, strings and slices a uvarint length and their
// elements, arrays and structs their elements and fields in order. The hash covers the kinds,
// array lengths and field names, so that a worker built from other sources refuses a batch
// rather than misreads it.

// The first byte of a payload.
const (
	payloadGob = 0
	payloadRaw = 1
)

// rawCodec encodes and decodes one type.
type rawCodec struct {
	t    reflect.Type
	size uintptr
	hash uint32 // of the shape of t (codecs returned by rawCodecFor)
	enc  func(b []byte, p unsafe.Pointer) []byte
	dec  func(d *rawReader, p unsafe.Pointer) // p points to a zero value
	// kind is the value's kind, with int, uint and uintptr as the sized kind of their width:
	// slices of some kinds are read and written in a tight loop rather than through enc, dec
	kind reflect.Kind
	elem *rawCodec // a slice's elements
}

var rawCodecs sync.Map // reflect.Type -> *rawCodec (nil: not raw)

// rawCodecFor returns the codec of t, or nil when its values go through gob.
func rawCodecFor(t reflect.Type) *rawCodec {
	if c, ok := rawCodecs.Load(t); ok {
		return c.(*rawCodec)
	}
	c := buildRaw(t, 0)
	if c != nil {
		h := fnv.New32a()
		shape(h, t)
		c.hash = h.Sum32()
	}
	rawCodecs.Store(t, c)
	return c
}

// rawSliceCodec returns the codec of t if it is a slice type of plain values.
func rawSliceCodec(t reflect.Type) *rawCodec {
	if t.Kind() != reflect.Slice {
		return nil
	}
	return rawCodecFor(t)
}

var (
	gobEncoderType   = reflect.TypeFor[gobEncoder]()
	gobDecoderType   = reflect.TypeFor[gobDecoder]()
	binMarshalType   = reflect.TypeFor[encoding.BinaryMarshaler]()
	binUnmarshalType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	textMarshalType  = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler  = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// customEncoding reports whether gob would encode t through its methods.
func customEncoding(t reflect.Type) bool {
	if t.Name() == "" && t.Kind() != reflect.Struct {
		return false // an unnamed type other than a struct has no methods
	}
	pt := reflect.PointerTo(t)
	if pt.NumMethod() == 0 {
		return false // the pointer's method set includes the value's
	}
	for _, i := range []reflect.Type{gobEncoderType, gobDecoderType, binMarshalType, binUnmarshalType, textMarshalType, textUnmarshaler} {
		if pt.Implements(i) {
			return true
		}
	}
	return false
}

// buildRaw makes the codec of t, or returns nil if t is not made of plain values.
func buildRaw(t reflect.Type, depth int) *rawCodec {
	if depth > 8 || t.Size() == 0 || customEncoding(t) {
		return nil
	}
	c := &rawCodec{t: t, size: t.Size()}
	k := sizedKind(t)
	c.kind = k
	switch k {
	case reflect.Bool:
		c.enc = func(b []byte, p unsafe.Pointer) []byte {
			if *(*bool)(p) {
				return append(b, 1)
			}
			return append(b, 0)
		}
		c.dec = func(d *rawReader, p unsafe.Pointer) { *(*bool)(p) = d.byte() != 0 }
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.enc = func(b []byte, p unsafe.Pointer) []byte { return binary.AppendVarint(b, loadInt(k, p)) }
		c.dec = func(d *rawReader, p unsafe.Pointer) { storeInt(d, k, p, d.varint()) }
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.enc = func(b []byte, p unsafe.Pointer) []byte { return binary.AppendUvarint(b, loadUint(k, p)) }
		c.dec = func(d *rawReader, p unsafe.Pointer) { storeUint(d, k, p, d.uvarint()) }
	case reflect.Float32:
		c.enc = func(b []byte, p unsafe.Pointer) []byte {
			return binary.LittleEndian.AppendUint32(b, math.Float32bits(*(*float32)(p)))
		}
		c.dec = func(d *rawReader, p unsafe.Pointer) { *(*float32)(p) = math.Float32frombits(d.uint32()) }
	case reflect.Float64:
		c.enc = func(b []byte, p unsafe.Pointer) []byte {
			return binary.LittleEndian.AppendUint64(b, math.Float64bits(*(*float64)(p)))
		}
		c.dec = func(d *rawReader, p unsafe.Pointer) { *(*float64)(p) = math.Float64frombits(d.uint64()) }
	case reflect.String:
		c.enc = func(b []byte, p unsafe.Pointer) []byte {
			s := *(*string)(p)
			b = binary.AppendUvarint(b, uint64(len(s)))
			return append(b, s...)
		}
		c.dec = func(d *rawReader, p unsafe.Pointer) { *(*string)(p) = string(d.bytes()) }
	case reflect.Array:
		e := buildRaw(t.Elem(), depth+1)
		if e == nil {
			return nil
		}
		n, es := t.Len(), e.size
		c.enc = func(b []byte, p unsafe.Pointer) []byte {
			for i := range n {
				b = e.enc(b, unsafe.Add(p, uintptr(i)*es))
			}
			return b
		}
		c.dec = func(d *rawReader, p unsafe.Pointer) {
			for i := range n {
				e.dec(d, unsafe.Add(p, uintptr(i)*es))
			}
		}
	case reflect.Slice:
		e := buildRaw(t.Elem(), depth+1)
		if e == nil {
			return nil
		}
		c.enc = func(b []byte, p unsafe.Pointer) []byte { return e.appendSlice(b, p) }
		c.dec = func(d *rawReader, p unsafe.Pointer) { e.readSlice(d, t, p) }
		c.elem = e
	case reflect.Struct:
		type field struct {
			off uintptr
			c   *rawCodec
		}
		var fs []field
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				return nil // gob drops it; let gob say what it does with the type
			}
			fc := buildRaw(f.Type, depth+1)
			if fc == nil {
				return nil
			}
			fs = append(fs, field{f.Offset, fc})
		}
		c.enc = func(b []byte, p unsafe.Pointer) []byte {
			for _, f := range fs {
				b = f.c.enc(b, unsafe.Add(p, f.off))
			}
			return b
		}
		c.dec = func(d *rawReader, p unsafe.Pointer) {
			for _, f := range fs {
				f.c.dec(d, unsafe.Add(p, f.off))
			}
		}
	default:
		return nil
	}
	return c
}

// sizedKind is t's kind, int, uint and uintptr replaced by the kind of their size.
func sizedKind(t reflect.Type) reflect.Kind {
	k := t.Kind()
	switch k {
	case reflect.Int:
		if t.Size() == 4 {
			return reflect.Int32
		}
		return reflect.Int64
	case reflect.Uint, reflect.Uintptr:
		if t.Size() == 4 {
			return reflect.Uint32
		}
		return reflect.Uint64
	}
	return k
}

// shape writes what the encoding of t depends on.
func shape(h interface{ Write([]byte) (int, error) }, t reflect.Type) {
	var b []byte
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		b = append(b, byte(sizedKind(t)))
		switch t.Kind() {
		case reflect.Array:
			b = binary.AppendUvarint(b, uint64(t.Len()))
			walk(t.Elem())
		case reflect.Slice:
			walk(t.Elem())
		case reflect.Struct:
			b = binary.AppendUvarint(b, uint64(t.NumField()))
			for i := range t.NumField() {
				f := t.Field(i)
				b = append(binary.AppendUvarint(b, uint64(len(f.Name))), f.Name...)
				walk(f.Type)
			}
		}
	}
	walk(t)
	h.Write(b)
}

// sliceHeader is the layout of a slice.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// appendSlice appends the slice at p, whose elements c encodes.
func (c *rawCodec) appendSlice(b []byte, p unsafe.Pointer) []byte {
	s := (*sliceHeader)(p)
	b = binary.AppendUvarint(b, uint64(s.len))
	return c.appendElems(b, s.data, s.len)
}

// appendElems appends n elements from data.
func (c *rawCodec) appendElems(b []byte, data unsafe.Pointer, n int) []byte {
	switch c.kind {
	case reflect.Int64:
		for _, v := range unsafe.Slice((*int64)(data), n) {
			b = binary.AppendVarint(b, v)
		}
		return b
	case reflect.Int32:
		for _, v := range unsafe.Slice((*int32)(data), n) {
			b = binary.AppendVarint(b, int64(v))
		}
		return b
	case reflect.Uint64:
		for _, v := range unsafe.Slice((*uint64)(data), n) {
			b = binary.AppendUvarint(b, v)
		}
		return b
	case reflect.Uint8:
		return append(b, unsafe.Slice((*byte)(data), n)...)
	}
	for i := range n {
		b = c.enc(b, unsafe.Add(data, uintptr(i)*c.size))
	}
	return b
}

// readSlice decodes a slice of type t into p; an empty one stays nil.
func (c *rawCodec) readSlice(d *rawReader, t reflect.Type, p unsafe.Pointer) {
	n := d.count(1)
	if n == 0 {
		return
	}
	data := reflect.MakeSlice(t, n, n).UnsafePointer()
	c.readElems(d, data, n)
	*(*sliceHeader)(p) = sliceHeader{data, n, n}
}

// readElems decodes n elements into data, which holds zero values.
func (c *rawCodec) readElems(d *rawReader, data unsafe.Pointer, n int) {
	switch c.kind {
	case reflect.Int64:
		vs := unsafe.Slice((*uint64)(data), n)
		d.uvarints(vs)
		for i, u := range vs {
			vs[i] = u>>1 ^ -(u & 1)
		}
		return
	case reflect.Uint64:
		d.uvarints(unsafe.Slice((*uint64)(data), n))
		return
	case reflect.Uint8:
		copy(unsafe.Slice((*byte)(data), n), d.take(n))
		return
	}
	for i := range n {
		c.dec(d, unsafe.Add(data, uintptr(i)*c.size))
	}
}

func loadInt(k reflect.Kind, p unsafe.Pointer) int64 {
	switch k {
	case reflect.Int8:
		return int64(*(*int8)(p))
	case reflect.Int16:
		return int64(*(*int16)(p))
	case reflect.Int32:
		return int64(*(*int32)(p))
	}
	return *(*int64)(p)
}

func storeInt(d *rawReader, k reflect.Kind, p unsafe.Pointer, v int64) {
	switch k {
	case reflect.Int8:
		if v != int64(int8(v)) {
			d.fail()
		}
		*(*int8)(p) = int8(v)
	case reflect.Int16:
		if v != int64(int16(v)) {
			d.fail()
		}
		*(*int16)(p) = int16(v)
	case reflect.Int32:
		if v != int64(int32(v)) {
			d.fail()
		}
		*(*int32)(p) = int32(v)
	default:
		*(*int64)(p) = v
	}
}

func loadUint(k reflect.Kind, p unsafe.Pointer) uint64 {
	switch k {
	case reflect.Uint8:
		return uint64(*(*uint8)(p))
	case reflect.Uint16:
		return uint64(*(*uint16)(p))
	case reflect.Uint32:
		return uint64(*(*uint32)(p))
	}
	return *(*uint64)(p)
}

func storeUint(d *rawReader, k reflect.Kind, p unsafe.Pointer, v uint64) {
	switch k {
	case reflect.Uint8:
		if v != uint64(uint8(v)) {
			d.fail()
		}
		*(*uint8)(p) = uint8(v)
	case reflect.Uint16:
		if v != uint64(uint16(v)) {
			d.fail()
		}
		*(*uint16)(p) = uint16(v)
	case reflect.Uint32:
		if v != uint64(uint32(v)) {
			d.fail()
		}
		*(*uint32)(p) = uint32(v)
	default:
		*(*uint64)(p) = v
	}
}

// rawReader reads a raw payload; the first error sticks and every later read returns zero.
type rawReader struct {
	b   []byte
	bad bool
}

func (d *rawReader) fail() { d.bad, d.b = true, nil }

func (d *rawReader) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *rawReader) uvarint() uint64 {
	if len(d.b) > 0 && d.b[0] < 0x80 {
		v := uint64(d.b[0])
		d.b = d.b[1:]
		return v
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// uvarints reads len(vs) uvarints.
func (d *rawReader) uvarints(vs []uint64) {
	b := d.b
	for i := range vs {
		if len(b) > 0 && b[0] < 0x80 {
			vs[i] = uint64(b[0])
			b = b[1:]
			continue
		}
		v, n := binary.Uvarint(b)
		if n <= 0 {
			d.fail()
			return
		}
		vs[i] = v
		b = b[n:]
	}
	d.b = b
}

func (d *rawReader) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *rawReader) uint32() uint32 {
	if len(d.b) < 4 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *rawReader) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// count reads a length of elements that take at least min bytes each, so that a bad payload
// cannot make the reader allocate more than it holds.
func (d *rawReader) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/min) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *rawReader) take(n int) []byte {
	if n > len(d.b) {
		d.fail()
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

func (d *rawReader) bytes() []byte { return d.take(d.count(1)) }

// appendRaw appends the raw payload of v, a slice whose type's codec is c.
func appendRaw(b []byte, c *rawCodec, v any) []byte {
	rv := reflect.ValueOf(v)
	n := rv.Len()
	b = append(b, payloadRaw)
	b = binary.LittleEndian.AppendUint32(b, c.hash)
	b = binary.AppendUvarint(b, uint64(n))
	if n == 0 {
		return b
	}
	return c.elem.appendElems(b, rv.UnsafePointer(), n)
}

// decodeRaw decodes the raw payload b into v, a pointer to a slice. The slice gets fresh
// values: in the backing array it has if that is large enough (cleared first), else in a new
// one.
func decodeRaw(b []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Type().Elem().Kind() != reflect.Slice {
		return fmt.Errorf("cannot decode a batch into %T", v)
	}
	t := rv.Type().Elem()
	c := rawSliceCodec(t)
	if c == nil {
		return fmt.Errorf("a batch of plain values cannot be decoded into %v", t)
	}
	if len(b) < 5 || binary.LittleEndian.Uint32(b[1:]) != c.hash {
		return fmt.Errorf("the batch was encoded from another type than %v", t)
	}
	d := rawReader{b: b[5:]}
	n := d.count(1)
	sp := (*sliceHeader)(rv.UnsafePointer())
	switch {
	case d.bad:
	case n == 0:
		sp.len = 0
	case sp.cap >= n:
		rv.Elem().Slice(0, n).Clear()
		sp.len = n
		c.elem.readElems(&d, sp.data, n)
	default:
		data := reflect.MakeSlice(t, n, n).UnsafePointer()
		c.elem.readElems(&d, data, n)
		*sp = sliceHeader{data, n, n}
	}
	if d.bad || len(d.b) != 0 {
		return ErrMalformed
	}
	return nil
}

// A value encoded by Encode (the parameters of a pipeline for its workers) is plain values in
// the raw codec when it can be, after a zero byte (which never starts a gob stream) and the
// hash of its type's shape; else gob.

// encodeRawValue encodes v in the raw codec, or returns false.
func encodeRawValue(v any) ([]byte, bool) {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil, false
	}
	c := rawCodecFor(t)
	if c == nil {
		return nil, false
	}
	pv := reflect.New(t)
	pv.Elem().Set(reflect.ValueOf(v))
	b := binary.LittleEndian.AppendUint32([]byte{0}, c.hash)
	return c.enc(b, pv.UnsafePointer()), true
}

// decodeRawValue decodes what encodeRawValue made into v, a pointer, which gets a fresh value.
func decodeRawValue(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("cannot decode into %T", v)
	}
	t := rv.Type().Elem()
	c := rawCodecFor(t)
	if c == nil || len(data) < 5 || binary.LittleEndian.Uint32(data[1:]) != c.hash {
		return fmt.Errorf("the data was encoded from another type than %v", t)
	}
	rv.Elem().SetZero()
	d := rawReader{b: data[5:]}
	c.dec(&d, rv.UnsafePointer())
	if d.bad || len(d.b) != 0 {
		return ErrMalformed
	}
	return nil
}
