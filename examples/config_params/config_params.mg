// Configuration through params: the concurrency, the batch size, the retries
// and the backoff of a backup job are params, so a program built from this
// file takes them as flags (-workers 8 -size 20). config_params_test.go runs it
// with several settings, as a package and as a built program.
package config_params

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

go {
	// Chunk is one piece of a file to back up.
	type Chunk struct {
		File  string
		Index int
		Data  []byte
	}

	// Stored is a chunk once hashed, ready to upload.
	type Stored struct {
		Key  string // content address: hex SHA-256 of the data
		Size int
	}

	// errBusy is the object store's transient refusal.
	var errBusy = errors.New("store busy, try again")
}

// Backup hashes file chunks on Workers goroutines and uploads them in batches
// of Size, retrying a refused upload Retries times.
pipeline Backup {
	// files to back up
	param Files int = 10
	// chunks per file
	param Chunks int = 20
	// goroutines that hash chunks
	param Workers int = 4
	// chunks per upload
	param Size int = 25
	// how many times a refused upload is tried again (at least 1)
	param Retries int = 2
	// wait before the first retry (doubled for each next one)
	param Backoff time.Duration = time.Millisecond
	// the store refuses the first attempt of every this many uploads (0: never)
	param BusyEvery int = 0
	// simulated time to hash one chunk
	param HashTime time.Duration = time.Millisecond

	state {
		mu       sync.Mutex
		inFlight int
		peak     int   // the most chunks hashed at once
		uploads  []int // size of each upload that succeeded
		attempts int
		refused  map[int]bool // uploads the store refused once, by number
		keys     map[string]bool
	}

	before_run {
		p.inFlight, p.peak, p.attempts = 0, 0, 0
		p.uploads = nil
		p.keys = map[string]bool{}
		p.refused = map[int]bool{}
	}

	producer scan() Chunk {
		for f := 0; f < p.Files; f++ {
			for c := 0; c < p.Chunks; c++ {
				emit(Chunk{File: fmt.Sprintf("file%03d.dat", f), Index: c, Data: fmt.Appendf(nil, "%d/%d", f, c)})
			}
		}
	}

	processor hash(c Chunk) Stored threads(Workers) {
		p.mu.Lock()
		p.inFlight++
		p.peak = max(p.peak, p.inFlight)
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			p.inFlight--
			p.mu.Unlock()
		}()
		time.Sleep(p.HashTime)
		sum := sha256.Sum256(c.Data)
		emit(Stored{Key: hex.EncodeToString(sum[:]), Size: len(c.Data)})
	}

	batch Size

	consumer upload(b []Stored) retry(Retries, backoff: Backoff) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.attempts++
		if n := len(p.uploads); p.BusyEvery > 0 && n%p.BusyEvery == 0 && !p.refused[n] {
			p.refused[n] = true
			return errBusy
		}
		p.uploads = append(p.uploads, len(b))
		for _, s := range b {
			p.keys[s.Key] = true
		}
	}

	after_run {
		fmt.Printf("workers=%d size=%d: %d chunks, %d uploads in %d attempts, %d failed\n",
			p.Workers, p.Size, len(p.keys), len(p.uploads), p.attempts, len(result.Failures))
		fmt.Printf("at most %d chunks hashed at once\n", p.peak)
	}
}
