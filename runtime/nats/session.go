package mgnats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/minigun-go/minigun/runtime/internal/engine"
	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// A session is one run of one remote stage, in the coordinator (REMOTE.md 4.4-4.9):
//
//   - one work-queue stream for the stage, MG_<job>_<stage>, with the subject of its chunks
//     and the subject of their results; the stage's workers share one durable pull
//     consumer of the chunks (AckWait from ack_wait, MaxDeliver from max_deliver,
//     MaxAckPending the credit window), the session reads the results;
//   - Submit publishes each chunk with a Nats-Msg-Id once it has a credit: at most in_flight
//     chunks are out at once, so a remote stage whose workers are busy blocks its input as a
//     processes stage does;
//   - a worker runs a chunk, publishes its results (one message, or parts of one), waits for
//     the server's acknowledgement of each, then acks the chunk; the session applies the
//     first complete result of each chunk and drops every later one (another delivery after
//     a worker died or was slow), so each item's effects in the pipeline happen once;
//   - a chunk redelivered (its worker died, or stopped answering for ack_wait) is applied
//     from the delivery that completes, and counts one attempt per redelivery for the
//     chunk's first item: the coordinator does not know which item a dead worker was
//     running, and charging the first one keeps the count right without failing an item
//     that did nothing wrong;
//   - a chunk at max_deliver (the server's MAX_DELIVERIES advisory) is deleted from the
//     stream (work queues keep such messages) and its items sent again one chunk each; a
//     one-item chunk at max_deliver ends the item's attempt, as a worker's death does in a
//     processes stage (retried while retry allows, then failed);
//   - once the run is canceled, the chunks out still come back until the shutdown timeout;
//     then what is left is settled as dropped.
//
// Every Handler call of the session's results (Results, Lost) is made on its loop goroutine.
type session struct {
	run     remote.Run
	spec    engine.StageSpec
	h       remote.Handler
	hub     *hub
	n       names
	stream  jetstream.Stream
	work    jetstream.Consumer
	chunk   int
	window  int
	maxDel  int
	ackWait time.Duration
	budget  int
	host    string

	results   jetstream.ConsumeContext
	subs      []*nats.Subscription
	events    chan event
	pubs      chan published
	confirmed chan struct{}
	quit      chan struct{}
	done      chan struct{}

	mu         sync.Mutex
	cond       sync.Cond
	pending    map[uint64]*pchunk
	bySeq      map[uint64]uint64
	next       uint64
	credits    int
	dead       error
	perItem    int   // encoded bytes per item
	avgNs      int64 // item cost, from the workers' samples
	workers    map[string]bool
	joined     bool
	closing    bool
	refusals   map[string]bool
	lastResult time.Time // loop only
	// apply's buffers (loop only): a result's frames, its header, the items it settles
	fr      remote.FrameReader
	fm      remote.FromWorker
	settled []uint64
	procs   map[*proc]bool

	omu  sync.Mutex // the message being filled
	open *outMsg
	obuf bytes.Buffer // its frames, kept from message to message (sent as a copy)
	ofw  remote.FrameWriter

	locals     sync.WaitGroup
	stopCancel func() bool
	deadline   *time.Timer
	warn       *time.Timer
	lease      chan struct{} // closed to stop renew
	leaseDone  chan struct{}
}

// pchunk is a chunk out, until its result is applied.
type pchunk struct {
	id         uint64
	subs       []*remote.Chunk       // its items, in the frames of its message
	seq        uint64                // its stream sequence
	extra      int32                 // attempts to count for its first item (isolated from a chunk at max_deliver)
	deliveries map[uint64]*delivered // result parts, by delivery
	msgs       []jetstream.Msg       // result messages, acked once the chunk is done
	sent       time.Time
	started    map[uint64]bool // deliveries a worker started (its start markers)
	unstarted  int             // times it reached max_deliver without a worker starting it
}

type delivered struct {
	parts []jetstream.Msg
	got   int
}

type eventKind int

const (
	evMsg eventKind = iota
	evMaxDeliver
	evRefused
	evExpire
	evWarn
	evStarted
	evDrop
	evCheck
)

type event struct {
	kind       eventKind
	msg        jetstream.Msg
	seq        uint64
	deliveries uint64
	text       string
	p          *pchunk
}

