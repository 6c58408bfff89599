package remote

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"

	"github.com/minigun-go/minigun/runtime/internal/engine"
)

// Merge rules of state fields (DESIGN 3.3), written once here and driven by the fields that
// generated code declares:
//
//	func (p *Orders) mgStateSpec() *mgrt.StateSpec {
//		return mgrt.NewState(
//			mgrt.MergeSum("batches", &p.batches),
//			mgrt.MergeUnion("seen", &p.seen),
//		)
//	}
//
// The Go compiler checks each field's shape against its rule (a sum needs a number, a union a
// map...), named types included through their underlying type.
//
// In a worker process, a sum, append or func field starts empty (maps allocated); a max, min
// or union field starts as a copy of the parent's value (a nil map allocated). After the
// after_fork hooks and after each successful item, Take ships what changed since the last Take;
// after a failed attempt, Undo puts every field back as it was at the last Take. In the parent,
// Fold folds each shipped delta into a pending value and Apply merges the pending value into the
// field once, after every stage ended.

// Number is what merge(sum) adds: the integer and floating-point types, and types defined on them.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64
}

// MergeField is one state field with a merge rule; the Merge functions make them.
type MergeField interface {
	fieldName() string
	// worker side
	start(b []byte) ([]byte, error) // parent: append the start value (max, min, union)
	init(data []byte) error         // worker: set the start value (none: zero) or empty the field
	take(b []byte) ([]byte, error)  // worker: append the change since the last take (nothing: none)
	undo()                          // worker: back to the value at the last take
	// parent side
	fold(data []byte) error // fold one change that take wrote into the pending value
	apply()                 // merge the pending value into the field
}

// MergeSum is merge(sum): the values workers add are added to the parent's field.
func MergeSum[T Number](name string, field *T) MergeField {
	return &sumField[T]{name: name, ptr: field, kind: reflect.TypeFor[T]().Kind()}
}

// MergeAppend is merge(append): the elements workers append are appended to the parent's field,
// each worker's in the order it appended them, items in the order their results came back.
func MergeAppend[S ~[]E, E any](name string, field *S) MergeField {
	return &appendField[S, E]{name: name, ptr: field}
}

// MergeUnion is merge(union): the keys workers set (with their values) are set in the parent's
// map. A worker starts with a copy of the parent's map.
func MergeUnion[M ~map[K]V, K comparable, V any](name string, field *M) MergeField {
	// == says equal less often than DeepEqual (pointers, NaN): at worst an entry is sent again.
	same := func(a, b V) bool { return reflect.DeepEqual(a, b) }
	if t := reflect.TypeFor[V](); t.Comparable() && !holdsInterface(t) {
		same = func(a, b V) bool { return any(a) == any(b) }
	}
	return &unionField[M, K, V]{name: name, ptr: field, same: same}
}

// MergeMax is merge(max): the parent's field becomes the largest value any worker held.
func MergeMax[T cmp.Ordered](name string, field *T) MergeField {
	return &extremeField[T]{name: name, ptr: field, better: func(a, b T) bool { return a > b }, enc: scalarOf[T]()}
}

// MergeMin is merge(min): the parent's field becomes the smallest value any worker held.
func MergeMin[T cmp.Ordered](name string, field *T) MergeField {
	return &extremeField[T]{name: name, ptr: field, better: func(a, b T) bool { return a < b }, enc: scalarOf[T]()}
}

// MergeFunc is merge(FUNC): each worker's additions (the field starts empty in a worker) are
// combined with f(into, from). The first delta is taken as it is, so f's identity need not be
// the zero value; the parent's field is then f(field, combined).
func MergeFunc[T any](name string, field *T, f func(into, from T) T) MergeField {
	return &funcField[T]{name: name, ptr: field, f: f}
}

// NewState returns the StateSpec of a pipeline value's merge fields.
func NewState(fields ...MergeField) *engine.StateSpec {
	return &engine.StateSpec{
		Start: func() ([]byte, error) {
			return encodeFields(fields, MergeField.start)
		},
		Init: func(start []byte) error {
			return decodeFields(fields, start, MergeField.init)
		},
		Undo: func() {
			for _, f := range fields {
				f.undo()
			}
		},
		Take: func() ([]byte, error) {
			return takeFields(fields)
		},
		Fold: func(delta []byte) error {
			return foldFields(fields, delta)
		},
		Apply: func() {
			for _, f := range fields {
				f.apply()
			}
		},
	}
}

