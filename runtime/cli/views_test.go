package cli

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWantsViews(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"-count", "10"}, false},
		{[]string{"-count", "10", "-progress"}, true},
		{[]string{"--hud"}, true},
		{[]string{"-metrics-addr=:9090"}, true},
		{[]string{"-metrics-addr", ":9090"}, true},
		{[]string{"-h"}, true},
		{[]string{"-stats", "--", "-hud"}, false},
		{[]string{"-hudson", "x"}, false},
	} {
		if got := wantsViews(c.args); got != c.want {
			t.Errorf("wantsViews(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}

func TestViewsImage(t *testing.T) {
	lean, full := []byte("lean image bytes"), []byte("the full image")
	var b bytes.Buffer
	b.Write(lean)
	b.Write(full)
	var tr [16]byte
	binary.LittleEndian.PutUint64(tr[:8], uint64(len(full)))
	copy(tr[8:], ViewsMagic)
	b.Write(tr[:])
	for _, c := range []struct {
		name string
		data []byte
		want []byte
	}{
		{"with", b.Bytes(), full},
		{"without", lean, nil},
	} {
		p := filepath.Join(t.TempDir(), "bin")
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := viewsImage(f)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		if img != nil {
			got, _ = io.ReadAll(img)
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s: image %q, want %q", c.name, got, c.want)
		}
		f.Close()
	}
}
