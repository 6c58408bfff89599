package mgnats

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Config says which NATS server remote stages use.
type Config struct {
	// URL is the server (or comma-separated servers of a cluster) to use; "" makes the
	// coordinator embed one (loopback, a random port and token, its store in the run's work
	// directory). Workers started with -worker need it.
	URL string
	// Creds is a NATS credentials file; Token a token. Both are optional.
	Creds string
	Token string
	// MaxPayload is the embedded server's max_payload in bytes (default 1 MiB): an item, or
	// the results of one, larger than what it allows cannot cross.
	MaxPayload int
}

// The environment of the worker processes the transport starts (never their arguments, which
// every user of the machine can read), also read by a coordinator as its defaults.
const (
	EnvURL        = "MINIGUN_NATS_URL"
	EnvCreds      = "MINIGUN_NATS_CREDS"
	EnvToken      = "MINIGUN_NATS_TOKEN"
	EnvMaxPayload = "MINIGUN_NATS_MAX_PAYLOAD"
	// EnvJob names the job record (a key of the KV bucket) of the one job a worker serves;
	// a worker without it serves every job of its stage (ServeRemote).
	EnvJob = "MINIGUN_NATS_JOB"
)

var settings struct {
	mu  sync.Mutex
	cfg *Config
}

// Configure sets the server the remote stages of the runs this process coordinates use
// (built binaries: -nats, -nats-creds). Without it the coordinator reads MINIGUN_NATS_URL,
// MINIGUN_NATS_CREDS and MINIGUN_NATS_TOKEN, and embeds a server when no URL is set.
func Configure(c Config) {
	settings.mu.Lock()
	defer settings.mu.Unlock()
	settings.cfg = &c
}

// coordinatorConfig is the configuration runs use.
func coordinatorConfig() Config {
	settings.mu.Lock()
	defer settings.mu.Unlock()
	c := Config{}
	if settings.cfg != nil {
		c = *settings.cfg
	}
	if c.URL == "" {
		c.URL = os.Getenv(EnvURL)
	}
	if c.Creds == "" {
		c.Creds = os.Getenv(EnvCreds)
	}
	if c.Token == "" {
		c.Token = os.Getenv(EnvToken)
	}
	if c.MaxPayload == 0 {
		c.MaxPayload, _ = strconv.Atoi(os.Getenv(EnvMaxPayload))
	}
	return c
}

// connect dials a NATS server.
func connect(c Config, name string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if c.Token != "" {
		opts = append(opts, nats.Token(c.Token))
	}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", c.URL, err)
	}
	return nc, nil
}

// Names in NATS. Subjects and stream names cannot hold the dots of qualified stage names,
// so a stage is a token made from its name.
const (
	bucket       = "mg_jobs" // the job registry: one key per remote stage of a running job
	workConsumer = "work"    // the stage's consumer, shared by its workers
	resConsumer  = "coord"   // the consumer of results, the coordinator's
)

// A coordinator puts its job's record again every leaseRefresh, and a worker leaves a job
// whose record was not put for leaseTTL: the coordinator died (kill -9, a lost machine)
// without deleting it. MINIGUN_NATS_LEASE (a duration) sets leaseTTL, for tests; the refresh
// is a quarter of it.
func leaseTTL() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("MINIGUN_NATS_LEASE")); err == nil && d > 0 {
		return d
	}
	return 20 * time.Second
}

func leaseRefresh() time.Duration { return leaseTTL() / 4 }

type names struct {
	job, tok, stream, in, res, refused, started, key string
}

func namesOf(workerKey, job, stage string) names {
	tok := stageToken(stage)
	return names{
		job:     job,
		tok:     tok,
		stream:  "MG_" + job + "_" + tok,
		in:      "mg." + job + "." + tok + ".in",
		res:     "mg." + job + "." + tok + ".res",
		refused: "mg." + job + "." + tok + ".refused",
		started: "mg." + job + "." + tok + ".run",
		key:     pipelineToken(workerKey) + "." + job + "." + tok,
	}
}

func stageToken(stage string) string {
	h := fnv.New32a()
	h.Write([]byte(stage))
	return fmt.Sprintf("s%08x", h.Sum32())
}

func pipelineToken(workerKey string) string {
	sum := sha256.Sum256([]byte(workerKey))
	return "p" + hex.EncodeToString(sum[:8])
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// The registry of the pipelines this program can serve: their fingerprints and remote stages.
var pipelines struct {
	mu sync.Mutex
	m  map[string]*pipelineInfo
}

type pipelineInfo struct {
	key         string
	fingerprint string
	stages      []string
}

// Register records the graph fingerprint and the remote stages of the pipeline whose worker
// key is key (mgrt.WorkerKey). Generated code calls it in a package-level var initializer
// for each pipeline with remote stages; workers refuse a job whose fingerprint differs from
// theirs.
func Register(key, fingerprint string, stages ...string) struct{} {
	pipelines.mu.Lock()
	defer pipelines.mu.Unlock()
	if pipelines.m == nil {
		pipelines.m = map[string]*pipelineInfo{}
	}
	pipelines.m[key] = &pipelineInfo{key: key, fingerprint: fingerprint, stages: stages}
	return struct{}{}
}

func fingerprintOf(key string) string {
	pipelines.mu.Lock()
	defer pipelines.mu.Unlock()
	if p := pipelines.m[key]; p != nil {
		return p.fingerprint
	}
	return ""
}

func registeredPipelines() []*pipelineInfo {
	pipelines.mu.Lock()
	defer pipelines.mu.Unlock()
	var out []*pipelineInfo
	for _, p := range pipelines.m {
		out = append(out, p)
	}
	return out
}
