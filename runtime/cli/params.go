package cli

import (
	"encoding"
	"flag"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// paramValue is the flag.Value of a parameter: it checks the text against the parameter's
// type when the flag is parsed, and keeps the text for Program.Start.
type paramValue struct {
	typ  reflect.Type
	def  string // the default as -h prints it; "" for the type's zero value
	text string
	set  bool
}

func newParamValue(p Param) *paramValue {
	v := &paramValue{typ: reflect.TypeOf(p.Default)}
	if v.typ == nil {
		v.typ = reflect.TypeFor[string]()
		return v
	}
	if rv := reflect.ValueOf(p.Default); !rv.IsZero() {
		v.def = formatValue(rv)
	}
	return v
}

func (v *paramValue) String() string {
	if v == nil {
		return ""
	}
	if v.set {
		return v.text
	}
	return v.def
}

func (v *paramValue) Set(s string) error {
	if err := SetParam(reflect.New(v.typ).Interface(), s); err != nil {
		return err
	}
	v.text, v.set = s, true
	return nil
}

// IsBoolFlag makes a boolean parameter's flag take no value (-verbose).
func (v *paramValue) IsBoolFlag() bool { return v.typ.Kind() == reflect.Bool }

// typeName is the name -h prints after the flag: as the flag package names its own types,
// "string,..." for a slice and "string=int,..." for a map.
func (v *paramValue) typeName() string { return typeName(v.typ) }

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	flagValueType       = reflect.TypeFor[flag.Value]()
)

func typeName(t reflect.Type) string {
	if t == durationType {
		return "duration"
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(textUnmarshalerType) || pt.Implements(flagValueType) {
		return "value"
	}
	switch t.Kind() {
	case reflect.Bool:
		return ""
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "int"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "uint"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Slice:
		return elemName(t.Elem()) + ",..."
	case reflect.Map:
		return elemName(t.Key()) + "=" + elemName(t.Elem()) + ",..."
	}
	return "value"
}

func elemName(t reflect.Type) string {
	if n := typeName(t); n != "" {
		return n
	}
	return "bool"
}

// formatValue spells a parameter's value as its flag takes it: durations as 10ms, lists
// comma-separated, maps as sorted key=value pairs.
func formatValue(v reflect.Value) string {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		if b, err := m.MarshalText(); err == nil {
			return string(b)
		}
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	switch v.Kind() {
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatValue(v.Index(i))
		}
		return strings.Join(parts, ",")
	case reflect.Map:
		var parts []string
		for it := v.MapRange(); it.Next(); {
			parts = append(parts, formatValue(it.Key())+"="+formatValue(it.Value()))
		}
		slices.Sort(parts)
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}

// SetParam parses text into the parameter dst points to: numbers, strings, booleans,
// durations (10ms), slices of these as comma-separated lists (a,b,c; "" is empty), maps of
// these as comma-separated key=value pairs (a=1,b=2), and any type implementing
// encoding.TextUnmarshaler or flag.Value.
func SetParam(dst any, text string) error {
	switch d := dst.(type) {
	case *time.Duration:
		v, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("invalid duration %q", text)
		}
		*d = v
		return nil
	case encoding.TextUnmarshaler:
		return d.UnmarshalText([]byte(text))
	case flag.Value:
		return d.Set(text)
	}
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("cannot set a %T from the command line", dst)
	}
	e := v.Elem()
	switch e.Kind() {
	case reflect.String:
		e.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("invalid boolean %q", text)
		}
		e.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(text, 0, e.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid integer %q", text)
		}
		e.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(text, 0, e.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid unsigned integer %q", text)
		}
		e.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(text, e.Type().Bits())
		if err != nil {
			return fmt.Errorf("invalid number %q", text)
		}
		e.SetFloat(f)
	case reflect.Slice:
		s := reflect.MakeSlice(e.Type(), 0, 0)
		for _, part := range splitList(text) {
			x := reflect.New(e.Type().Elem())
			if err := SetParam(x.Interface(), part); err != nil {
				return fmt.Errorf("list element %q: %w", part, err)
			}
			s = reflect.Append(s, x.Elem())
		}
		e.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(e.Type())
		for _, part := range splitList(text) {
			k, val, ok := strings.Cut(part, "=")
			if !ok {
				return fmt.Errorf("invalid key=value pair %q", part)
			}
			kv, vv := reflect.New(e.Type().Key()), reflect.New(e.Type().Elem())
			if err := SetParam(kv.Interface(), k); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			if err := SetParam(vv.Interface(), val); err != nil {
				return fmt.Errorf("value of %q: %w", k, err)
			}
			m.SetMapIndex(kv.Elem(), vv.Elem())
		}
		e.Set(m)
	default:
		return fmt.Errorf("cannot set a %s from the command line", e.Type())
	}
	return nil
}

// splitList splits a comma-separated list; the empty text is the empty list.
func splitList(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(text, ",")
}

// optionalInt is an integer flag that records whether it was given (-max-failures).
type optionalInt struct {
	n   int
	set bool
}

func (o *optionalInt) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.Itoa(o.n)
}

func (o *optionalInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("invalid integer %q", s)
	}
	o.n, o.set = n, true
	return nil
}

func (o *optionalInt) typeName() string { return "int" }

// printDefaults prints the flags as flag.FlagSet.PrintDefaults does, naming the type of a
// parameter flag after its Go type (int, duration, string,...).
func printDefaults(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		var b strings.Builder
		fmt.Fprintf(&b, "  -%s", f.Name)
		name, usage := flag.UnquoteUsage(f)
		if t, ok := f.Value.(interface{ typeName() string }); ok {
			name = t.typeName()
		}
		if name != "" {
			b.WriteString(" " + name)
		}
		if b.Len() <= 4 {
			b.WriteString("\t")
		} else {
			b.WriteString("\n    \t")
		}
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		if def := f.DefValue; def != "" && !isZeroDefault(f) {
			if isStringFlag(f) {
				fmt.Fprintf(&b, " (default %q)", def)
			} else {
				fmt.Fprintf(&b, " (default %v)", def)
			}
		}
		fmt.Fprint(fs.Output(), b.String(), "\n")
	})
}

// isZeroDefault reports whether a flag's default is its type's zero value, which -h leaves
// out as the flag package does.
func isZeroDefault(f *flag.Flag) bool {
	switch f.Value.(type) {
	case *paramValue, *optionalInt:
		return false // their DefValue is "" for the zero value
	}
	t := reflect.TypeOf(f.Value)
	var z reflect.Value
	if t.Kind() == reflect.Pointer {
		z = reflect.New(t.Elem())
	} else {
		z = reflect.Zero(t)
	}
	zv, ok := z.Interface().(flag.Value)
	return ok && f.DefValue == zv.String()
}

// isStringFlag reports whether -h quotes the flag's default: string flags and string
// parameters.
func isStringFlag(f *flag.Flag) bool {
	if p, ok := f.Value.(*paramValue); ok {
		return p.typ.Kind() == reflect.String && typeName(p.typ) == "string"
	}
	return reflect.TypeOf(f.Value).String() == "*flag.stringValue"
}
