package mgnats

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/minigun-go/minigun/runtime/internal/procexec"
	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// serveWorker serves a worker process this transport started (remote.ServeWorker calls it):
// with MINIGUN_NATS_JOB, one job's stage (hello on fd 3, ready on fd 4); without, every job
// of the stage, as -worker STAGE does (ServeRemote).
func serveWorker(key, stage string, build remote.BuildFunc) int {
	cfg := Config{URL: os.Getenv(EnvURL), Creds: os.Getenv(EnvCreds), Token: os.Getenv(EnvToken)}
	job := os.Getenv(EnvJob)
	for _, v := range []string{EnvURL, EnvCreds, EnvToken, EnvJob} {
		os.Unsetenv(v) // user code must not see them
	}
	if job == "" {
		// Started by hand (library users): serve every job until SIGINT or SIGTERM.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := Serve(ctx, key, stage, WorkerConfig{Config: cfg}); err != nil {
			fmt.Fprintf(os.Stderr, "minigun worker: %v\n", err)
			return remote.ExitSetup
		}
		return 0
	}
	return serveJob(key, stage, build, cfg, job)
}

// serveJob serves one job's stage in this process and returns its exit status.
func serveJob(key, stage string, build remote.BuildFunc, cfg Config, job string) int {
	remote.CloseInheritedFDs(3, 4)
	procexec.CloseOnExecAll()
	ctl, status := os.NewFile(3, "minigun-ctl"), os.NewFile(4, "minigun-status")
	if ctl == nil || status == nil {
		fmt.Fprintln(os.Stderr, "minigun worker: started without its pipes")
		return remote.ExitSetup
	}
	fr := remote.NewFrameReader(ctl, 4<<10)
	hdr, err := fr.Next()
	var hello remote.ToWorker
	if err == nil {
		err = hello.Unmarshal(hdr)
	}
	if err != nil || hello.Kind != remote.KindHello {
		return remote.ExitLost
	}
	// The parent closes fd 3 to stop the worker, and it closes when the parent dies.
	go func() {
		for {
			if _, err := fr.Next(); err != nil {
				os.Exit(remote.ExitLost)
			}
		}
	}()
	ready := func(e error) {
		line := "ready\n"
		if e != nil {
			line = "error " + strconv.Quote(e.Error()) + "\n"
		}
		_, _ = status.WriteString(line)
	}
	nc, err := connect(cfg, "minigun worker "+stage)
	if err != nil {
		ready(err)
		return remote.ExitSetup
	}
	defer nc.Close()
	c, err := dialJob(nc, job)
	if errors.Is(err, errJobOver) {
		ready(nil)
		return 0
	}
	if err != nil {
		ready(err)
		return remote.ExitSetup
	}
	defer c.close()
	if want := fingerprintOf(key); c.rec.Fingerprint != want {
		err := refusal(c.rec, want)
		_ = nc.Publish(c.rec.Refused, []byte(err.Error()))
		_ = nc.Flush()
		fmt.Fprintf(os.Stderr, "minigun worker: %v\n", err)
		ready(err)
		return remote.ExitSetup
	}
	c.status, c.statusFile = ready, status
	var params []byte
	if hello.HasParams {
		params = hello.Params
	}
	ch, err := remote.BuildChild(key, stage, build, params)
	if err != nil {
		_ = c.Send(&remote.FromWorker{Kind: remote.KindReady, Err: fmt.Sprint(err)}, nil)
		return remote.ExitSetup
	}
	code := ch.ServeChild(c, &hello)
	c.leave()
	return code
}

// refusal is the error of a worker whose program differs from the coordinator's.
func refusal(rec *jobRecord, want string) error {
	host, _ := os.Hostname()
	return fmt.Errorf("worker %s/%d refuses job %s of pipeline %s (stage %s, coordinator on %s): the job's graph fingerprint %q differs from this program's %q; run workers built from the same .mg file as the coordinator",
		host, os.Getpid(), rec.Job, rec.Pipeline, rec.Stage, rec.Host, rec.Fingerprint, want)
}

var errJobOver = errors.New("the job's stage has ended")

