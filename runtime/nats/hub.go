package mgnats

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/minigun-go/minigun/runtime/internal/procexec"
)

// hub is this process's connection to NATS for the remote stages it coordinates: to the
// server of Config.URL, or to a server it embeds. Sessions share it; the last one to release
// it closes it (and shuts the embedded server down, removing its store).
type hub struct {
	refs    int
	ns      *server.Server // the embedded server, or nil
	dir     string         // its store
	nc      *nats.Conn
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	workers Config // what workers dial
	payload int    // the server's max_payload

	unregister func() // of the store's removal by procexec.KillAll
}

var hubs struct {
	mu sync.Mutex
	h  *hub
}

// embeddedStoreLimit bounds the embedded server's JetStream store (DESIGN 3.7: a runaway job
// cannot fill the disk). A job's streams hold about one credit window of chunks per stage.
const (
	embeddedStoreLimit  = 4 << 30
	embeddedMemoryLimit = 256 << 20
	adminTimeout        = 10 * time.Second
)

func acquireHub(workDir string) (*hub, error) {
	hubs.mu.Lock()
	defer hubs.mu.Unlock()
	if h := hubs.h; h != nil {
		h.refs++
		return h, nil
	}
	h, err := openHub(coordinatorConfig(), workDir)
	if err != nil {
		return nil, err
	}
	h.refs = 1
	hubs.h = h
	return h, nil
}

func (h *hub) release() {
	hubs.mu.Lock()
	defer hubs.mu.Unlock()
	h.refs--
	if h.refs > 0 {
		return
	}
	hubs.h = nil
	h.close()
}

func openHub(cfg Config, workDir string) (*hub, error) {
	h := &hub{}
	if cfg.URL != "" {
		nc, err := connect(cfg, "minigun coordinator")
		if err != nil {
			return nil, err
		}
		h.nc, h.workers = nc, cfg
	} else {
		if err := h.embed(cfg, workDir); err != nil {
			return nil, err
		}
	}
	h.payload = int(h.nc.MaxPayload())
	js, err := jetstream.New(h.nc)
	if err != nil {
		h.close()
		return nil, err
	}
	h.js = js
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	h.kv, err = registry(ctx, js)
	if err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

// registry opens the job registry, creating it if needed.
func registry(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, History: 1, TTL: 24 * time.Hour,
			Description: "minigun: the remote stages of running jobs"})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("opening the job registry (KV bucket %s): %w", bucket, err)
	}
	return kv, nil
}

// embed starts a server on loopback, with a random port and token, JetStream on and its
// store in the run's work directory, that leaves signals to the program (NoSigs) and logs
// nothing.
func (h *hub) embed(cfg Config, workDir string) error {
	removeStale(workDir)
	dir, err := os.MkdirTemp(workDir, storePrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return fmt.Errorf("the embedded NATS server's store: %w", err)
	}
	token := randomToken()
	opts := &server.Options{
		ServerName:         "minigun-" + token[:8],
		Host:               "127.0.0.1",
		Port:               server.RANDOM_PORT,
		Authorization:      token,
		JetStream:          true,
		StoreDir:           dir,
		JetStreamMaxStore:  embeddedStoreLimit,
		JetStreamMaxMemory: embeddedMemoryLimit,
		NoSigs:             true,
		NoLog:              true,
		MaxPayload:         int32(cfg.MaxPayload),
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("starting the embedded NATS server: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		os.RemoveAll(dir)
		return errors.New("the embedded NATS server did not start within 10s")
	}
	h.ns, h.dir = ns, dir
	// A program that exits at once (a second Ctrl-C) takes the store with it.
	h.unregister = procexec.AtExitNow(func() { os.RemoveAll(dir) })
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.Token(token), nats.Name("minigun coordinator"))
	if err != nil {
		h.close()
		return fmt.Errorf("connecting to the embedded NATS server: %w", err)
	}
	h.nc = nc
	h.workers = Config{URL: ns.ClientURL(), Token: token}
	return nil
}

// storePrefix begins the name of an embedded server's store directory, followed by the pid
// of the process whose server it is.
const storePrefix = "minigun-nats-"

// removeStale removes the store directories in dir of processes that are gone (killed with
// SIGKILL, or ended by a second interrupt before they cleaned up).
func removeStale(dir string) {
	if dir == "" {
		dir = os.TempDir() // where os.MkdirTemp makes the store
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), storePrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pid, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, '-'), 0)])
		if err != nil || pid <= 0 || pid == os.Getpid() || alive(pid) {
			continue
		}
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// alive reports whether process pid exists (on Windows, whether it can be found).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, os.ErrPermission)
}

func (h *hub) close() {
	if h.nc != nil {
		h.nc.Close()
	}
	if h.ns != nil {
		h.ns.Shutdown()
		h.ns.WaitForShutdown()
		os.RemoveAll(h.dir)
	}
	if h.unregister != nil {
		h.unregister()
	}
}

// storage is where a job's streams live: in memory on the embedded server (they are the
// job's transient work queues; the coordinator's machine going down fails the job either
// way), in files on a server of -nats (they survive its restart).
func (h *hub) storage() jetstream.StorageType {
	if h.ns != nil {
		return jetstream.MemoryStorage
	}
	return jetstream.FileStorage
}
