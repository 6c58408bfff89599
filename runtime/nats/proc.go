package mgnats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minigun-go/minigun/runtime/internal/procexec"
	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// jobRecord is what a worker needs to join one remote stage of a running job: a value of the
// job registry (KV bucket mg_jobs, key <pipeline>.<job>.<stage>), written by the coordinator
// when the stage starts and deleted when it ends.
type jobRecord struct {
	Pipeline    string        `json:"pipeline"`    // the worker key (mgrt.WorkerKey)
	Fingerprint string        `json:"fingerprint"` // of the coordinator's graph
	Job         string        `json:"job"`
	Stage       string        `json:"stage"`
	Stream      string        `json:"stream"`
	In          string        `json:"in"`
	Res         string        `json:"res"`
	Refused     string        `json:"refused"`
	Started     string        `json:"started"`
	AckWait     time.Duration `json:"ack_wait_ns"`
	Hello       []byte        `json:"hello"` // the hello frame: parameters, state start values, timeout
	Host        string        `json:"host"`  // the coordinator's machine
	Command     string        `json:"command"`
}

func (r *jobRecord) encode() []byte {
	b, _ := json.Marshal(r)
	return b
}

func decodeRecord(b []byte) (*jobRecord, error) {
	var r jobRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("a job record that does not parse: %w", err)
	}
	return &r, nil
}

// helloFrame encodes a hello as one frame of the worker wire format.
func helloFrame(h *remote.ToWorker) ([]byte, error) {
	var b bytes.Buffer
	if err := remote.NewFrameWriter(&b).Send(h, nil); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// A worker process of this transport is this executable started again, as procexec's are,
// with the pipeline, stage and transport in MINIGUN_WORKER*, the server and the job in
// MINIGUN_NATS_*, and two pipes:
//
//	fd 3  parent -> worker: the hello frame, then nothing: when the parent closes it (or
//	      dies) the worker exits at once
//	fd 4  worker -> parent: the ready frame once it has joined (or why it could not)
//
// Both the coordinator (its local workers) and a worker started with -worker (one process
// per job it joins) start them.
type proc struct {
	cmd    *exec.Cmd
	pid    int
	ctl    *os.File
	status *os.File
	out    *procexec.LineWriter
	errw   *procexec.LineWriter

	mu      sync.Mutex
	waited  bool
	kill    *time.Timer
	release func() // of the thread that started it (procexec.OnSpawnThread), once it was waited for
}

func spawn(key, stage string, cfg Config, job string, hello []byte, stdout, stderr io.Writer) (*proc, error) {
	exe, err := procexec.Exe()
	if err != nil {
		return nil, fmt.Errorf("starting a worker process: %w", err)
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("starting a worker process: %w", err)
	}
	stR, stW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, fmt.Errorf("starting a worker process: %w", err)
	}
	env := procexec.WorkerEnv(remote.EnvWorker+"="+key, remote.EnvWorkerStage+"="+stage,
		remote.EnvWorkerTransport+"=nats", EnvURL+"="+cfg.URL, EnvJob+"="+job)
	if cfg.Token != "" {
		env = append(env, EnvToken+"="+cfg.Token)
	}
	if cfg.Creds != "" {
		env = append(env, EnvCreds+"="+cfg.Creds)
	}
	p := &proc{}
	cmd := &exec.Cmd{Path: exe, Args: []string{os.Args[0]}, Env: env, ExtraFiles: []*os.File{ctlR, stW},
		WaitDelay: 2 * time.Second, SysProcAttr: procexec.WorkerAttr()}
	p.out = procexec.NewLineWriter(stdout, stage, cmd, false)
	p.errw = procexec.NewLineWriter(stderr, stage, cmd, true)
	cmd.Stdout, cmd.Stderr = p.out, p.errw
	p.release = procexec.OnSpawnThread(func() bool {
		err = cmd.Start()
		return err == nil
	})
	ctlR.Close()
	stW.Close()
	if err != nil {
		ctlW.Close()
		stR.Close()
		return nil, fmt.Errorf("starting a worker process: %w", err)
	}
	procexec.Track(cmd.Process.Pid, true)
	p.cmd, p.pid, p.ctl, p.status = cmd, cmd.Process.Pid, ctlW, stR
	_, _ = ctlW.Write(hello) // a worker already gone shows when it is waited for
	return p, nil
}

// The status pipe (fd 4) carries lines: "ready" once the worker has joined, or "error " and
// why it cannot serve (quoted); then "run CHUNK DELIVERY" as it starts each chunk. A pipe
// write leaves the worker at once, so a worker that dies in its chunk has said that it
// started it (a NATS publish may still sit in the client's buffer).

// readStatus reads the worker's status lines until it ends: nil once it has joined (or ended
// after), else why it could not (errEnded if it ended without a word); started is called
// for each chunk it starts.
func (p *proc) readStatus(started func(line string)) error {
	sc := bufio.NewScanner(p.status)
	sc.Buffer(make([]byte, 4<<10), 1<<20)
	if !sc.Scan() {
		return errEnded
	}
	switch line := sc.Text(); {
	case line == "ready":
	case strings.HasPrefix(line, "error "):
		msg, err := strconv.Unquote(strings.TrimPrefix(line, "error "))
		if err != nil {
			msg = line
		}
		return &remote.RemoteError{Msg: msg, PID: p.pid}
	default:
		return errEnded
	}
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "run "); ok && started != nil {
			started(line)
		}
	}
	return nil
}

var errEnded = errors.New("ended before it served")

// stop closes the worker's control pipe (it exits at once) and kills it if it has not ended
// after timeout.
func (p *proc) stop(timeout time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waited || p.kill != nil {
		return
	}
	p.ctl.Close()
	p.kill = time.AfterFunc(timeout, func() { procexec.KillGroup(p.pid) })
}

// wait waits for the worker to end and releases what the parent held for it.
func (p *proc) wait() error {
	err := p.cmd.Wait()
	p.release()
	p.mu.Lock()
	p.waited = true
	if p.kill != nil {
		p.kill.Stop()
	} else {
		p.ctl.Close()
	}
	p.mu.Unlock()
	procexec.Track(p.pid, false)
	p.status.Close()
	p.out.Flush()
	p.errw.Flush()
	return err
}