// jobConn is a worker's connection to one job's stage (remote.ChildConn): Recv takes the
// next chunk once the last one's result is published and the chunk acked; Send collects a
// chunk's results frames and publishes them when every item of the chunk is settled.
type jobConn struct {
	nc         *nats.Conn
	js         jetstream.JetStream
	rec        *jobRecord
	key        string
	cons       jetstream.Consumer
	fetched    chan fetched       // the next chunk, from fetch
	fetchStop  context.CancelFunc // ends fetch's request
	fetchDone  chan struct{}
	acks       chan sentResult // results published, waiting for the server's acknowledgement
	acked      chan struct{}
	watch      jetstream.KeyWatcher
	budget     int
	id         string // host/pid
	host       string
	status     func(error) // the ready line to the parent (fd 4)
	statusFile *os.File    // then the start of each chunk

	idle     chan struct{} // a token while no chunk runs
	stopping chan struct{} // closed when the stage ends
	stopOnce sync.Once
	hbStop   chan struct{}
	hbDone   chan struct{}
	stopSent bool
	frames   *remote.FrameReader // the message whose frames Recv hands over
	fr       remote.FrameReader  // frames points to it
	tw       remote.ToWorker     // the frame Recv returned last
	out      bytes.Buffer        // the running chunk's results, kept from chunk to chunk
	fw       remote.FrameWriter  // writes them

	mu      sync.Mutex
	cur     *running
	waiting *held // the chunk fetched ahead, not handed to Recv yet
}

// fetched is a chunk fetch took from the server, or the error it got.
type fetched struct {
	msg jetstream.Msg
	err error
}

// held is a chunk a worker holds before it runs it, kept alive like the one it runs.
type held struct {
	msg   jetstream.Msg
	since time.Time // last sign of life sent
}

// running is the chunk a worker runs.
type running struct {
	msg      jetstream.Msg
	chunk    uint64
	delivery uint64
	items    int // in the message
	settled  int
	since    time.Time // last sign of life sent
	parts    [][]byte
	buf      *bytes.Buffer       // the part being written: the jobConn's out
	fw       *remote.FrameWriter // writing to buf: the jobConn's fw
}

func dialJob(nc *nats.Conn, job string) (*jobConn, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("opening the job registry: %w", err)
	}
	e, err := kv.Get(ctx, job)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, errJobOver
	}
	if err != nil {
		return nil, fmt.Errorf("reading job %s: %w", job, err)
	}
	rec, err := decodeRecord(e.Value())
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	c := &jobConn{nc: nc, js: js, rec: rec, key: job, budget: int(nc.MaxPayload()) - payloadHeadroom,
		id: host + "/" + strconv.Itoa(os.Getpid()), host: host,
		acks: make(chan sentResult, 64), acked: make(chan struct{}),
		idle: make(chan struct{}, 1), stopping: make(chan struct{}), hbStop: make(chan struct{}), hbDone: make(chan struct{})}
	c.idle <- struct{}{}
	cons, err := js.Consumer(ctx, rec.Stream, workConsumer)
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil, errJobOver
		}
		return nil, fmt.Errorf("joining job %s: %w", rec.Job, err)
	}
	c.watch, err = kv.Watch(context.Background(), job)
	if err != nil {
		return nil, fmt.Errorf("watching job %s: %w", rec.Job, err)
	}
	var fctx context.Context
	fctx, c.fetchStop = context.WithCancel(context.Background())
	c.cons, c.fetched, c.fetchDone = cons, make(chan fetched), make(chan struct{})
	go c.fetch(fctx)
	go c.confirm()
	go c.watchJob()
	go c.heartbeat()
	return c, nil
}

// watchJob stops the worker when the job's stage leaves the registry, or when its record
// went unrenewed for leaseTTL: the coordinator is gone.
func (c *jobConn) watchJob() {
	ttl := leaseTTL()
	lease := time.NewTimer(ttl)
	defer lease.Stop()
	for {
		select {
		case e, ok := <-c.watch.Updates():
			if !ok {
				return
			}
			if e == nil {
				continue
			}
			if e.Operation() == jetstream.KeyValueDelete || e.Operation() == jetstream.KeyValuePurge {
				c.stop()
				return
			}
			lease.Reset(ttl)
		case <-lease.C:
			fmt.Fprintf(os.Stderr, "minigun worker: leaving job %s: its coordinator has not renewed it for %v\n", c.rec.Job, ttl)
			c.stop()
			return
		}
	}
}