// Headers of the messages of a stage's stream.
const (
	hChunk    = "Mg-Chunk"
	hDelivery = "Mg-Delivery"
	hPart     = "Mg-Part" // k/n
	hKind     = "Mg-Kind" // results (default), join, leave
	hItems    = "Mg-Items"
	hWorker   = "Mg-Worker"
	hHost     = "Mg-Host"
	hPID      = "Mg-Pid"
)

func openSession(run remote.Run) (_ *session, err error) {
	spec := run.Spec()
	hb, err := acquireHub(run.WorkDir())
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	s := &session{run: run, spec: spec, h: run.Handler(0), hub: hb, n: namesOf(run.WorkerKey(), run.JobID(), spec.Name),
		chunk: chunkSize(spec.Strategy), window: window(spec.Strategy), maxDel: maxDeliver(spec),
		ackWait: time.Duration(ackWait(spec.Strategy)), budget: hb.payload - payloadHeadroom, host: host,
		events: make(chan event, 256), pubs: make(chan published, 1024), confirmed: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{}),
		pending: map[uint64]*pchunk{}, bySeq: map[uint64]uint64{}, workers: map[string]bool{},
		refusals: map[string]bool{}, procs: map[*proc]bool{}}
	s.cond.L = &s.mu
	started := false
	defer func() {
		if err != nil {
			s.teardown(started)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	s.stream, err = hb.js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        s.n.stream,
		Description: fmt.Sprintf("minigun: job %s, stage %s of pipeline %s", s.n.job, spec.Name, run.Pipeline()),
		Subjects:    []string{s.n.in, s.n.res},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     hb.storage(),
		Discard:     jetstream.DiscardNew,
		MaxAge:      24 * time.Hour, // a leak guard, should a coordinator vanish
		Duplicates:  5 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the stream %s: %w", s.n.stream, err)
	}
	if s.work, err = s.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: workConsumer, FilterSubject: s.n.in, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: s.ackWait, MaxDeliver: s.maxDel, MaxAckPending: s.window,
	}); err != nil {
		return nil, fmt.Errorf("creating the consumer of stream %s: %w", s.n.stream, err)
	}
	res, err := s.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: resConsumer, FilterSubject: s.n.res, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: 30 * time.Second, MaxAckPending: -1,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the consumer of stream %s: %w", s.n.stream, err)
	}
	adv := "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + s.n.stream + "." + workConsumer
	for subj, cb := range map[string]nats.MsgHandler{adv: s.onAdvisory, s.n.refused: s.onRefusal, s.n.started: s.onStarted} {
		sub, err := hb.nc.Subscribe(subj, cb)
		if err != nil {
			return nil, fmt.Errorf("subscribing to %s: %w", subj, err)
		}
		s.subs = append(s.subs, sub)
	}
	if err = hb.nc.Flush(); err != nil {
		return nil, err
	}
	go s.loop()
	go s.confirm()
	go s.watch()
	started = true
	s.results, err = res.Consume(func(m jetstream.Msg) { s.post(event{kind: evMsg, msg: m}) }, jetstream.PullMaxMessages(64))
	if err != nil {
		return nil, fmt.Errorf("reading the results of stream %s: %w", s.n.stream, err)
	}
	// before_fork runs for each local worker; with none, once for the workers that join.
	hello, err := s.hello()
	if err != nil {
		return nil, err
	}
	rec := jobRecord{Pipeline: run.WorkerKey(), Fingerprint: fingerprintOf(run.WorkerKey()), Job: s.n.job, Stage: spec.Name,
		Stream: s.n.stream, In: s.n.in, Res: s.n.res, Refused: s.n.refused, Started: s.n.started, AckWait: s.ackWait, Hello: hello, Host: host}
	if _, err = hb.kv.Put(ctx, s.n.key, rec.encode()); err != nil {
		return nil, fmt.Errorf("registering the job's stage (KV %s): %w", bucket, err)
	}
	s.lease = make(chan struct{})
	s.leaseDone = make(chan struct{})
	go s.renew(rec.encode())
	s.locals.Add(spec.Strategy.N)
	for i := range spec.Strategy.N {
		h := hello
		if i > 0 {
			h = nil
		}
		go s.local(h)
	}
	if spec.Strategy.N == 0 {
		after := noWorkerWarning
		s.warn = time.AfterFunc(after, func() { s.post(event{kind: evWarn, text: after.String()}) })
	}
	s.stopCancel = context.AfterFunc(run.Context(), s.canceled)
	return s, nil
}

