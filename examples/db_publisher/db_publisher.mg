// A database publisher (the transactional outbox): events written to an
// outbox table are read in pages, published to a broker on several
// goroutines, and marked published in batches. db_publisher_test.go runs it
// as a package on a real SQLite database (modernc.org/sqlite, pure Go).
package db_publisher

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite"
)

go {
	// Event is one row of the outbox.
	type Event struct {
		ID      int64
		Topic   string
		Key     string
		Payload string
	}

	// Broker is where events are published (a message bus in production).
	type Broker interface {
		Publish(ctx context.Context, topic, key string, payload []byte) error
	}

	// MemoryBroker is a Broker that keeps what it is sent, by topic. Every
	// FailEvery-th publish is refused once, as a busy broker would.
	type MemoryBroker struct {
		FailEvery int

		mu     sync.Mutex
		calls  int
		Topics map[string][]string // topic -> keys, in the order published
	}

	// ErrBrokerBusy is MemoryBroker's transient refusal.
	var ErrBrokerBusy = errors.New("broker busy")

	func (b *MemoryBroker) Publish(ctx context.Context, topic, key string, payload []byte) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.calls++
		if b.FailEvery > 0 && b.calls%b.FailEvery == 0 {
			return ErrBrokerBusy
		}
		if b.Topics == nil {
			b.Topics = map[string][]string{}
		}
		b.Topics[topic] = append(b.Topics[topic], key)
		return nil
	}

	// Schema is the outbox table.
	const Schema = `CREATE TABLE IF NOT EXISTS outbox (
		id           INTEGER PRIMARY KEY,
		topic        TEXT NOT NULL,
		key          TEXT NOT NULL,
		payload      TEXT NOT NULL,
		published_at INTEGER
	)`

	// Open opens (and creates) the SQLite database at path, in WAL mode so
	// that the publisher's reads and its updates do not block each other.
	func Open(path string) (*sql.DB, error) {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)")
		if err != nil {
			return nil, err
		}
		if _, err := db.Exec(Schema); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}

	// seedDemo writes n events into a fresh outbox.
	func seedDemo(db *sql.DB, n int) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for i := 1; i <= n; i++ {
			topic := []string{"orders", "payments", "shipping"}[i%3]
			if _, err := tx.Exec(`INSERT INTO outbox (id, topic, key, payload) VALUES (?, ?, ?, ?)`,
				i, topic, fmt.Sprintf("k%d", i), fmt.Sprintf(`{"n":%d}`, i)); err != nil {
				return err
			}
		}
		return tx.Commit()
	}
}

// Publisher publishes every unpublished outbox row once.
pipeline Publisher {
	// SQLite database file (empty: a temporary one with a demo outbox)
	param DB string
	// rows read per page
	param Page int = 200
	// goroutines that publish
	param Workers int = 4

	state {
		mu        sync.Mutex
		db        *sql.DB
		tmp       string
		broker    Broker
		published int
		batches   int
	}

	before_run {
		path := p.DB
		if path == "" {
			dir, err := os.MkdirTemp("", "outbox")
			if err != nil {
				return err
			}
			p.tmp = dir
			path = filepath.Join(dir, "outbox.db")
		}
		db, err := Open(path)
		if err != nil {
			return err
		}
		p.db = db
		if p.tmp != "" {
			if err := seedDemo(db, 1000); err != nil {
				return err
			}
		}
		if p.broker == nil {
			p.broker = &MemoryBroker{FailEvery: 97}
		}
		p.published, p.batches = 0, 0
	}

	// keyset pagination: each page is a short read of its own
	producer read() Event {
		var last int64
		for {
			rows, err := p.db.QueryContext(ctx,
				`SELECT id, topic, key, payload FROM outbox WHERE published_at IS NULL AND id > ? ORDER BY id LIMIT ?`, last, p.Page)
			if err != nil {
				return err
			}
			var page []Event
			for rows.Next() {
				var e Event
				if err := rows.Scan(&e.ID, &e.Topic, &e.Key, &e.Payload); err != nil {
					rows.Close()
					return err
				}
				page = append(page, e)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(page) == 0 {
				return nil
			}
			for _, e := range page {
				emit(e)
			}
			last = page[len(page)-1].ID
		}
	}

	processor publish(e Event) int64 threads(Workers) retry(3, backoff: 1ms) {
		if err := p.broker.Publish(ctx, e.Topic, e.Key, []byte(e.Payload)); err != nil {
			return fmt.Errorf("publish %d: %w", e.ID, err)
		}
		emit(e.ID)
	}

	batch 100 every 200ms

	// one UPDATE per batch, in a transaction
	consumer mark(ids []int64) {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
		args := []any{time.Now().UnixMilli()}
		for _, id := range ids {
			args = append(args, id)
		}
		tx, err := p.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET published_at = ? WHERE id IN (`+ph+`)`, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != int64(len(ids)) {
			return fmt.Errorf("marked %d rows of %d", n, len(ids))
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.published += len(ids)
		p.batches++
	}

	after_run {
		if p.db != nil {
			p.db.Close()
			p.db = nil
		}
		if p.tmp != "" {
			os.RemoveAll(p.tmp)
			p.tmp = ""
		}
		fmt.Printf("published %d events in %d batches\n", p.published, p.batches)
		if mb, ok := p.broker.(*MemoryBroker); ok {
			topics := make([]string, 0, len(mb.Topics))
			for t := range mb.Topics {
				topics = append(topics, t)
			}
			sort.Strings(topics)
			for _, t := range topics {
				fmt.Printf("  %s: %d\n", t, len(mb.Topics[t]))
			}
		}
	}
}
