package remote

import (
	"maps"
	"slices"
	"testing"
)

type celsius float64

type level string

// fields is a pipeline value with one field per merge rule, named types included.
type fields struct {
	count  int
	temp   celsius
	events []string
	seen   map[int]bool
	hi     int64
	lo     level
	joined string
}

func (f *fields) merges() []MergeField {
	return []MergeField{
		MergeSum("count", &f.count),
		MergeSum("temp", &f.temp),
		MergeAppend("events", &f.events),
		MergeUnion("seen", &f.seen),
		MergeMax("hi", &f.hi),
		MergeMin("lo", &f.lo),
		MergeFunc("joined", &f.joined, func(into, from string) string { return into + from }),
	}
}

// TestStateDeltas runs the worker side and the parent side of every merge rule: an item that
// changes nothing costs no delta, a failed attempt's changes are undone, and the parent ends
// with each rule's merge of what the successful items did.
func TestStateDeltas(t *testing.T) {
	parent := &fields{seen: map[int]bool{1: true}, hi: -5, lo: "m", joined: "<"}
	worker := &fields{}
	ps, ws := NewState(parent.merges()...), NewState(worker.merges()...)
	start, err := ps.Start()
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Init(start); err != nil {
		t.Fatal(err)
	}
	if worker.hi != -5 || worker.lo != "m" || !worker.seen[1] || worker.count != 0 || worker.joined != "" {
		t.Fatalf("worker starts with %+v", worker)
	}
	take := func() []byte {
		t.Helper()
		d, err := ws.Take()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if err := ps.Fold(take()); err != nil { // after the after_fork hooks: the start values
		t.Fatal(err)
	}
	if d := take(); d != nil {
		t.Errorf("an item that changed nothing: delta %v", d)
	}

	// A successful item.
	worker.count += 2
	worker.temp += 1.5
	worker.events = append(worker.events, "a")
	worker.seen[2] = true
	worker.hi = -3
	worker.lo = ""
	worker.joined = "x"
	if err := ps.Fold(take()); err != nil {
		t.Fatal(err)
	}
	// A failed attempt: undone, never folded.
	worker.count += 100
	worker.events = append(worker.events, "lost")
	worker.seen[99] = true
	worker.hi = 1000
	worker.lo = "a"
	worker.joined = "lost"
	ws.Undo()
	if worker.count != 0 || len(worker.events) != 0 || worker.seen[99] || !worker.seen[2] || worker.hi != -3 || worker.lo != "" || worker.joined != "" {
		t.Fatalf("after undo %+v", worker)
	}
	// Another successful item, which only counts.
	worker.count++
	d := take()
	if len(d) == 0 || len(d) > 10 {
		t.Errorf("a count of 1 takes %d bytes", len(d))
	}
	if err := ps.Fold(d); err != nil {
		t.Fatal(err)
	}
	// A second worker's item.
	other := &fields{}
	o2 := NewState(other.merges()...)
	if err := o2.Init(start); err != nil {
		t.Fatal(err)
	}
	other.seen[3] = true
	other.seen[1] = false // a union sets the value the worker holds
	other.hi = -4
	other.joined = "y"
	other.events = append(other.events, "b", "c")
	d2, err := o2.Take()
	if err != nil {
		t.Fatal(err)
	}
	if err := ps.Fold(d2); err != nil {
		t.Fatal(err)
	}
	ps.Apply()

	want := &fields{count: 3, temp: 1.5, events: []string{"a", "b", "c"}, seen: map[int]bool{1: false, 2: true, 3: true}, hi: -3, lo: "", joined: "<xy"}
	if parent.count != want.count || parent.temp != want.temp || !slices.Equal(parent.events, want.events) ||
		!maps.Equal(parent.seen, want.seen) || parent.hi != want.hi || parent.lo != want.lo || parent.joined != want.joined {
		t.Errorf("parent %+v, want %+v", parent, want)
	}
}

// TestStateDeltaErrors: a delta cut short is an error, not a silent zero.
func TestStateDeltaErrors(t *testing.T) {
	w := &fields{}
	ws := NewState(w.merges()...)
	if err := ws.Init(nil); err != nil {
		t.Fatal(err)
	}
	w.count = 7
	w.events = []string{"e"}
	d, err := ws.Take()
	if err != nil {
		t.Fatal(err)
	}
	p := &fields{}
	ps := NewState(p.merges()...)
	for n := 1; n < len(d); n++ {
		if err := ps.Fold(d[:n]); err == nil {
			t.Errorf("a delta of %d of its %d bytes folded", n, len(d))
		}
	}
}

// A union whose values hold an interface compares them with DeepEqual: == would panic on a
// slice inside.
func TestStateUnionInterfaceValues(t *testing.T) {
	type tagged struct{ V any }
	var m map[string]tagged
	ws := NewState(MergeUnion("m", &m))
	if err := ws.Init(nil); err != nil {
		t.Fatal(err)
	}
	m["a"] = tagged{V: []int{1}}
	if _, err := ws.Take(); err != nil {
		t.Fatal(err)
	}
	m["b"] = tagged{V: []int{2}}
	d, err := ws.Take() // compares a's value with itself
	if err != nil || len(d) == 0 {
		t.Fatalf("delta %v, %v", d, err)
	}
}