// Start values and deltas are both one segment per field, in order: its length (uvarint),
// then what the field wrote. An empty segment is no start value, or a field that did not
// change; a delta of fields none of which changed is nil: an item that leaves the state alone
// costs nothing on the wire, and numbers cost a few bytes, not a gob stream.

// encodeFields writes a segment per field with f (start values: MergeField.start).
func encodeFields(fields []MergeField, f func(MergeField, []byte) ([]byte, error)) ([]byte, error) {
	var b, seg []byte
	for _, fl := range fields {
		var err error
		if seg, err = f(fl, seg[:0]); err != nil {
			return nil, fmt.Errorf("state field %q: %w", fl.fieldName(), err)
		}
		b = append(binary.AppendUvarint(b, uint64(len(seg))), seg...)
	}
	return b, nil
}

// decodeFields hands each field its segment of what encodeFields wrote. Empty data is an
// empty segment for every field (a worker started without start values).
func decodeFields(fields []MergeField, data []byte, f func(MergeField, []byte) error) error {
	none := len(data) == 0
	for _, fl := range fields {
		var seg []byte
		if !none {
			n, k := binary.Uvarint(data)
			if k <= 0 || n > uint64(len(data)-k) {
				return fmt.Errorf("state field %q: truncated data", fl.fieldName())
			}
			seg, data = data[k:k+int(n)], data[k+int(n):]
		}
		if err := f(fl, seg); err != nil {
			return fmt.Errorf("state field %q: %w", fl.fieldName(), err)
		}
	}
	return nil
}

// takeFields returns the delta of every field since the last take, nil if none changed.
func takeFields(fields []MergeField) ([]byte, error) {
	changed := false
	b, err := encodeFields(fields, func(fl MergeField, seg []byte) ([]byte, error) {
		seg, err := fl.take(seg)
		changed = changed || len(seg) > 0
		return seg, err
	})
	if err != nil || !changed {
		return nil, err
	}
	return b, nil
}

// foldFields folds what takeFields wrote.
func foldFields(fields []MergeField, delta []byte) error {
	if len(delta) == 0 {
		return nil
	}
	return decodeFields(fields, delta, func(fl MergeField, seg []byte) error {
		if len(seg) == 0 {
			return nil
		}
		return fl.fold(seg)
	})
}

// appendValue appends v as Encode writes it: raw when plain, else a gob stream of its own.
func appendValue(b []byte, v any) ([]byte, error) {
	e, err := Encode(v)
	return append(b, e...), err
}

// readValue decodes what appendValue wrote into a fresh T (empty data: the zero value).
func readValue[T any](data []byte) (T, error) {
	var v T
	err := Decode(data, &v)
	return v, err
}

// appendNumber writes a number as scalar does, without reflection: the per-item path of a
// merge(sum) counter.
func appendNumber[T Number](b []byte, kind reflect.Kind, v T) []byte {
	switch kind {
	case reflect.Float32, reflect.Float64:
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(v)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(b, uint64(v))
	}
	return binary.AppendVarint(b, int64(v))
}

// readNumber reads what appendNumber wrote.
func readNumber[T Number](data []byte, kind reflect.Kind) (T, error) {
	switch kind {
	case reflect.Float32, reflect.Float64:
		if len(data) != 8 {
			return 0, errors.New("a bad number")
		}
		return T(math.Float64frombits(binary.LittleEndian.Uint64(data))), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, k := binary.Uvarint(data)
		if k != len(data) {
			return 0, errors.New("a bad number")
		}
		return T(x), nil
	}
	x, k := binary.Varint(data)
	if k != len(data) {
		return 0, errors.New("a bad number")
	}
	return T(x), nil
}

// scalar encodes the numbers and strings of max and min fields without gob: a varint for
// an integer, the IEEE bits for a float, the bytes of a string.
type scalar[T any] struct{ kind reflect.Kind }

func scalarOf[T any]() scalar[T] { return scalar[T]{reflect.TypeFor[T]().Kind()} }

