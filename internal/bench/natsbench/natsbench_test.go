package natsbench

import (
	"context"
	"testing"
)

// W5 computes what W4 computes.
func TestW5AgreesWithW4(t *testing.T) {
	const n = 5000
	ctx := context.Background()
	a, b := NewW4(), NewW5()
	a.N, b.N = n, n
	if _, err := a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if want := n * (n - 1); a.sum != want || b.sum != want {
		t.Errorf("W4 %d, W5 %d, want %d", a.sum, b.sum, want)
	}
}