func (s *session) ChunkSize() int { return s.chunk }

// hello runs the before_fork hooks and encodes what a worker needs to start.
func (s *session) hello() ([]byte, error) {
	h, err := s.run.Hello()
	if err != nil {
		return nil, err
	}
	return helloFrame(h)
}

// post hands an event to the loop (dropped once the session has ended).
func (s *session) post(ev event) {
	select {
	case s.events <- ev:
	case <-s.quit:
	}
}

// loop applies what comes back, one event at a time.
func (s *session) loop() {
	defer close(s.done)
	for {
		var ev event
		select {
		case ev = <-s.events:
		default:
			s.h.Idle() // about to wait: what is buffered for downstream goes
			select {
			case ev = <-s.events:
			case <-s.quit:
				return
			}
		}
		switch ev.kind {
		case evMsg:
			s.onMsg(ev.msg)
		case evMaxDeliver:
			s.maxDelivered(ev.seq, ev.deliveries)
		case evRefused:
			s.refused(ev.text)
		case evExpire:
			s.expire()
		case evWarn:
			s.warnNoWorker(ev.text)
		case evCheck:
			s.quiescence()
		case evDrop:
			s.finish(ev.p)
			s.h.Lost(0, context.Canceled, ev.p.ids())
		case evStarted:
			s.mu.Lock()
			p := s.pending[ev.seq]
			s.mu.Unlock()
			if p != nil {
				if p.started == nil {
					p.started = map[uint64]bool{}
				}
				p.started[ev.deliveries] = true
			}
		}
	}
}

// Submit puts the chunk's items in messages: a message holds the items frames of one or
// more of the stage's chunks, as many items as the stage's items take about msgTarget to run
// (at most the chunk option, and what fits a message); it leaves when it is full, or
// flushDelay after it was started. A message needs a credit: at most in_flight are out.
func (s *session) Submit(c *remote.Chunk, h remote.Handler) {
	s.omu.Lock()
	defer s.omu.Unlock()
	for off := 0; off < c.Len(); {
		if s.open == nil {
			if err := s.takeCredit(); err != nil {
				h.Lost(0, err, c.IDs[off:])
				return
			}
			s.obuf.Reset()
			s.ofw.Restart(&s.obuf)
			s.open = &outMsg{}
		}
		o := s.open
		target := s.target()
		n := min(c.Len()-off, max(target-o.items, 1))
		if per := s.itemBytes(); per > 0 {
			n = min(n, max((s.budget*3/4-s.obuf.Len())/per, 1))
		}
		full := false
		for {
			sub := c.Sub(off, off+n)
			before := s.obuf.Len()
			err := s.ofw.Send(sub.Frame(), sub.Values)
			var ee remote.EncodeError
			if errors.As(err, &ee) {
				// The writer reset its stream (a reset frame: the reader starts afresh there).
				if n > 1 {
					n = 1 // find the item that cannot be encoded
					continue
				}
				h.Refuse(sub.IDs[0], fmt.Errorf("cannot send the item to a remote worker: %w", err))
				off++
				break
			}
			if size := s.obuf.Len() - before; s.obuf.Len() > s.budget {
				s.obuf.Truncate(before)
				if len(o.subs) > 0 {
					full = true // the message leaves; the items go in the next
					break
				}
				s.obuf.Reset()
				s.ofw.Restart(&s.obuf)
				if n > 1 {
					n /= 2
					continue
				}
				h.Refuse(sub.IDs[0], fmt.Errorf("the item takes %d bytes encoded, more than a NATS message may carry (max_payload %d bytes, less %d for headers): raise the server's max_payload (the embedded server's: -nats-max-payload or %s), or pass a reference to the data instead",
					size, s.hub.payload, payloadHeadroom, EnvMaxPayload))
				off++
				break
			}
			s.noteSize(s.obuf.Len()-before, n)
			o.subs = append(o.subs, sub)
			o.items += n
			off += n
			break
		}
		if full || o.items >= target {
			s.open = nil
			s.send(o)
		}
	}
	if o := s.open; o != nil && o.timer == nil {
		if o.items == 0 {
			// Nothing went in (refused items): give the message's credit back.
			s.open = nil
			s.release()
			return
		}
		o.timer = time.AfterFunc(flushDelay, func() { s.flushOpen(o) })
	}
}