func (c *jobConn) stop() {
	c.stopOnce.Do(func() {
		close(c.stopping)
		c.fetchStop()
	})
}

// heartbeat tells the server that the running chunk is still being worked on (InProgress),
// every third of ack_wait, so that only a dead or stuck worker's chunk is redelivered.
func (c *jobConn) heartbeat() {
	defer close(c.hbDone)
	every := max(c.rec.AckWait/3, time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.hbStop:
			return
		case now := <-t.C:
			c.mu.Lock()
			if r := c.cur; r != nil && now.Sub(r.since) >= every {
				r.since = now
				_ = r.msg.InProgress()
			}
			if h := c.waiting; h != nil && now.Sub(h.since) >= every {
				h.since = now
				_ = h.msg.InProgress()
			}
			c.mu.Unlock()
		}
	}
}

// Abandon publishes the results of the chunk being run, even if some of its items were not
// reported (the coordinator sends those again), and waits until the server has them and the
// chunk is acked (the remote.Abandoner interface: the worker exits after it).
func (c *jobConn) Abandon() {
	c.mu.Lock()
	if r := c.cur; r != nil {
		if c.publish(r) == nil {
			c.cur = nil
		}
	}
	c.mu.Unlock()
	c.close()
}

func (c *jobConn) close() {
	c.stop()
	close(c.acks)
	<-c.acked
	_ = c.watch.Stop()
	close(c.hbStop)
	<-c.hbDone
	<-c.fetchDone
}

// Recv returns the next items frame: the rest of the message being run, else, once its
// results are out, the first of the next message; or stop once the stage has ended.
func (c *jobConn) Recv() (*remote.ToWorker, func(any) error, error) {
	if fr := c.frames; fr != nil {
		if m := itemsFrame(fr, &c.tw); m != nil {
			return m, fr.Decode, nil
		}
		c.frames = nil
	}
	select {
	case <-c.idle:
	case <-c.stopping:
		return c.stopped()
	}
	for {
		msg, err := c.next()
		if err != nil {
			select {
			case <-c.stopping:
				return c.stopped()
			default:
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) ||
				errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
				c.stop() // the stage's stream is gone
				return c.stopped()
			}
			time.Sleep(50 * time.Millisecond) // a passing error (a reconnect)
			continue
		}
		fr := &c.fr // the last message's frames are all read
		fr.ResetBytes(msg.Data())
		m := itemsFrame(fr, &c.tw)
		items, err := strconv.Atoi(msg.Headers().Get(hItems))
		if m == nil || err != nil || items < len(m.IDs) {
			_ = msg.TermWithReason("minigun: a chunk that does not parse")
			continue
		}
		meta, err := msg.Metadata()
		d := uint64(1)
		if err == nil {
			d = meta.NumDelivered
		}
		chunk, _ := strconv.ParseUint(msg.Headers().Get(hChunk), 10, 64)
		r := &running{msg: msg, chunk: chunk, delivery: d, items: items, since: time.Now()}
		c.out.Reset()
		c.fw.Restart(&c.out)
		r.buf, r.fw = &c.out, &c.fw
		if c.statusFile != nil {
			_, _ = c.statusFile.WriteString("run " + strconv.FormatUint(chunk, 10) + " " + strconv.FormatUint(d, 10) + "\n")
		}
		c.mu.Lock()
		c.cur = r
		c.mu.Unlock()
		c.frames = fr
		return m, fr.Decode, nil
	}
}

// itemsFrame reads the next items frame of a message into m; nil at its end (or if it does
// not parse: the coordinator made it, so that does not happen).
func itemsFrame(fr *remote.FrameReader, m *remote.ToWorker) *remote.ToWorker {
	hdr, err := fr.Next()
	if err != nil {
		return nil
	}
	if m.Unmarshal(hdr) != nil || m.Kind != remote.KindItems {
		return nil
	}
	return m
}

