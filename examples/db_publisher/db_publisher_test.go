package db_publisher

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	mgrt "github.com/minigun-go/minigun/runtime"
)

func TestPublisher(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := seedDemo(db, 1000); err != nil {
		t.Fatal(err)
	}
	// every 10th event up to 300 was published by an earlier run
	if _, err := db.Exec(`UPDATE outbox SET published_at = 1 WHERE id % 10 = 0 AND id <= 300`); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for i := 1; i <= 1000; i++ {
		if i%10 == 0 && i <= 300 {
			continue
		}
		topic := []string{"orders", "payments", "shipping"}[i%3]
		want[topic] = append(want[topic], fmt.Sprintf("k%d", i))
	}
	const n = 970

	broker := &MemoryBroker{FailEvery: 7}
	p := NewPublisher()
	p.DB = path
	p.Page = 64
	p.broker = broker
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// the broker got each unpublished event once
	for topic, keys := range broker.Topics {
		sort.Slice(keys, func(i, j int) bool {
			return len(keys[i]) < len(keys[j]) || len(keys[i]) == len(keys[j]) && keys[i] < keys[j]
		})
		if !slices.Equal(keys, want[topic]) {
			t.Errorf("topic %s: published %d keys, want %d", topic, len(keys), len(want[topic]))
		}
	}
	if len(broker.Topics) != 3 {
		t.Errorf("topics %v", broker.Topics)
	}
	if p.published != n || p.batches < (n+99)/100 {
		t.Errorf("marked %d in %d batches, want %d in at least %d", p.published, p.batches, n, (n+99)/100)
	}

	// in the database: everything published; the old marks untouched
	var left, old, total int
	if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(`SELECT count(*) FROM outbox WHERE published_at = 1`).Scan(&old)
	db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&total)
	if left != 0 || old != 30 || total != 1000 {
		t.Errorf("rows: %d unpublished, %d marked by the earlier run, %d in all; want 0, 30, 1000", left, old, total)
	}

	// every refusal of the busy broker was retried, and none failed for good
	refused := broker.calls - n
	pub, _ := res.Stage("publish")
	if refused != broker.calls/7 || pub.In != n || pub.Out != n || pub.Retried != int64(refused) || pub.Failed != 0 {
		t.Errorf("publish in %d out %d retried %d failed %d; broker calls %d", pub.In, pub.Out, pub.Retried, pub.Failed, broker.calls)
	}
	if read, _ := res.Stage("read"); read.Out != n {
		t.Errorf("read %d rows, want %d", read.Out, n)
	}
	if res.Status != mgrt.StatusSucceeded || len(res.Failures) != 0 {
		t.Errorf("status %s, failures %v", res.Status, res.Failures)
	}

	// a second run has nothing to publish
	calls := broker.calls
	p2 := NewPublisher()
	p2.DB = path
	p2.broker = broker
	if _, err := p2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p2.published != 0 || broker.calls != calls {
		t.Errorf("second run published %d (%d broker calls)", p2.published, broker.calls-calls)
	}
	db.Close()
}

// Without a database the run makes a temporary one with a demo outbox.
func TestPublisherDemo(t *testing.T) {
	p := NewPublisher()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mb := p.broker.(*MemoryBroker)
	if p.published != 1000 || len(mb.Topics["orders"]) != 333 || len(mb.Topics["payments"]) != 334 || len(mb.Topics["shipping"]) != 333 {
		t.Errorf("published %d: %d orders, %d payments, %d shipping", p.published, len(mb.Topics["orders"]), len(mb.Topics["payments"]), len(mb.Topics["shipping"]))
	}
	if len(res.Failures) != 0 || p.tmp != "" {
		t.Errorf("failures %v, temporary directory %q left", res.Failures, p.tmp)
	}
}