func (s scalar[T]) append(b []byte, v T) []byte {
	rv := reflect.ValueOf(&v).Elem()
	switch s.kind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return binary.AppendUvarint(b, rv.Uint())
	case reflect.Float32, reflect.Float64:
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(rv.Float()))
	default: // string, after a byte: an empty string is still a change
		return append(append(b, 's'), rv.String()...)
	}
}

func (s scalar[T]) read(data []byte) (T, error) {
	var v T
	rv := reflect.ValueOf(&v).Elem()
	switch s.kind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, k := binary.Varint(data)
		if k != len(data) {
			return v, errors.New("a bad number")
		}
		rv.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, k := binary.Uvarint(data)
		if k != len(data) {
			return v, errors.New("a bad number")
		}
		rv.SetUint(x)
	case reflect.Float32, reflect.Float64:
		if len(data) != 8 {
			return v, errors.New("a bad number")
		}
		rv.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(data)))
	default:
		if len(data) == 0 {
			return v, errors.New("a bad string")
		}
		rv.SetString(string(data[1:]))
	}
	return v, nil
}

// emptyValue is the value a worker-accumulated field starts from: the zero value, with maps
// allocated.
func emptyValue[T any]() T {
	var v T
	if t := reflect.TypeFor[T](); t.Kind() == reflect.Map {
		reflect.ValueOf(&v).Elem().Set(reflect.MakeMap(t))
	}
	return v
}

// noStart is the start value of fields that start empty in a worker.
type noStart struct{}

func (noStart) start(b []byte) ([]byte, error) { return b, nil }

type sumField[T Number] struct {
	noStart
	name    string
	ptr     *T
	pending T
	kind    reflect.Kind // of T: how its values are written (appendNumber)
}

func (f *sumField[T]) fieldName() string { return f.name }
func (f *sumField[T]) init([]byte) error {
	*f.ptr = 0
	return nil
}
func (f *sumField[T]) take(b []byte) ([]byte, error) {
	if *f.ptr == 0 {
		return b, nil
	}
	b = appendNumber(b, f.kind, *f.ptr)
	*f.ptr = 0
	return b, nil
}
func (f *sumField[T]) undo() { *f.ptr = 0 }
func (f *sumField[T]) fold(data []byte) error {
	v, err := readNumber[T](data, f.kind)
	f.pending += v
	return err
}
func (f *sumField[T]) apply() {
	*f.ptr += f.pending
	f.pending = 0
}

type appendField[S ~[]E, E any] struct {
	noStart
	name    string
	ptr     *S
	pending S
}

func (f *appendField[S, E]) fieldName() string { return f.name }
func (f *appendField[S, E]) init([]byte) error {
	*f.ptr = nil
	return nil
}
func (f *appendField[S, E]) take(b []byte) ([]byte, error) {
	if len(*f.ptr) == 0 {
		*f.ptr = nil
		return b, nil
	}
	b, err := appendValue(b, []E(*f.ptr))
	*f.ptr = nil
	return b, err
}
func (f *appendField[S, E]) undo() { *f.ptr = nil }
func (f *appendField[S, E]) fold(data []byte) error {
	v, err := readValue[[]E](data)
	f.pending = append(f.pending, v...)
	return err
}
func (f *appendField[S, E]) apply() {
	if len(f.pending) > 0 {
		*f.ptr = append(*f.ptr, f.pending...)
	}
	f.pending = nil
}

// unionField ships, after each item, the entries that differ from what it shipped last (base),
// so a large set costs its changes on the wire, not its size.
type unionField[M ~map[K]V, K comparable, V any] struct {
	name    string
	ptr     *M
	base    map[K]V // worker: the map as of the last take
	pending map[K]V // parent
	same    func(a, b V) bool
}

