package procexec

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// The worker side of the os/exec transport. A worker has stdin (/dev/null), stdout and stderr
// (forwarded by the parent line by line), and:
//
//	fd 3  parent -> worker: the hello, then items, revokes, stop; its end is the parent's end:
//	      the worker exits at once, whatever its body does
//	fd 4  worker -> parent: alive, ready, then results
//	fd 5  the status page (status.go), when the parent could make one
//
// With process_per_batch(ipc: tempfile) the item comes from a file and the results go to
// another (ToWorker.ItemPath, ResultPath); fd 3 and fd 4 carry the rest.

// The worker's descriptors.
const (
	fdIn   = 3
	fdOut  = 4
	fdPage = 5
)

func init() { remote.RegisterTransport("exec", serve) }

// serve serves a worker started by this transport and returns its exit status.
func serve(key, stage string, build remote.BuildFunc) int {
	remote.CloseInheritedFDs(fdIn, fdOut, fdPage)
	closeOnExecAll()
	setNonblock(fdIn) // served by the runtime's poller: no thread blocks reading it
	setNonblock(fdOut)
	in, out := os.NewFile(fdIn, "minigun-in"), os.NewFile(fdOut, "minigun-out")
	if in == nil || out == nil {
		fmt.Fprintln(os.Stderr, "minigun worker: started without its pipes")
		return remote.ExitSetup
	}
	c := &childConn{out: remote.NewFrameWriter(out), in: remote.NewFrameReader(in, 8<<10)}
	if err := c.out.Send(&remote.FromWorker{Kind: remote.KindAlive, PID: os.Getpid()}, nil); err != nil {
		return remote.ExitLost
	}
	hdr, err := c.in.Next()
	var hello remote.ToWorker
	if err == nil {
		err = hello.Unmarshal(hdr)
	}
	if err != nil || hello.Kind != remote.KindHello {
		return remote.ExitLost
	}
	if !hello.Once || hello.Timeout > 0 {
		c.page = mapPage(fdPage) // a one-batch worker has one only to time its attempts
	}
	if hello.Once && hello.ItemPath == "" {
		// Wait for the one batch: a worker may be started ahead of need, and stopped without
		// one. Take it off the pipe before anything is written back (after_fork may leave a
		// large state delta): the parent writes it before it reads.
		if err := c.in.Prefetch(); err != nil {
			return remote.ExitLost
		}
		if hdr := c.in.Pending(); len(hdr) > 0 && hdr[0] == remote.KindStop {
			return 0
		}
	}
	if hello.ItemPath != "" {
		f, err := os.Open(hello.ItemPath)
		if err != nil {
			fmt.Fprintf(os.Stderr, "minigun worker: %v\n", err)
			return remote.ExitSetup
		}
		defer f.Close()
		c.items = remote.NewFrameReader(f, 64<<10)
	}
	if hello.ResultPath != "" {
		f, err := os.Create(hello.ResultPath)
		if err != nil {
			fmt.Fprintf(os.Stderr, "minigun worker: %v\n", err)
			return remote.ExitSetup
		}
		c.resFile = f
		c.resBuf = bufio.NewWriterSize(f, 64<<10)
		c.res = remote.NewFrameWriter(c.resBuf)
	}
	var params []byte
	if hello.HasParams {
		params = hello.Params
	}
	ch, err := remote.BuildChild(key, stage, build, params)
	if err != nil {
		_ = c.out.Send(&remote.FromWorker{Kind: remote.KindReady, Err: err.Error()}, nil)
		return remote.ExitSetup
	}
	status := ch.ServeChild(c, &hello)
	if c.resFile != nil {
		if err := c.resBuf.Flush(); err != nil {
			fmt.Fprintf(os.Stderr, "minigun worker: writing results: %v\n", err)
			return remote.ExitSetup
		}
		if err := c.resFile.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "minigun worker: writing results: %v\n", err)
			return remote.ExitSetup
		}
	}
	return status
}

// childConn is a worker's connection to its stage over its pipes.
type childConn struct {
	mu      sync.Mutex // Send
	out     *remote.FrameWriter
	in      *remote.FrameReader
	items   *remote.FrameReader // ipc: tempfile: the item file, read first
	res     *remote.FrameWriter // ipc: tempfile: the result file
	resFile *os.File
	resBuf  *bufio.Writer
	page    *page
	tw      remote.ToWorker // the frame Recv returned last
}

// Recv returns the next frame: from the item file first (tempfile), then from fd 3.
func (c *childConn) Recv() (*remote.ToWorker, func(any) error, error) {
	r := c.in
	if c.items != nil {
		r = c.items
	}
	for {
		hdr, err := r.Next()
		if err == io.EOF && r == c.items {
			c.items = nil
			r = c.in
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		m := &c.tw
		if err := m.Unmarshal(hdr); err != nil {
			return nil, nil, err
		}
		return m, r.Decode, nil
	}
}

// Send sends results to the result file (tempfile) or fd 4, anything else to fd 4.
func (c *childConn) Send(m *remote.FromWorker, payload any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Kind == remote.KindResults && c.res != nil {
		return c.res.Send(m, payload)
	}
	return c.out.Send(m, payload)
}

// LastPayload is the size of the last results payload sent.
func (c *childConn) LastPayload() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.res != nil {
		return c.res.LastPayload()
	}
	return c.out.LastPayload()
}

func (c *childConn) Started(id uint64) { c.page.set(id) }
func (c *childConn) Finished()         { c.page.clear() }
