package remote

import (
	"fmt"
	"io"
	"reflect"
)

// Values the raw codec cannot carry (maps, pointers, interfaces, types that encode
// themselves) go through encoding/gob, reached through Gob: a program links encoding/gob only
// when the code minigungen generated for it imports runtime/gobcodec, which sets it. The
// generator does so when a type that crosses a process boundary in the program is not made of
// plain values. Linking it costs every worker process the package's initialisation (about 0.1
// ms of CPU, a sixth of starting a process_per_batch worker).

// Gob makes the encoders and decoders of encoding/gob streams.
type Gob struct {
	NewEncoder func(io.Writer) Encoder
	NewDecoder func(io.Reader) Decoder
}

// Encoder encodes values into a gob stream.
type Encoder interface{ Encode(v any) error }

// Decoder decodes values from a gob stream.
type Decoder interface{ Decode(v any) error }

var gobCodec *Gob

// SetGob sets the gob implementation (runtime/gobcodec calls it in its init).
func SetGob(g Gob) { gobCodec = &g }

func newGobEncoder(w io.Writer) Encoder {
	if gobCodec == nil {
		return noGob{}
	}
	return gobCodec.NewEncoder(w)
}

func newGobDecoder(r io.Reader) Decoder {
	if gobCodec == nil {
		return noGob{}
	}
	return gobCodec.NewDecoder(r)
}

// noGob is the encoder and decoder of a program that does not link encoding/gob.
type noGob struct{}

func (noGob) Encode(v any) error { return errNoGob(reflect.TypeOf(v)) }
func (noGob) Decode(v any) error {
	t := reflect.TypeOf(v)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return errNoGob(t)
}

func errNoGob(t reflect.Type) error {
	return fmt.Errorf("values of type %v cross a process boundary through encoding/gob, which this program does not link (its generated code is older than its runtime: run minigungen generate again)", t)
}

// NeedsGob returns the error a stage whose values have type t gets in a program without
// encoding/gob, nil if they do not need it. t is a value's type or a slice of them.
func NeedsGob(t reflect.Type) error {
	if gobCodec != nil || rawCodecFor(t) != nil {
		return nil
	}
	return errNoGob(t)
}

// The interfaces through which gob encodes a type with its own methods (customEncoding).
type (
	gobEncoder interface{ GobEncode() ([]byte, error) }
	gobDecoder interface{ GobDecode([]byte) error }
)
