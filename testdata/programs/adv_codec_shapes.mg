// Adversarial: values of many shapes cross to workers and back (plain structs, nested and
// empty slices, arrays, extreme numbers, unicode, NaN-free floats) and some that need gob
// (a map, a pointer, time.Time, a type with its own GobEncode, an unexported field). What a
// worker receives and what it emits must be what gob would deliver: equal values, empty slices
// arriving as nil.
//
// want:
// pool plain mismatches=0 of 3000
// pool rich mismatches=0 of 3000
// batch mismatches=0 of 3000
//
// timeout: 30s
// gob: yes
package main

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

go {
	type Inner struct {
		N []int
		S string
	}

	type Plain struct {
		A  int8
		B  []string
		C  [3]float32
		D  [][]int
		E  string
		F  bool
		G  uint64
		H  []Inner
		I  int
		U8 []uint8
	}

	type Stamp struct{ V int }

	func (s Stamp) GobEncode() ([]byte, error) { return []byte{byte(s.V)}, nil }
	func (s *Stamp) GobDecode(b []byte) error  { s.V = int(b[0]) + 1000; return nil }

	type Rich struct {
		M  map[string]int
		P  *int
		T  time.Time
		St Stamp
		Xs []Plain
	}

	func plainOf(i int) Plain {
		p := Plain{
			A: int8(i % 256),
			E: strings.Repeat("é", i%5),
			F: i%2 == 0,
			G: math.MaxUint64 - uint64(i),
			I: -i * 1000003,
			C: [3]float32{float32(i) / 3, -0, float32(math.Inf(1))},
		}
		for j := 0; j < i%4; j++ {
			p.B = append(p.B, fmt.Sprint(j))
			p.D = append(p.D, make([]int, j))
			p.H = append(p.H, Inner{N: make([]int, j%2), S: strings.Repeat("ü", j)})
			p.U8 = append(p.U8, byte(j))
		}
		if i%3 == 0 {
			p.B = []string{}
		}
		return p
	}

	// gobbed is what gob makes of a Plain: empty slices become nil.
	func gobbed(p Plain) Plain {
		if len(p.B) == 0 {
			p.B = nil
		}
		for k := range p.D {
			if len(p.D[k]) == 0 {
				p.D[k] = nil
			}
		}
		if len(p.D) == 0 {
			p.D = nil
		}
		for k := range p.H {
			if len(p.H[k].N) == 0 {
				p.H[k].N = nil
			}
		}
		if len(p.H) == 0 {
			p.H = nil
		}
		if len(p.U8) == 0 {
			p.U8 = nil
		}
		return p
	}

	func indexOf(v Plain) int { return -v.I / 1000003 }

	func richOf(i int) Rich {
		v := i
		return Rich{M: map[string]int{"k": i}, P: &v, T: time.Unix(int64(i), 0).UTC(), St: Stamp{V: i%100 + 1},
			Xs: []Plain{plainOf(i), plainOf(i + 1)}}
	}
}

pipeline CodecPool {
	state {
		bad, n, richBad, richN int
	}

	producer gen() int {
		for i := 0; i < 3000; i++ {
			emit(i)
		}
	}

	processor mk(i int) Plain to(echo) { emit(plainOf(i)) }

	processor echo(v Plain) Plain processes(2) { emit(v) }

	consumer check(v Plain) {
		p.n++
		if !reflect.DeepEqual(v, gobbed(plainOf(indexOf(v)))) {
			p.bad++
		}
	}

	after_run {
		fmt.Printf("pool plain mismatches=%d of %d\n", p.bad, p.n)
	}
}

pipeline CodecRich {
	state {
		bad, n int
	}

	producer gen() int {
		for i := 0; i < 3000; i++ {
			emit(i)
		}
	}

	processor mk(i int) Rich { emit(richOf(i)) }

	processor echo(v Rich) Rich processes(2) {
		if v.St.V < 1000 {
			return fmt.Errorf("GobDecode did not run in the worker")
		}
		v.St.V -= 1000
		emit(v)
	}

	consumer check(v Rich) {
		p.n++
		i := v.M["k"]
		want := richOf(i)
		if i == 0 {
			want.P = nil // gob sends a pointer to a zero value as nothing: it arrives nil
		}
		want.St.V += 1000
		for k := range want.Xs {
			want.Xs[k] = gobbed(want.Xs[k])
		}
		if !reflect.DeepEqual(v, want) {
			p.bad++
		}
	}

	after_run {
		fmt.Printf("pool rich mismatches=%d of %d\n", p.bad, p.n)
	}
}

pipeline CodecBatch {
	state {
		bad, n int
	}

	producer gen() int {
		for i := 0; i < 3000; i++ {
			emit(i)
		}
	}

	processor mk(i int) Plain { emit(plainOf(i)) }

	batch 7

	processor echo(b []Plain) []Plain process_per_batch(max: 2) { emit(b) }

	consumer check(b []Plain) {
		for _, v := range b {
			p.n++
			if !reflect.DeepEqual(v, gobbed(plainOf(indexOf(v)))) {
				p.bad++
			}
		}
	}

	after_run {
		fmt.Printf("batch mismatches=%d of %d\n", p.bad, p.n)
	}
}