// outMsg is a message being filled.
type outMsg struct { // its frames are the session's obuf: one message is filled at a time
	subs  []*remote.Chunk
	items int
	timer *time.Timer
}

// How long a message may wait for more items, and about how long a message's items should
// take to run: a message of cheap items is full at the chunk option, one of slow items holds
// few, so that workers share them out evenly.
const (
	flushDelay = 500 * time.Microsecond
	msgTarget  = 4 * time.Millisecond
)

// flushOpen sends the message being filled, if it is still o.
func (s *session) flushOpen(o *outMsg) {
	s.omu.Lock()
	defer s.omu.Unlock()
	if s.open == o {
		s.open = nil
		s.send(o)
	}
}

// takeCredit waits for a credit (under omu).
func (s *session) takeCredit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.credits >= s.window && s.dead == nil {
		s.cond.Wait()
	}
	if s.dead != nil {
		return s.dead
	}
	s.credits++
	return nil
}

// release gives back a credit.
func (s *session) release() {
	s.mu.Lock()
	s.credits--
	s.cond.Broadcast()
	s.mu.Unlock()
}

// target is how many items a message should hold.
func (s *session) target() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.avgNs <= 0 {
		return min(s.chunk, 32) // until the items' cost is known
	}
	return min(max(int(int64(msgTarget)/s.avgNs), 1), s.chunk)
}

func (s *session) itemBytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perItem
}

func (s *session) noteSize(bytes, n int) {
	s.mu.Lock()
	s.perItem = max(bytes/max(n, 1), 1)
	s.mu.Unlock()
}

// adapt learns the cost of the stage's items from the durations workers sample.
func (s *session) adapt(lat []int64) {
	if len(lat) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range lat {
		if s.avgNs == 0 {
			s.avgNs = max(d, 1)
		} else {
			s.avgNs += (d - s.avgNs) / 8
		}
	}
	s.avgNs = max(s.avgNs, 1)
}

// encodeChunk encodes a chunk's items frame as a message.
func encodeChunk(c *remote.Chunk) ([]byte, error) {
	var b bytes.Buffer
	err := remote.NewFrameWriter(&b).Send(c.Frame(), c.Values)
	return b.Bytes(), err
}

// send publishes a message that holds a credit.
func (s *session) send(o *outMsg) {
	if o.timer != nil {
		o.timer.Stop()
	}
	s.publish(o.subs, bytes.Clone(s.obuf.Bytes()), o.items, 0, 0)
}

// publish publishes the items of subs, encoded in data, as a message that holds a credit.
func (s *session) publish(subs []*remote.Chunk, data []byte, items int, extra int32, unstarted int) {
	s.mu.Lock()
	s.next++
	id := s.next
	p := &pchunk{id: id, subs: subs, extra: extra, unstarted: unstarted, deliveries: map[uint64]*delivered{}, sent: time.Now()}
	s.pending[id] = p
	dead := s.dead
	s.mu.Unlock()
	if dead != nil {
		// The run's chunks out were settled already: these are, on the loop.
		s.post(event{kind: evDrop, p: p})
		return
	}
	m := &nats.Msg{Subject: s.n.in, Data: data, Header: nats.Header{}}
	m.Header.Set(jetstream.MsgIDHeader, s.n.job+"."+s.n.tok+".c"+strconv.FormatUint(id, 10))
	m.Header.Set(hChunk, strconv.FormatUint(id, 10))
	m.Header.Set(hItems, strconv.Itoa(items))
	f, err := s.hub.js.PublishMsgAsync(m)
	if err != nil {
		f = nil // published again, waiting, by confirm
	}
	s.pubs <- published{p: p, m: m, f: f}
}

// published is a chunk published and not confirmed yet.
type published struct {
	p *pchunk
	m *nats.Msg
	f jetstream.PubAckFuture
}

