package remote

import (
	"bytes"
	"encoding/gob"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

type plainStruct struct {
	A int
	B string
	C []int16
	D [2]float32
	E bool
	F [][]string
}

type named int

type withGob struct{ X int }

func (w withGob) GobEncode() ([]byte, error) { return []byte{byte(w.X + 1)}, nil }
func (w *withGob) GobDecode(b []byte) error {
	w.X = int(b[0]) + 100
	return nil
}

type mixed struct {
	A int
	b int
}

// frame sends payload in one frame and decodes it back into a fresh value of its type; it
// returns the decoded slice and the payload's first byte (its codec).
func frame(t *testing.T, payload any) (any, byte) {
	t.Helper()
	var buf bytes.Buffer
	w := NewFrameWriter(&buf)
	if err := w.Send(&ToWorker{Kind: KindItems, IDs: []uint64{1}}, payload); err != nil {
		t.Fatalf("send %T: %v", payload, err)
	}
	r := NewFrameReader(&buf, 64)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	codec := r.pr.b[0]
	out := reflect.New(reflect.TypeOf(payload))
	if err := r.Decode(out.Interface()); err != nil {
		t.Fatalf("decode %T: %v", payload, err)
	}
	return out.Elem().Interface(), codec
}

// viaGob is what gob makes of v.
func viaGob(t *testing.T, v any) any {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	out := reflect.New(reflect.TypeOf(v))
	if err := gob.NewDecoder(&buf).Decode(out.Interface()); err != nil {
		t.Fatal(err)
	}
	return out.Elem().Interface()
}

// Batches of plain values take the raw codec and arrive as gob would deliver them.
func TestRawCodecAgreesWithGob(t *testing.T) {
	for _, v := range []any{
		[]int{0, 1, -1, math.MaxInt64, math.MinInt64, 300, -300},
		[]int8{math.MinInt8, -1, 0, math.MaxInt8},
		[]int16{math.MinInt16, 7, math.MaxInt16},
		[]int32{math.MinInt32, 0, math.MaxInt32},
		[]int64{math.MinInt64, 1 << 40},
		[]uint{0, math.MaxUint},
		[]uint8{0, 255, 7},
		[]uint16{math.MaxUint16},
		[]uint32{math.MaxUint32, 1},
		[]uint64{math.MaxUint64},
		[]uintptr{12345},
		[]float32{0, -1.5, float32(math.Inf(1)), math.SmallestNonzeroFloat32},
		[]float64{0, math.Copysign(0, -1), math.Pi, math.Inf(-1), math.MaxFloat64},
		[]bool{true, false, true},
		[]string{"", "a", "héllo", strings.Repeat("x", 1000)},
		[]named{1, 2, 3},
		[][]int{{}, nil, {1, 2}, {-3}},
		[][]byte{nil, {}, {0, 1, 2}},
		[][3]uint16{{1, 2, 3}},
		[]plainStruct{{}, {A: -5, B: "b", C: []int16{1, -1}, D: [2]float32{1, 2}, E: true, F: [][]string{{"x"}, nil, {}}}},
		[][]plainStruct{{{A: 1}}, nil},
	} {
		got, codec := frame(t, v)
		if codec != payloadRaw {
			t.Errorf("%T: codec %d, want raw", v, codec)
		}
		if want := viaGob(t, v); !reflect.DeepEqual(got, want) {
			t.Errorf("%T: got %#v, gob gives %#v", v, got, want)
		}
	}
}

// Other values still go through gob, and keep what gob does with them.
func TestRawCodecLeavesTheRestToGob(t *testing.T) {
	x := 3
	for _, v := range []any{
		[]time.Time{time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)},
		[]withGob{{X: 1}},
		[]*int{&x},
		[]map[string]int{{"a": 1}},
		[]mixed{{A: 1, b: 2}},
		[]complex128{1 + 2i},
		[]any{nil},
		[]struct{}{{}},
		[][0]int{{}},
	} {
		got, codec := frame(t, v)
		if codec != payloadGob {
			t.Errorf("%T: codec %d, want gob", v, codec)
		}
		if want := viaGob(t, v); !reflect.DeepEqual(got, want) {
			t.Errorf("%T: got %#v, gob gives %#v", v, got, want)
		}
	}
}

