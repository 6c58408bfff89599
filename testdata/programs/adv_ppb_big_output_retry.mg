// Adversarial: process_per_batch workers that emit a lot (3 MB per batch, sent ahead of the
// batch's outcome in many frames) and fail, or crash, after emitting on their first attempt.
// What a failed or crashed attempt emitted is dropped; each value arrives exactly once.
//
// want:
// values=60000 bytes=61440000 dup=false
//
// timeout: 60s
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

pipeline PPBBigOutput {
	param Dir string

	state {
		values int
		bytes  int
		seen   map[string]bool
		dup    bool
	}

	before_run {
		d, err := os.MkdirTemp("", "ppb-big-*")
		if err != nil {
			return err
		}
		p.Dir = d
		p.seen = map[string]bool{}
	}

	producer gen() int {
		for i := 0; i < 20; i++ {
			emit(i)
		}
	}

	processor work(x int) string process_per_batch(max: 2) retry(1) {
		pad := strings.Repeat("x", 1000)
		mark := filepath.Join(p.Dir, strconv.Itoa(x))
		_, err := os.Stat(mark)
		first := err != nil
		if first {
			os.WriteFile(mark, nil, 0o600)
		}
		for i := 0; i < 3000; i++ {
			emit(fmt.Sprintf("%02d:%04d:", x, i) + pad[:1000-8])
		}
		if first && x%3 == 0 {
			return errors.New("fails after emitting")
		}
		if first && x%3 == 1 {
			os.Exit(5)
		}
	}

	consumer total(s string) {
		k := s[:8]
		if p.seen[k] {
			p.dup = true
		}
		p.seen[k] = true
		p.values++
		p.bytes += len(s) + 24
	}

	after_run {
		fmt.Printf("values=%d bytes=%d dup=%v\n", p.values, p.bytes, p.dup)
		os.RemoveAll(p.Dir)
	}
}