// confirm waits for the server's acknowledgement of each chunk published, in order, and
// records its stream sequence (to find it again at max_deliver); a chunk the server did not
// take is published again with its id (a duplicate is dropped).
func (s *session) confirm() {
	defer close(s.confirmed)
	for pb := range s.pubs {
		var ack *jetstream.PubAck
		if pb.f != nil {
			select {
			case ack = <-pb.f.Ok():
			case <-pb.f.Err():
			}
		}
		for try := 0; ack == nil && try < 5; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
			a, err := s.hub.js.PublishMsg(ctx, pb.m)
			cancel()
			if err == nil {
				ack = a
				break
			}
			if try == 4 {
				// The run fails; its chunks out are settled at the shutdown deadline.
				s.run.Fail(fmt.Errorf("publishing a chunk to NATS: %w", err))
			}
			time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
		}
		if ack == nil {
			continue
		}
		s.mu.Lock()
		if s.pending[pb.p.id] == pb.p {
			pb.p.seq = ack.Sequence
			s.bySeq[ack.Sequence] = pb.p.id
		}
		s.mu.Unlock()
	}
}

// onMsg handles a message of the results subject.
func (s *session) onMsg(m jetstream.Msg) {
	hd := m.Headers()
	switch hd.Get(hKind) {
	case "join":
		s.onJoin(m)
		_ = m.Ack()
		return
	case "leave":
		s.left(hd.Get(hWorker))
		_ = m.Ack()
		return
	}
	id, _ := strconv.ParseUint(hd.Get(hChunk), 10, 64)
	d, _ := strconv.ParseUint(hd.Get(hDelivery), 10, 64)
	k, n := parsePart(hd.Get(hPart))
	s.mu.Lock()
	p := s.pending[id]
	s.mu.Unlock()
	if p == nil || k < 1 || k > n {
		_ = m.Ack() // a later result of a chunk already applied (or dropped)
		return
	}
	p.msgs = append(p.msgs, m)
	dl := p.deliveries[d]
	if dl == nil {
		dl = &delivered{parts: make([]jetstream.Msg, n)}
		p.deliveries[d] = dl
	}
	if len(dl.parts) != n || dl.parts[k-1] != nil {
		return
	}
	dl.parts[k-1] = m
	dl.got++
	if dl.got == n {
		s.lastResult = time.Now()
		s.apply(p, d, dl)
	}
}

func parsePart(v string) (k, n int) {
	if v == "" {
		return 1, 1
	}
	a, b, _ := strings.Cut(v, "/")
	k, _ = strconv.Atoi(a)
	n, _ = strconv.Atoi(b)
	return k, n
}

// apply applies the first complete result of a chunk: its frames, in order, exactly as
// procexec applies the frames of a worker's pipe.
func (s *session) apply(p *pchunk, d uint64, dl *delivered) {
	// Each earlier delivery that a worker started, and that never reported, used an attempt.
	bump := p.extra
	for e := range p.started {
		if e < d {
			bump++
		}
	}
	settled := s.settled[:0] // the items the result reports
	defer func() { s.settled = settled[:0] }()
	var failure error
	fr, m := &s.fr, &s.fm // the handler keeps neither past apply()
	for _, pm := range dl.parts {
		hd := pm.Headers()
		pid, _ := strconv.Atoi(hd.Get(hPID))
		host := hd.Get(hHost)
		if host == s.host {
			host = ""
		}
		fr.ResetBytes(pm.Data())
		for failure == nil {
			hdr, err := fr.Next()
			if err == io.EOF {
				break
			}
			if err == nil {
				err = m.Unmarshal(hdr)
			}
			if err == nil && m.Kind != remote.KindResults {
				err = fmt.Errorf("unexpected frame kind %d", m.Kind)
			}
			if err != nil {
				failure = err
				break
			}
			m.PID, m.Host, m.Bytes = pid, host, fr.Payload()
			s.adapt(m.Lat)
			if bump > 0 {
				for i := range m.Outcomes {
					if o := &m.Outcomes[i]; o.Status == remote.StatusOK || o.Status == remote.StatusFailed || o.Status == remote.StatusAbandoned {
						o.Attempt += bump
						bump = 0
						break
					}
				}
			}
			apply, err := s.h.Results(m, fr.Decode)
			if err != nil {
				failure = err
				break
			}
			for _, o := range m.Outcomes {
				settled = append(settled, o.ID)
			}
			apply()
		}
	}
	s.finish(p)
	if failure == nil && len(settled) >= p.items() {
		return
	}
	if failure != nil {
		// Not expected: the items that were not settled run again.
		_, stderr := s.run.Output()
		fmt.Fprintf(stderr, "minigun: stage %s: a result from a remote worker could not be read (%v): its items run again\n", s.spec.Name, failure)
	}
	// A worker that ended after an item past its timeout reports what it has: the items it
	// did not reach run again.
	var left []uint64
	for _, id := range p.ids() {
		if !slices.Contains(settled, id) {
			left = append(left, id)
		}
	}
	s.h.Lost(0, failure, left)
}