// A batch decodes into fresh values, also into a slice that still holds a previous batch.
func TestRawDecodeReuse(t *testing.T) {
	var buf bytes.Buffer
	w := NewFrameWriter(&buf)
	in := []plainStruct{{A: 1}, {B: "b"}}
	if err := w.Send(&ToWorker{Kind: KindItems}, in); err != nil {
		t.Fatal(err)
	}
	r := NewFrameReader(&buf, 64)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	old := make([]plainStruct, 3, 8)
	old[0] = plainStruct{A: 9, B: "old", C: []int16{9}, F: [][]string{{"old"}}}
	old[1] = plainStruct{A: 9, B: "old", E: true}
	back := &old[0]
	if err := r.Decode(&old); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(old, in) || &old[0] != back {
		t.Errorf("got %#v (same array %v), want %#v", old, &old[0] == back, in)
	}
}

// A damaged raw payload is an error, never a panic nor a huge allocation.
func TestRawDecodeMalformed(t *testing.T) {
	v := []plainStruct{{A: 1, B: "bb", C: []int16{1, 2}, F: [][]string{{"x", "y"}}}, {A: -1}}
	var buf bytes.Buffer
	if err := NewFrameWriter(&buf).Send(&ToWorker{Kind: KindItems}, v); err != nil {
		t.Fatal(err)
	}
	r := NewFrameReader(&buf, 64)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	good := slices.Clone(r.pr.b)
	for i := range len(good) {
		var out []plainStruct
		if err := decodeRaw(good[:i], &out); err == nil {
			t.Errorf("a payload cut at %d decoded: %#v", i, out)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		b := slices.Clone(good)
		for range 1 + rng.IntN(3) {
			b[5+rng.IntN(len(b)-5)] = byte(rng.Uint32())
		}
		var out []plainStruct
		_ = decodeRaw(b, &out) // must not panic
	}
	// A huge count in few bytes.
	huge := append(slices.Clone(good[:5]), 0xff, 0xff, 0xff, 0xff, 0x0f)
	var out []plainStruct
	if err := decodeRaw(huge, &out); err == nil {
		t.Error("a huge count decoded")
	}
	// Another type's batch.
	var ints []int
	if err := decodeRaw(good, &ints); err == nil || !strings.Contains(err.Error(), "another type") {
		t.Errorf("decoding into the wrong type: %v", err)
	}
	var small []int8
	var bb bytes.Buffer
	_ = NewFrameWriter(&bb).Send(&ToWorker{Kind: KindItems}, []int8{1})
	r = NewFrameReader(&bb, 64)
	_, _ = r.Next()
	p := slices.Clone(r.pr.b)
	p[len(p)-1] = 0xfe // 127 as a zig-zag varint does not fit... 0xfe alone is a cut varint
	if err := decodeRaw(p, &small); err == nil {
		t.Error("a cut varint decoded")
	}
}

// Item ids travel as runs; frames round-trip whatever their ids.
func TestIDRuns(t *testing.T) {
	for _, ids := range [][]uint64{
		nil,
		{5},
		{1, 2, 3, 4},
		{1 << 16, 1<<16 + 1, 2 << 16, 2<<16 + 1, 2<<16 + 2},
		{9, 3, 4, 1, 100, 101},
		{math.MaxUint64 - 1, math.MaxUint64, 0, 1},
	} {
		m := &ToWorker{Kind: KindItems, IDs: ids}
		if len(ids) > 0 {
			m.Attempts = make([]int32, len(ids))
			for i := range m.Attempts {
				m.Attempts[i] = int32(i + 1)
			}
		}
		var h hdrBuf
		m.marshal(&h)
		got := &ToWorker{IDs: make([]uint64, 0, 1)}
		if err := got.Unmarshal(h); err != nil {
			t.Fatalf("%v: %v", ids, err)
		}
		if !slices.Equal(got.IDs, ids) || !slices.Equal(got.Attempts, m.Attempts) {
			t.Errorf("ids %v attempts %v, want %v %v", got.IDs, got.Attempts, ids, m.Attempts)
		}
	}
	// A run that claims more ids than the frame has.
	bad := hdrBuf{KindItems}
	bad.uint(2)
	bad.int(1)
	bad.uint(3)
	bad.uint(0)
	if err := new(ToWorker).Unmarshal(bad); err == nil {
		t.Error("a run longer than the count parsed")
	}
	bad = hdrBuf{KindItems}
	bad.uint(maxFrameItems + 1)
	bad.int(1)
	bad.uint(maxFrameItems + 1)
	if err := new(ToWorker).Unmarshal(bad); err == nil {
		t.Error("a frame of too many ids parsed")
	}
}

// Outcomes travel as runs of items that ended alike; frames round-trip, also into a reused
// FromWorker.
func TestOutcomeRuns(t *testing.T) {
	var outs []Outcome
	for i := range uint64(10) {
		outs = append(outs, Outcome{ID: 1<<16 + i, Status: StatusOK, Attempt: 1, NEmit: 2})
	}
	outs = append(outs,
		Outcome{ID: 1<<16 + 10, Status: StatusFailed, Attempt: 2, Err: WireErr{Msg: "boom", Panic: true, Stack: "stack"}},
		Outcome{ID: 1<<16 + 11, Status: StatusFailed, Attempt: 1, Err: WireErr{Msg: "again"}},
		Outcome{ID: 3<<16 + 7, Status: StatusAbandoned, Attempt: 2, Err: WireErr{Msg: "timeout"}},
		Outcome{ID: 1<<16 + 12, Status: StatusOK, Attempt: 3, NEmit: 2},
		Outcome{ID: 1<<16 + 13, Status: StatusOK, Attempt: 1, NEmit: 0},
		Outcome{ID: 1<<16 + 14, Status: StatusDropped},
		Outcome{ID: 1<<16 + 15, Status: StatusDropped},
		Outcome{ID: 5<<16 + 3, Status: StatusRevoked},
		Outcome{ID: 5<<16 + 4, Status: StatusRevoked},
		Outcome{ID: 2<<16 + 1, Status: StatusOK, Attempt: 1, NEmit: 1},
	)
	m := &FromWorker{Kind: KindResults, Outcomes: outs, NEmit: 10*2 + 2 + 1 + 4, Partial: 77, Lat: []int64{5, 6},
		To: make([]int32, 10*2+2+1+4)}
	var h hdrBuf
	m.marshal(&h)
	got := &FromWorker{Outcomes: make([]Outcome, 3, 100), PID: 99, Err: "stale"}
	got.Outcomes[0].Err.Msg = "stale"
	if err := got.Unmarshal(h); err != nil {
		t.Fatal(err)
	}
	want := *m
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("got %+v\nwant %+v", got, &want)
	}
	if len(h) > 120 {
		t.Errorf("header of %d bytes for %d outcomes", len(h), len(outs))
	}

	// With state, each ok outcome carries its delta.
	st := &FromWorker{Kind: KindResults, HasState: true, Outcomes: []Outcome{
		{ID: 1, Status: StatusOK, Attempt: 1, Delta: []byte{1}},
		{ID: 2, Status: StatusOK, Attempt: 1, Delta: []byte{2, 2}},
		{ID: 3, Status: StatusOK, Attempt: 1},
	}}
	h = h[:0]
	st.marshal(&h)
	got = &FromWorker{}
	if err := got.Unmarshal(h); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Errorf("got %+v\nwant %+v", got, st)
	}

	// A run of failures, or one longer than the count, is malformed.
	for _, run := range []struct {
		status byte
		n      uint64
	}{{StatusFailed, 2}, {StatusAbandoned, 2}, {StatusOK, 5}} {
		bad := hdrBuf{KindResults}
		bad.uint(0)
		bad.bool(false)
		bad.uint(2)
		bad.int(1)
		bad = append(bad, run.status)
		bad.uint(run.n)
		bad.int(1)
		bad.uint(0)
		bad.str("x")
		bad.bool(false)
		bad.str("")
		if err := new(FromWorker).Unmarshal(bad); err == nil {
			t.Errorf("a run of %d items of status %d parsed", run.n, run.status)
		}
	}
}

