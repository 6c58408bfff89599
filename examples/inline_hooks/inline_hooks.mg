// Minigun's 21_inline_hook_procs: hooks written next to the stages they watch,
// fork hooks included, with the workers' events reaching the parent.
// inline_hooks_test.go runs it.
package inlinehooks

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"os"
	"sort"
	"time"
)

go {
	// Doc is a rendered document, compressed, then signed.
	type Doc struct {
		ID   int
		Body []byte // gzip-compressed once past compress
		MAC  []byte // HMAC-SHA256 of Body, set by sign
	}

	// Event is something a hook or a body did, in some process, at some time.
	type Event struct {
		At   int64 // Unix nanoseconds
		PID  int
		What string
	}

	func event(what string) Event { return Event{At: time.Now().UnixNano(), PID: os.Getpid(), What: what} }

	// signingKey is the key of a sign worker, loaded in after_fork(sign).
	var signingKey []byte

	// loadKey stands for reading a key from a secrets store.
	func loadKey() []byte { return []byte("example signing key") }

	func gz(b []byte) ([]byte, error) {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}

	func mac(key, b []byte) []byte {
		h := hmac.New(sha256.New, key)
		h.Write(b)
		return h.Sum(nil)
	}
}

// InlineHooks renders documents, compresses them in batches of five, a worker
// process per batch, signs them in a pool of two worker processes, and stores
// them. Hooks sit next to the stages they watch: before and after render,
// before_fork in the parent before every worker starts, after_fork in every
// worker as it starts, after_fork(sign) only in sign's workers. Each worker's
// events come back through a merge(append) field, and after_run puts every
// event of every process on one timeline.
pipeline InlineHooks {
	// how many documents to render
	param Count int = 20

	state {
		parentEvents []Event // hooks never run two at a time in a process
		workerEvents []Event merge(append)
		timeline     []Event // both, in time order, made by after_run
		stored       []Doc
	}

	before_run { p.parentEvents = append(p.parentEvents, event("before_run")) }

	producer ids() int {
		for id := 1; id <= p.Count; id++ {
			emit(id)
		}
	}

	processor render(id int) Doc threads(2) {
		emit(Doc{ID: id, Body: []byte(fmt.Sprintf("report %d: %s", id, bytes.Repeat([]byte("quarterly figures "), id)))})
	}
	before(render) { p.parentEvents = append(p.parentEvents, event("before(render)")) }
	after(render) { p.parentEvents = append(p.parentEvents, event("after(render)")) }

	batch 5

	processor compress(b []Doc) Doc process_per_batch(max: 2) {
		for _, d := range b {
			z, err := gz(d.Body)
			if err != nil {
				return err
			}
			d.Body = z
			emit(d)
		}
		p.workerEvents = append(p.workerEvents, event(fmt.Sprintf("compress %d docs", len(b))))
	}

	processor sign(d Doc) Doc processes(2) {
		if signingKey == nil {
			return fmt.Errorf("doc %d: no signing key", d.ID)
		}
		d.MAC = mac(signingKey, d.Body)
		p.workerEvents = append(p.workerEvents, event(fmt.Sprintf("sign %d", d.ID)))
		emit(d)
	}
	after_fork(sign) {
		signingKey = loadKey()
		p.workerEvents = append(p.workerEvents, event("after_fork(sign)"))
	}

	consumer store(d Doc) { p.stored = append(p.stored, d) }

	// for every worker process of every stage
	before_fork { p.parentEvents = append(p.parentEvents, event("before_fork")) }
	after_fork { p.workerEvents = append(p.workerEvents, event("after_fork")) }

	after_run {
		p.parentEvents = append(p.parentEvents, event("after_run"))
		p.timeline = append(append([]Event(nil), p.parentEvents...), p.workerEvents...)
		sort.SliceStable(p.timeline, func(i, j int) bool { return p.timeline[i].At < p.timeline[j].At })
		start := p.timeline[0].At
		for _, e := range p.timeline {
			fmt.Printf("%8.3fms  pid %-7d %s\n", float64(e.At-start)/1e6, e.PID, e.What)
		}
		fmt.Printf("%d documents stored\n", len(p.stored))
	}
}
