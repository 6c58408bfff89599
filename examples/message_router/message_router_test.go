package message_router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func envelope(id int, typ string, body any) Envelope {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return Envelope{ID: id, Type: typ, Body: b}
}

func TestRouter(t *testing.T) {
	var msgs []Envelope
	wantOrders := map[string]int{}
	wantPaid := map[string]int{}
	var wantUsers []string
	for i := 0; i < 300; i++ {
		order := fmt.Sprintf("o-%d", i%40)
		switch i % 3 {
		case 0:
			msgs = append(msgs, envelope(i, "order.placed", OrderPlaced{Order: order, Cents: 100 + i}))
			wantOrders[order] += 100 + i
		case 1:
			msgs = append(msgs, envelope(i, "payment.received", PaymentReceived{Order: order, Cents: 50 + i}))
			wantPaid[order] += 50 + i
		case 2:
			email := fmt.Sprintf("user%d@example.com", i)
			msgs = append(msgs, envelope(i, "user.signed_up", UserSignedUp{Email: email}))
			wantUsers = append(wantUsers, email)
		}
	}
	// three envelopes of types nobody handles, two bodies that do not decode
	msgs = append(msgs,
		Envelope{ID: 900, Type: "order.cancelled", Body: []byte(`{}`)},
		Envelope{ID: 901, Type: "", Body: []byte(`null`)},
		Envelope{ID: 902, Type: "ORDER.PLACED", Body: []byte(`{"order":"x","cents":1}`)},
		Envelope{ID: 903, Type: "order.placed", Body: []byte(`{"order":["o-1"]}`)},
		Envelope{ID: 904, Type: "user.signed_up", Body: []byte(`{"email": 42}`)},
	)

	path := filepath.Join(t.TempDir(), "bus.jsonl")
	var file []byte
	for _, m := range msgs {
		line, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		file = append(append(file, line...), '\n')
	}
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}

	p := NewRouter()
	p.File = path
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	in := p.inbox
	if fmt.Sprint(in.Orders) != fmt.Sprint(wantOrders) {
		t.Errorf("orders = %v\nwant %v", in.Orders, wantOrders)
	}
	if fmt.Sprint(in.Payments) != fmt.Sprint(wantPaid) {
		t.Errorf("payments = %v\nwant %v", in.Payments, wantPaid)
	}
	// users is inline and fed by the inline router in bus order
	if !slices.Equal(in.Users, wantUsers) {
		t.Errorf("users = %v\nwant %v", in.Users, wantUsers)
	}
	if !slices.Equal(in.Unroutable, []int{900, 901, 902}) {
		t.Errorf("unroutable = %v, want [900 901 902]", in.Unroutable)
	}
	if !slices.Equal(in.Unknown, []string{"order.cancelled", "", "ORDER.PLACED"}) {
		t.Errorf("unknown types = %q", in.Unknown)
	}

	if len(res.Failures) != 2 {
		t.Fatalf("failures = %v, want the two bodies that do not decode", res.Failures)
	}
	failed := map[string]int{}
	for _, f := range res.Failures {
		env, ok := f.Item.(Envelope)
		if !ok {
			t.Fatalf("failure item is %T", f.Item)
		}
		var typ *json.UnmarshalTypeError
		if !errors.As(f.Err, &typ) {
			t.Errorf("failure of %d: %v is not a JSON error", env.ID, f.Err)
		}
		if f.Attempts != 1 || f.Pos.File != "message_router.mg" {
			t.Errorf("failure %+v", f)
		}
		failed[f.Stage] = env.ID
	}
	if failed["orders"] != 903 || failed["users"] != 904 {
		t.Errorf("failures by stage = %v, want orders:903 users:904", failed)
	}

	// route passes on the 300 good envelopes and the two whose bodies are bad
	route, _ := res.Stage("route")
	if route.In != int64(len(msgs)) || route.Out != 302 || route.DeadLettered != 3 || route.Failed != 0 {
		t.Errorf("route stats %+v", route)
	}
	for name, want := range map[string]int64{"orders": 101, "payments": 100, "users": 101, "unroutable": 3} {
		st, _ := res.Stage(name)
		if st.In != want {
			t.Errorf("%s took %d, want %d", name, st.In, want)
		}
	}
	if st, _ := res.Stage("orders"); st.Failed != 1 {
		t.Errorf("orders failed %d, want 1", st.Failed)
	}
	if res.Status != mgrt.StatusCompletedWithFailures {
		t.Errorf("status %s", res.Status)
	}
}

// Without a file the run routes the sample bus; a file with a line that is
// not an envelope fails the run, naming the line.
func TestRouterSampleAndBadFile(t *testing.T) {
	p := NewRouter()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	in := p.inbox
	if in.Orders["o-1"] != 2500 || in.Payments["o-1"] != 2500 || !slices.Equal(in.Users, []string{"ada@example.com"}) ||
		!slices.Equal(in.Unroutable, []int{4}) || len(res.Failures) != 1 {
		t.Errorf("sample: inbox %+v, failures %v", in, res.Failures)
	}

	path := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(path, []byte(`{"id":1,"type":"user.signed_up","body":{"email":"a@b"}}`+"\n"+`not json`+"\n"), 0o644)
	p = NewRouter()
	p.File = path
	res, err = p.Run(context.Background())
	if err == nil || res.Status != mgrt.StatusFailed || !strings.Contains(err.Error(), "bad.jsonl:2:") {
		t.Fatalf("bad file: status %s, err %v", res.Status, err)
	}
	if !slices.Equal(p.inbox.Users, []string{"a@b"}) {
		t.Errorf("bad file: the line before the bad one was not routed: %v", p.inbox.Users)
	}
}