// next takes the next chunk from fetch; the session counts a redelivery as an attempt only
// when the chunk had started (the start marker).
func (c *jobConn) next() (jetstream.Msg, error) {
	select {
	case f := <-c.fetched:
		c.mu.Lock()
		c.waiting = nil // Recv runs it now
		c.mu.Unlock()
		return f.msg, f.err
	case <-c.stopping:
		return nil, jetstream.ErrMsgIteratorClosed
	}
}

// fetch takes chunks from the server one at a time (Consumer.Next), and holds at most one
// besides the one running: asked for while it runs, so that the worker does not wait for the
// server between chunks, and kept alive by the heartbeat as it is. A chunk pulled into the
// client's buffer instead would wait there unseen, its ack_wait running out, and go to
// another worker while this one still meant to run it (nats.go #1929). A chunk held when
// the worker stops is given back at once (Nak).
func (c *jobConn) fetch(ctx context.Context) {
	defer close(c.fetchDone)
	for ctx.Err() == nil {
		m, err := c.cons.Next(jetstream.FetchContext(ctx))
		if errors.Is(err, nats.ErrTimeout) || ctx.Err() != nil {
			continue // no chunk for now, or stopped
		}
		if m != nil {
			c.mu.Lock()
			c.waiting = &held{msg: m, since: time.Now()}
			c.mu.Unlock()
		}
		select {
		case c.fetched <- fetched{m, err}:
		case <-ctx.Done():
			if m != nil {
				c.mu.Lock()
				c.waiting = nil
				c.mu.Unlock()
				_ = m.Nak()
			}
		}
	}
}

// stopped is Recv's stop frame; after it Recv waits for the worker to exit (only the
// worker's reader calls Recv).
func (c *jobConn) stopped() (*remote.ToWorker, func(any) error, error) {
	if c.stopSent {
		select {} // the worker returns from ServeChild and exits
	}
	c.stopSent = true
	return &remote.ToWorker{Kind: remote.KindStop}, nil, nil
}