// finish forgets a chunk, gives its credit back and acks its result messages.
func (s *session) finish(p *pchunk) {
	s.mu.Lock()
	delete(s.pending, p.id)
	if p.seq != 0 {
		delete(s.bySeq, p.seq)
	}
	s.credits--
	s.cond.Broadcast()
	s.mu.Unlock()
	for _, m := range p.msgs {
		_ = m.Ack()
	}
}

// onJoin folds a worker's state after its after_fork hooks, or fails the run with why it
// could not serve.
func (s *session) onJoin(m jetstream.Msg) {
	fr := remote.NewFrameReader(bytes.NewReader(m.Data()), 4<<10)
	hdr, err := fr.Next()
	var f remote.FromWorker
	if err == nil {
		err = f.Unmarshal(hdr)
	}
	if err != nil || f.Kind != remote.KindReady {
		return
	}
	hd := m.Headers()
	if f.Err != "" {
		pid, _ := strconv.Atoi(hd.Get(hPID))
		var e error = &remote.RemoteError{Msg: f.Err, PID: pid, Host: hd.Get(hHost)}
		if f.Hook != "" {
			e = &remote.HookFailure{Hook: f.Hook, Err: e}
		}
		s.run.Fail(e)
		return
	}
	if f.Delta != nil {
		s.run.Joined(f.Delta)
	}
	s.mu.Lock()
	s.workers[hd.Get(hWorker)] = true
	s.joined = true
	n := len(s.workers)
	s.mu.Unlock()
	s.run.SetWorkers(n)
}

// left forgets a worker that has gone.
func (s *session) left(worker string) {
	s.mu.Lock()
	delete(s.workers, worker)
	n := len(s.workers)
	s.mu.Unlock()
	s.run.SetWorkers(n)
}

// onAdvisory receives the server's word that a chunk reached max_deliver.
func (s *session) onAdvisory(m *nats.Msg) {
	var a struct {
		StreamSeq  uint64 `json:"stream_seq"`
		Deliveries uint64 `json:"deliveries"`
	}
	if json.Unmarshal(m.Data, &a) == nil && a.StreamSeq != 0 {
		s.post(event{kind: evMaxDeliver, seq: a.StreamSeq, deliveries: a.Deliveries})
	}
}

// maxDelivered deletes a chunk that reached max_deliver and sends its items again, one each.
func (s *session) maxDelivered(seq, deliveries uint64) {
	s.mu.Lock()
	p := s.pending[s.bySeq[seq]]
	s.mu.Unlock()
	if p == nil || p.seq != seq {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	_ = s.stream.DeleteMsg(ctx, seq)
	cancel()
	s.finish(p)
	ids := p.ids()
	if len(ids) == 1 && len(p.started) == 0 && p.unstarted < maxUnstarted {
		// No worker started it: each took it as the one it holds besides the chunk it ran,
		// and died running that one (an item that kills its workers, sent just before).
		s.mu.Lock()
		s.credits++
		s.mu.Unlock()
		one := p.subs[0]
		data, err := encodeChunk(one)
		if err != nil {
			s.h.Refuse(ids[0], fmt.Errorf("cannot send the item to a remote worker: %w", err))
			return
		}
		s.publish([]*remote.Chunk{one}, data, 1, p.extra, p.unstarted+1)
		return
	}
	if len(ids) == 1 {
		s.h.Lost(ids[0], &remote.RemoteError{Host: s.host,
			Msg: fmt.Sprintf("the item was delivered to workers %d times (max_deliver %d) and none reported it: its workers died or stopped answering for ack_wait (%v)", deliveries, s.maxDel, s.ackWait)}, nil)
		return
	}
	first := true
	for _, sub := range p.subs {
		for i := range sub.Len() {
			one := sub.Sub(i, i+1)
			data, err := encodeChunk(one)
			if err != nil {
				s.h.Refuse(one.IDs[0], fmt.Errorf("cannot send the item to a remote worker: %w", err))
				continue
			}
			extra := int32(0)
			if first {
				// the deliveries that started used attempts
				extra = p.extra + int32(min(int(deliveries)-1, len(p.started)))
			}
			first = false
			s.mu.Lock()
			s.credits++ // past the window: these are the items of a credit given back
			s.mu.Unlock()
			s.publish([]*remote.Chunk{one}, data, 1, extra, 0)
		}
	}
}

// maxUnstarted is how many times an item alone in its message may reach max_deliver with no
// worker starting it before it fails: a bound, should the start markers of external workers
// be lost.
const maxUnstarted = 3

// items counts the items of a message.
func (p *pchunk) items() int {
	n := 0
	for _, c := range p.subs {
		n += c.Len()
	}
	return n
}

// ids lists the items of a message.
func (p *pchunk) ids() []uint64 {
	var ids []uint64
	for _, c := range p.subs {
		ids = append(ids, c.IDs...)
	}
	return ids
}

// watch asks the loop, every ack_wait (at least a second), to look for chunks the server
// gave up on without the loop hearing of it.
func (s *session) watch() {
	t := time.NewTicker(max(s.ackWait, time.Second))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.post(event{kind: evCheck})
		case <-s.quit:
			return
		}
	}
}

