package cli

import (
	"bytes"
	"flag"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSetParam(t *testing.T) {
	var tags []string
	var ns []int
	var waits []time.Duration
	var limits map[string]int
	var d time.Duration
	for _, tc := range []struct {
		dst  any
		text string
	}{{&tags, "a,b,c"}, {&ns, "1,2,3"}, {&waits, "10ms,1s"}, {&limits, "a=1,b=2"}, {&d, "250ms"}} {
		if err := SetParam(tc.dst, tc.text); err != nil {
			t.Fatalf("%T %q: %v", tc.dst, tc.text, err)
		}
	}
	if !slices.Equal(tags, []string{"a", "b", "c"}) || !slices.Equal(ns, []int{1, 2, 3}) ||
		!slices.Equal(waits, []time.Duration{10 * time.Millisecond, time.Second}) ||
		!maps.Equal(limits, map[string]int{"a": 1, "b": 2}) || d != 250*time.Millisecond {
		t.Errorf("%v %v %v %v %v", tags, ns, waits, limits, d)
	}
	if err := SetParam(&tags, ""); err != nil || len(tags) != 0 {
		t.Errorf("empty list: %v %v", tags, err)
	}
	for _, bad := range []struct {
		dst  any
		text string
	}{{&ns, "1,x"}, {&limits, "a"}, {&limits, "a=x"}, {&d, "soon"}} {
		if err := SetParam(bad.dst, bad.text); err == nil {
			t.Errorf("%T %q: no error", bad.dst, bad.text)
		}
	}
}

// Parameter flags print as the flag package prints its own, with their Go types.
func TestPrintDefaults(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	for _, p := range []Param{
		{Name: "count", Usage: "items to make", Default: 100},
		{Name: "zero", Usage: "no default shown", Default: 0},
		{Name: "name", Usage: "a name", Default: "x"},
		{Name: "wait", Usage: "how long", Default: 10 * time.Millisecond},
		{Name: "tags", Usage: "tags", Default: []string{"a", "b"}},
		{Name: "limits", Usage: "limits", Default: map[string]int{"b": 2, "a": 1}},
		{Name: "verbose", Usage: "more", Default: false},
		{Name: "ratio", Usage: "a share", Default: 0.5},
	} {
		fs.Var(newParamValue(p), p.Name, p.Usage)
	}
	fs.Bool("stats", false, "a table")
	fs.Duration("shutdown-timeout", 10*time.Second, "how long")
	printDefaults(fs)
	want := `  -count int
    	items to make (default 100)
  -limits string=int,...
    	limits (default a=1,b=2)
  -name string
    	a name (default "x")
  -ratio float
    	a share (default 0.5)
  -shutdown-timeout duration
    	how long (default 10s)
  -stats
    	a table
  -tags string,...
    	tags (default a,b)
  -verbose
    	more
  -wait duration
    	how long (default 10ms)
  -zero int
    	no default shown
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	if err := fs.Parse(strings.Fields("-verbose -count 3 -tags x,y")); err != nil {
		t.Fatal(err)
	}
	if v := fs.Lookup("tags").Value.(*paramValue); !v.set || v.text != "x,y" {
		t.Errorf("tags %+v", v)
	}
	if v := fs.Lookup("verbose").Value.(*paramValue); !v.set || v.text != "true" {
		t.Errorf("verbose %+v", v)
	}
}
