package engine

import (
	"testing"
	"time"
)

func TestUnits(t *testing.T) {
	for got, want := range map[string]string{
		count(999_999):                       "999999",
		count(1_234_567):                     "1.23M",
		count(76_600_000_000):                "76.6G",
		rate(76.6e6):                         "76.6M/s",
		rate(1500):                           "1.50k/s",
		rate(950):                            "950/s",
		rate(2.5):                            "2.5/s",
		rate(0):                              "-",
		duration(1200 * time.Microsecond):    "1.20ms",
		duration(850):                        "850ns",
		duration(12345 * time.Microsecond):   "12.3ms",
		duration(123 * time.Second):          "123s",
		percent(0.925, time.Second):          "93%",
		share(time.Second, 2*time.Second, 2): "25%",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestPanicPos(t *testing.T) {
	stack := []byte(`goroutine 7 [running]:
runtime/debug.Stack()
	/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
github.com/minigun-go/minigun/runtime/internal/engine.NewPanicError({0x5c5e80, 0x6b2f10})
	github.com/minigun-go/minigun/runtime/internal/engine/result.go:103 +0x25
panic({0x5c5e80?, 0x6b2f10?})
	/usr/local/go/src/runtime/panic.go:792 +0x132
main.helper(...)
	orders.mg:40
main.(*Orders).mgStageCheck(0xc000012345, {0x6b6f50, 0xc0000a2000}, 0x3)
	/home/u/src/orders.mg:27 +0x1c5
`)
	if got := PanicPos(stack); got != (Pos{File: "orders.mg", Line: 40}) || got.String() != "orders.mg:40" {
		t.Errorf("PanicPos = %v", got)
	}
	if got := PanicPos([]byte("goroutine 1 [running]:\nmain.f()\n\t/x/main.go:3 +0x1\n")); got.IsValid() {
		t.Errorf("PanicPos of a stack without .mg frames = %v", got)
	}
	e := &PanicError{Value: "kaboom", At: Pos{File: "orders.mg", Line: 40}}
	if e.Error() != "panic: kaboom (panicked at orders.mg:40)" {
		t.Errorf("Error() = %q", e.Error())
	}
}
