package dsl

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestZZScratch(t *testing.T) {
	if p := os.Getenv("MGFILE"); p != "" {
		src, _ := os.ReadFile(p)
		f, d := Parse(filepath.Base(p), src)
		if f != nil {
			f.Src = nil
			b, _ := json.MarshalIndent(f, "", " ")
			if os.Getenv("MGJSON") != "" {
				fmt.Println(string(b))
			}
			fmt.Print(dump(f))
		}
		fmt.Println("diags:", d, "nil file:", f == nil)
		return
	}
	files, _ := filepath.Glob("/work/shared/spec/*.mg")
	more, _ := filepath.Glob("/work/shared/spec/*/*.mg")
	for _, p := range append(files, more...) {
		src, _ := os.ReadFile(p)
		f, d := Parse(filepath.Base(p), src)
		fmt.Println(p, f != nil, d)
	}
}