// quiescence is the backstop of the MAX_DELIVERIES advisories (core NATS messages, lost if
// the coordinator's connection drops at the wrong time): a chunk out for longer than all its
// deliveries could take, while no result comes and the consumer has nothing delivered or
// waiting, can only be a chunk the server keeps at max_deliver.
func (s *session) quiescence() {
	limit := s.ackWait * time.Duration(s.maxDel+1)
	if time.Since(s.lastResult) < limit {
		return
	}
	s.mu.Lock()
	var stale []uint64
	for _, p := range s.pending {
		if p.seq != 0 && time.Since(p.sent) > limit {
			stale = append(stale, p.seq)
		}
	}
	s.mu.Unlock()
	if len(stale) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	info, err := s.work.Info(ctx)
	cancel()
	if err != nil || info.NumAckPending > 0 || info.NumPending > 0 {
		return
	}
	for _, seq := range stale {
		s.maxDelivered(seq, uint64(s.maxDel))
	}
}

// onStarted receives the start marker of an external worker, which its parent (-worker)
// forwards: "chunk delivery".
func (s *session) onStarted(m *nats.Msg) { s.startedLine(string(m.Data)) }

// startedLine is a worker's start marker: "chunk delivery".
func (s *session) startedLine(line string) {
	a, b, _ := strings.Cut(line, " ")
	id, err1 := strconv.ParseUint(a, 10, 64)
	d, err2 := strconv.ParseUint(b, 10, 64)
	if err1 == nil && err2 == nil {
		s.post(event{kind: evStarted, seq: id, deliveries: d})
	}
}

func (s *session) onRefusal(m *nats.Msg) { s.post(event{kind: evRefused, text: string(m.Data)}) }

// refused reports, once per worker, a worker that refused the job.
func (s *session) refused(text string) {
	if s.refusals[text] {
		return
	}
	s.refusals[text] = true
	_, stderr := s.run.Output()
	fmt.Fprintf(stderr, "minigun: stage %s: %s\n", s.spec.Name, text)
}

func (s *session) warnNoWorker(after string) {
	s.mu.Lock()
	joined := s.joined
	s.mu.Unlock()
	if joined {
		return
	}
	env := ""
	if s.hub.ns != nil {
		env = EnvToken + "=" + s.hub.workers.Token + " "
	}
	_, stderr := s.run.Output()
	fmt.Fprintf(stderr, "minigun: stage %s has no worker after %s: start one with `%s%s -worker %s -nats %s`\n",
		s.spec.Name, after, env, os.Args[0], s.spec.Name, s.hub.workers.URL)
}

// canceled: the run stops. The chunks out may still come back until the shutdown timeout;
// with no worker serving the stage (none joined, or their setup failed) none will, and what
// is out is settled at once.
func (s *session) canceled() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	wait := s.run.ShutdownTimeout()
	if len(s.workers) == 0 {
		wait = 0
	}
	s.deadline = time.AfterFunc(wait, func() { s.post(event{kind: evExpire}) })
}

// expire settles what is still out as dropped: the run was canceled and the shutdown timeout
// has passed.
func (s *session) expire() {
	s.mu.Lock()
	if s.dead == nil {
		s.dead = context.Canceled
	}
	var ps []*pchunk
	for _, p := range s.pending {
		ps = append(ps, p)
	}
	s.mu.Unlock()
	for _, p := range ps {
		s.finish(p)
		s.h.Lost(0, context.Canceled, p.ids())
	}
}