// The hello says which version of the wire format the stage speaks.
func TestHelloVersion(t *testing.T) {
	var h hdrBuf
	(&ToWorker{Kind: KindHello, Params: []byte{1}, HasParams: true, Once: true}).marshal(&h)
	var m ToWorker
	if err := m.Unmarshal(h); err != nil || m.Version != WireVersion || !m.Once || !m.HasParams {
		t.Fatalf("%+v %v", m, err)
	}
	// A hello of version 1 had nothing after the timeout.
	v1 := h[:len(h)-1]
	if err := m.Unmarshal(v1); err != nil || m.Version != 1 {
		t.Fatalf("%+v %v", m, err)
	}
}

// A reader reset onto a message's bytes reads its frames in place, as a reader of a stream
// does, gob payloads and a reset frame included; it can be reset onto the next message, and
// a message cut short is an error, not a frame.
func TestFrameReaderBytes(t *testing.T) {
	var buf bytes.Buffer
	w := NewFrameWriter(&buf)
	send := func(id uint64, payload any) {
		t.Helper()
		if err := w.Send(&ToWorker{Kind: KindItems, IDs: []uint64{id}}, payload); err != nil {
			t.Fatal(err)
		}
	}
	send(1, []int{1, 2, 3})
	send(2, []withGob{{1}})
	if err := w.reset(); err != nil {
		t.Fatal(err)
	}
	send(3, []withGob{{2}})
	msg := buf.Bytes()

	var r FrameReader
	for round := range 2 {
		r.ResetBytes(msg)
		var ints []int
		var gobs []withGob
		for _, want := range []uint64{1, 2, 3} {
			hdr, err := r.Next()
			if err != nil {
				t.Fatalf("round %d, frame %d: %v", round, want, err)
			}
			var m ToWorker
			if err := m.Unmarshal(hdr); err != nil || !slices.Equal(m.IDs, []uint64{want}) {
				t.Fatalf("round %d: frame %+v (%v), want item %d", round, m, err, want)
			}
			if want == 1 {
				err = r.Decode(&ints)
			} else {
				gobs = nil
				err = r.Decode(&gobs)
			}
			if err != nil {
				t.Fatalf("round %d, frame %d: decode: %v", round, want, err)
			}
		}
		if !slices.Equal(ints, []int{1, 2, 3}) || !slices.Equal(gobs, []withGob{{103}}) {
			t.Errorf("round %d: decoded %v and %v", round, ints, gobs)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("round %d: after the last frame: %v, want EOF", round, err)
		}
	}
	for _, cut := range []int{2, 6, len(msg) - 1} {
		r.ResetBytes(msg[:cut])
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if err != io.ErrUnexpectedEOF {
			t.Errorf("a message cut at %d of %d bytes: %v, want %v", cut, len(msg), err, io.ErrUnexpectedEOF)
		}
	}
}

// A writer restarted onto another buffer writes a stream of its own: a fresh reader of it
// decodes its gob payloads (their types are sent again).
func TestFrameWriterRestart(t *testing.T) {
	var w FrameWriter
	for round := range 3 {
		var buf bytes.Buffer
		w.Restart(&buf)
		for i := range 2 {
			if err := w.Send(&ToWorker{Kind: KindItems, IDs: []uint64{uint64(i + 1)}}, []withGob{{round}}); err != nil {
				t.Fatal(err)
			}
		}
		var r FrameReader
		r.ResetBytes(buf.Bytes())
		for i := range 2 {
			if _, err := r.Next(); err != nil {
				t.Fatalf("round %d, frame %d: %v", round, i, err)
			}
			var got []withGob
			if err := r.Decode(&got); err != nil || !slices.Equal(got, []withGob{{round + 101}}) {
				t.Fatalf("round %d, frame %d: %v (%v)", round, i, got, err)
			}
		}
	}
}
