package remote

import (
	"reflect"
	"time"
)

// The types TestPlainValuesAgree judges both ways: through go/types, as the generator does
// (ir.PlainValues, on this file's source), and through reflect, as the runtime does. A name
// says what the generator must find: p plain, g through gob.

type (
	pInt    int
	pString string
	pFloats [3]float64
	pRecord struct {
		A int
		B []string
		C [2]uint8
		D bool
	}
	pNested struct {
		R []pRecord
		S struct{ X int16 }
	}
	pDur      time.Duration
	pUintptr  uintptr
	pEmbed    struct{ Pair }
	pDeep     [][][][][]int
	gEmbedLow struct{ pair }
	gMap      map[string]int
	gPtr      *int
	gIface    any
	gTime     time.Time
	gHasTime  struct{ At time.Time }
	gEmbTime  struct{ time.Time }
	gHidden   struct {
		A int
		b int
	}
	gEmpty   struct{}
	gZeroArr [0]int
	gZeroFld struct {
		A int
		Z struct{}
	}
	gComplex  complex128
	gText     int
	gTooDeep  [][][][][][][][][]int
	gSliceMap []map[int]int
)

type (
	Pair struct{ A, B int }
	pair struct{ A, B int }
)

func (gText) MarshalText() ([]byte, error) { return nil, nil }

var plainTypes = map[string]reflect.Type{
	"pInt": reflect.TypeFor[pInt](), "pString": reflect.TypeFor[pString](), "pFloats": reflect.TypeFor[pFloats](),
	"pRecord": reflect.TypeFor[pRecord](), "pNested": reflect.TypeFor[pNested](), "pDur": reflect.TypeFor[pDur](),
	"pUintptr": reflect.TypeFor[pUintptr](), "pEmbed": reflect.TypeFor[pEmbed](), "pDeep": reflect.TypeFor[pDeep](),
	"gEmbedLow": reflect.TypeFor[gEmbedLow](), "gMap": reflect.TypeFor[gMap](), "gPtr": reflect.TypeFor[gPtr](),
	"gIface": reflect.TypeFor[gIface](), "gTime": reflect.TypeFor[gTime](), "gHasTime": reflect.TypeFor[gHasTime](),
	"gEmbTime": reflect.TypeFor[gEmbTime](), "gHidden": reflect.TypeFor[gHidden](), "gEmpty": reflect.TypeFor[gEmpty](),
	"gZeroArr": reflect.TypeFor[gZeroArr](), "gZeroFld": reflect.TypeFor[gZeroFld](), "gComplex": reflect.TypeFor[gComplex](),
	"gText": reflect.TypeFor[gText](), "gTooDeep": reflect.TypeFor[gTooDeep](), "gSliceMap": reflect.TypeFor[gSliceMap](),
	"Pair": reflect.TypeFor[Pair](), "pair": reflect.TypeFor[pair](),
}