// Send publishes the ready frame as the worker's join, and collects results frames.
func (c *jobConn) Send(m *remote.FromWorker, payload any) error {
	if m.Kind == remote.KindReady {
		return c.join(m)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.cur
	if r == nil {
		return nil
	}
	for {
		before := r.buf.Len()
		if err := r.fw.Send(m, payload); err != nil {
			return err // an EncodeError: the writer reset its stream
		}
		if r.buf.Len() <= c.budget {
			break
		}
		if before == 0 {
			// One frame alone does not fit: its values fail (the worker sends them one by
			// one and fails those that cannot cross).
			size := r.buf.Len()
			r.buf.Reset()
			r.fw.Restart(r.buf)
			return remote.EncodeError{Err: fmt.Errorf("their results take %d bytes, more than a NATS message may carry (max_payload %d bytes): raise the server's max_payload (the embedded server's: -nats-max-payload or %s)", size, c.budget+payloadHeadroom, EnvMaxPayload)}
		}
		// The frame starts the next part, with a fresh encoding.
		r.buf.Truncate(before)
		r.seal()
	}
	r.settled += len(m.Outcomes)
	if r.settled < r.items {
		return nil
	}
	if err := c.publish(r); err != nil {
		return err
	}
	c.cur = nil
	c.idle <- struct{}{}
	return nil
}

// seal ends the part being written; the next starts a fresh encoding.
func (r *running) seal() {
	if r.buf.Len() > 0 {
		r.parts = append(r.parts, bytes.Clone(r.buf.Bytes()))
	}
	r.buf.Reset()
	r.fw.Restart(r.buf)
}

// publish publishes a finished chunk's results; the chunk is acked once the server has
// them all (confirm): a worker that dies in between leaves a chunk that is redelivered, and
// a second result that the coordinator drops. The worker goes on with the next chunk
// meanwhile.
func (c *jobConn) publish(r *running) error {
	r.seal()
	n := len(r.parts)
	base := c.rec.Job + "." + strconv.FormatUint(r.chunk, 10) + ".d" + strconv.FormatUint(r.delivery, 10)
	sr := sentResult{chunk: r.msg}
	for k, part := range r.parts {
		m := &nats.Msg{Subject: c.rec.Res, Data: part, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, base+".p"+strconv.Itoa(k+1))
		m.Header.Set(hChunk, strconv.FormatUint(r.chunk, 10))
		m.Header.Set(hDelivery, strconv.FormatUint(r.delivery, 10))
		if n > 1 {
			m.Header.Set(hPart, strconv.Itoa(k+1)+"/"+strconv.Itoa(n))
		}
		c.identify(m)
		f, err := c.js.PublishMsgAsync(m)
		if err != nil {
			if err := c.publishMsg(m); err != nil {
				return err
			}
			continue
		}
		sr.parts, sr.futs = append(sr.parts, m), append(sr.futs, f)
	}
	c.written()
	c.acks <- sr
	return nil
}

// written waits until what the worker published has left the client's buffer for the
// connection, before the next chunk starts: an item of that chunk may end the process
// (os.Exit, a crash), and results still buffered would be lost with it, their chunk run
// again and counted as a failed attempt. The client's flusher writes them at once, so this
// is a few yields, not a round trip; a connection that does not take them (a reconnect) gets
// a flush. (A failed flush is the connection's: confirm publishes again.)
func (c *jobConn) written() {
	for range 1000 {
		if n, err := c.nc.Buffered(); err != nil || n == 0 {
			return
		}
		runtime.Gosched()
	}
	_ = c.nc.FlushTimeout(adminTimeout)
}

// sentResult is a chunk whose results were published.
type sentResult struct {
	chunk jetstream.Msg
	parts []*nats.Msg
	futs  []jetstream.PubAckFuture
}

// confirm acks each chunk once the server has acknowledged its results, in order.
func (c *jobConn) confirm() {
	defer close(c.acked)
	for sr := range c.acks {
		for i, f := range sr.futs {
			select {
			case <-f.Ok():
			case <-f.Err():
				if err := c.publishMsg(sr.parts[i]); err != nil {
					fmt.Fprintf(os.Stderr, "minigun worker: publishing results: %v\n", err)
					os.Exit(remote.ExitLost) // the chunk comes back to another worker
				}
			}
		}
		_ = sr.chunk.Ack()
	}
}

func (c *jobConn) publishMsg(m *nats.Msg) error {
	var err error
	for try := 0; try < 5; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		_, err = c.js.PublishMsg(ctx, m) // again with the same id: the server drops a duplicate
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
	}
	return err
}

func (c *jobConn) identify(m *nats.Msg) {
	m.Header.Set(hWorker, c.id)
	m.Header.Set(hHost, c.host)
	m.Header.Set(hPID, strconv.Itoa(os.Getpid()))
}

// join publishes the ready frame (the state after after_fork, or why the worker cannot
// serve) and tells the parent.
func (c *jobConn) join(m *remote.FromWorker) error {
	var b bytes.Buffer
	if err := remote.NewFrameWriter(&b).Send(m, nil); err != nil {
		return err
	}
	msg := &nats.Msg{Subject: c.rec.Res, Data: b.Bytes(), Header: nats.Header{}}
	msg.Header.Set(hKind, "join")
	c.identify(msg)
	err := c.publishMsg(msg)
	if c.status != nil {
		var e error
		if m.Err != "" {
			e = errors.New(m.Err)
		}
		c.status(e)
	}
	return err
}

// leave says the worker has gone (best effort: a killed worker says nothing).
func (c *jobConn) leave() {
	msg := &nats.Msg{Subject: c.rec.Res, Header: nats.Header{}}
	msg.Header.Set(hKind, "leave")
	c.identify(msg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = c.js.PublishMsg(ctx, msg)
}

// LastPayload makes the worker's results frames about a quarter of a message, so that a
// chunk's results fit in few messages.
func (c *jobConn) LastPayload() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.cur; r != nil {
		return r.fw.LastPayload() * 4
	}
	return 0
}

func (c *jobConn) Started(uint64) {}
func (c *jobConn) Finished()      {}

// ItemKey is the deterministic key of an item of the job's stage (mgrt.ItemKey).
func (c *jobConn) ItemKey(id uint64) string {
	return remote.ItemKeyOf(c.rec.Job, c.rec.Stage, id)
}