// renew puts the job's record again every leaseRefresh until the session ends, so that
// workers know the coordinator lives (they leave a job whose record went unrenewed for
// leaseTTL).
func (s *session) renew(rec []byte) {
	defer close(s.leaseDone)
	t := time.NewTicker(leaseRefresh())
	defer t.Stop()
	for {
		select {
		case <-s.lease:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
			_, _ = s.hub.kv.Put(ctx, s.n.key, rec)
			cancel()
		}
	}
}

// Close ends the session once every item is settled: the job's stage leaves the registry
// (workers that serve it leave), local workers are stopped, the stream is deleted.
func (s *session) Close() { s.teardown(true) }

func (s *session) teardown(started bool) {
	s.omu.Lock()
	if o := s.open; o != nil && o.timer != nil {
		o.timer.Stop()
	}
	s.omu.Unlock()
	s.mu.Lock()
	s.closing = true
	if s.dead == nil {
		s.dead = errors.New("the stage has ended")
	}
	s.cond.Broadcast()
	procs := make([]*proc, 0, len(s.procs))
	for p := range s.procs {
		procs = append(procs, p)
	}
	if s.deadline != nil {
		s.deadline.Stop()
	}
	s.mu.Unlock()
	if s.stopCancel != nil {
		s.stopCancel()
	}
	if s.warn != nil {
		s.warn.Stop()
	}
	if s.lease != nil {
		close(s.lease)
		<-s.leaseDone
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	_ = s.hub.kv.Delete(ctx, s.n.key)
	for _, p := range procs {
		p.stop(s.run.ShutdownTimeout())
	}
	s.locals.Wait()
	s.waitLeft(min(s.run.ShutdownTimeout(), 5*time.Second))
	if s.results != nil {
		s.results.Stop()
		<-s.results.Closed()
	}
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
	close(s.quit)
	if started {
		<-s.done
		close(s.pubs)
		<-s.confirmed
	}
	if s.stream != nil {
		_ = s.hub.js.DeleteStream(ctx, s.n.stream)
	}
	s.hub.release()
}

// waitLeft waits, at most d, for the external workers to say they left (they leave once the
// job's key is gone): an embedded server that shut down before they saw it would leave them
// waiting for it to come back.
func (s *session) waitLeft(d time.Duration) {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s.mu.Lock()
		n := len(s.workers)
		s.mu.Unlock()
		if n == 0 {
			return
		}
	}
}

// local runs one local worker after another until the session closes: a worker that dies
// is replaced (its chunk comes back after ack_wait); one that ends before it served fails
// the run.
func (s *session) local(hello []byte) {
	defer s.locals.Done()
	for first := true; ; first = false {
		if !first {
			time.Sleep(100 * time.Millisecond)
		}
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing {
			return
		}
		if hello == nil {
			h, err := s.hello()
			if err != nil {
				s.run.Fail(err)
				return
			}
			hello = h
		}
		stdout, stderr := s.run.Output()
		p, err := spawn(s.run.WorkerKey(), s.spec.Name, s.hub.workers, s.n.key, hello, stdout, stderr)
		hello = nil
		if err != nil {
			s.run.Fail(err)
			return
		}
		s.mu.Lock()
		s.procs[p] = true
		if s.closing {
			p.stop(s.run.ShutdownTimeout())
		}
		s.mu.Unlock()
		readyErr := p.readStatus(func(line string) { s.startedLine(line) })
		waitErr := p.wait()
		s.left(s.host + "/" + strconv.Itoa(p.pid)) // a killed worker says nothing
		s.mu.Lock()
		delete(s.procs, p)
		closing = s.closing
		s.mu.Unlock()
		if closing {
			return
		}
		if readyErr != nil {
			if errors.Is(readyErr, errEnded) {
				how := "it exited"
				if waitErr != nil {
					how = waitErr.Error()
				}
				readyErr = &remote.RemoteError{PID: p.pid, Stack: p.errw.Tail(),
					Msg: fmt.Sprintf("worker process %d ended before it served the stage: %s", p.pid, how)}
			}
			s.run.Fail(readyErr)
			return
		}
	}
}