func (f *unionField[M, K, V]) fieldName() string { return f.name }
func (f *unionField[M, K, V]) start(b []byte) ([]byte, error) {
	m := map[K]V(*f.ptr)
	if m == nil {
		m = map[K]V{}
	}
	return appendValue(b, m)
}
func (f *unionField[M, K, V]) init(data []byte) error {
	m, err := readValue[map[K]V](data)
	if m == nil {
		m = map[K]V{}
	}
	*f.ptr = M(m)
	f.base = maps.Clone(m)
	return err
}
func (f *unionField[M, K, V]) take(b []byte) ([]byte, error) {
	cur := map[K]V(*f.ptr)
	if cur == nil {
		cur = map[K]V{}
		*f.ptr = M(cur)
	}
	var delta map[K]V
	for k, v := range cur {
		if old, ok := f.base[k]; !ok || !f.same(old, v) {
			if delta == nil {
				delta = map[K]V{}
			}
			delta[k] = v
		}
	}
	if delta == nil {
		return b, nil
	}
	for k, v := range delta {
		f.base[k] = v
	}
	return appendValue(b, delta)
}
func (f *unionField[M, K, V]) undo() { *f.ptr = M(maps.Clone(f.base)) }
func (f *unionField[M, K, V]) fold(data []byte) error {
	v, err := readValue[map[K]V](data)
	if f.pending == nil {
		f.pending = map[K]V{}
	}
	maps.Copy(f.pending, v)
	return err
}
func (f *unionField[M, K, V]) apply() {
	if len(f.pending) == 0 {
		f.pending = nil
		return
	}
	if *f.ptr == nil {
		*f.ptr = M{}
	}
	maps.Copy(*f.ptr, f.pending)
	f.pending = nil
}

// extremeField is merge(max) or merge(min): better(a, b) reports whether a wins over b.
type extremeField[T cmp.Ordered] struct {
	name    string
	ptr     *T
	better  func(a, b T) bool
	base    T // worker: the value as of the last take
	pending T // parent
	has     bool
	sent    bool // worker: a take has sent base
	enc     scalar[T]
}

func (f *extremeField[T]) fieldName() string { return f.name }
func (f *extremeField[T]) start(b []byte) ([]byte, error) {
	return f.enc.append(b, *f.ptr), nil
}
func (f *extremeField[T]) init(data []byte) error {
	if len(data) == 0 {
		var zero T
		*f.ptr, f.base = zero, zero
		return nil
	}
	v, err := f.enc.read(data)
	*f.ptr, f.base = v, v
	return err
}
func (f *extremeField[T]) take(b []byte) ([]byte, error) {
	if *f.ptr == f.base && f.sent {
		return b, nil
	}
	f.base, f.sent = *f.ptr, true
	return f.enc.append(b, *f.ptr), nil
}
func (f *extremeField[T]) undo() { *f.ptr = f.base }
func (f *extremeField[T]) fold(data []byte) error {
	v, err := f.enc.read(data)
	if err == nil && (!f.has || f.better(v, f.pending)) {
		f.pending, f.has = v, true
	}
	return err
}
func (f *extremeField[T]) apply() {
	if f.has && f.better(f.pending, *f.ptr) {
		*f.ptr = f.pending
	}
	var zero T
	f.pending, f.has = zero, false
}

type funcField[T any] struct {
	noStart
	name    string
	ptr     *T
	f       func(into, from T) T
	pending T
	has     bool
}

func (f *funcField[T]) fieldName() string { return f.name }
func (f *funcField[T]) init([]byte) error {
	*f.ptr = emptyValue[T]()
	return nil
}
func (f *funcField[T]) take(b []byte) ([]byte, error) {
	empty := emptyValue[T]()
	if reflect.DeepEqual(*f.ptr, empty) {
		return b, nil // nothing added: no delta to combine
	}
	b, err := appendValue(b, *f.ptr)
	*f.ptr = empty
	return b, err
}
func (f *funcField[T]) undo() { *f.ptr = emptyValue[T]() }
func (f *funcField[T]) fold(data []byte) error {
	v, err := readValue[T](data)
	if err != nil {
		return err
	}
	if !f.has {
		f.pending, f.has = v, true
		return nil
	}
	f.pending = f.f(f.pending, v)
	return nil
}
func (f *funcField[T]) apply() {
	if f.has {
		*f.ptr = f.f(*f.ptr, f.pending)
	}
	var zero T
	f.pending, f.has = zero, false
}

// holdsInterface reports whether t is or holds an interface, whose == panics on a value of an
// uncomparable dynamic type.
func holdsInterface(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Array:
		return holdsInterface(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if holdsInterface(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
