// Package procexec is the os/exec transport of worker stages: worker processes that are this
// same executable started again (DESIGN 3.3), for process_per_batch (a fresh process per
// item) and processes(N) (a pool of persistent processes), talking to their stage over
// pipes in the wire format of package remote.
package procexec

import (
	"errors"
	"fmt"

	"github.com/minigun-go/minigun/runtime/internal/engine"
	"github.com/minigun-go/minigun/runtime/internal/remote"
)

// Transport runs the items of process_per_batch and processes stages in worker processes.
var Transport remote.Transport = transport{}

type transport struct{}

// Check reports why the stage's workers cannot run here.
func (transport) Check(spec engine.StageSpec) error {
	if err := processSupport(); err != nil {
		return err
	}
	s := spec.Strategy
	if s.N < 1 {
		return errors.New("needs at least one process")
	}
	switch s.Kind {
	case engine.ProcessPerBatch:
		if s.IPC != "" && s.IPC != "pipe" && s.IPC != "tempfile" {
			return fmt.Errorf("unknown ipc %q (want pipe or tempfile)", s.IPC)
		}
	case engine.Processes:
		if s.Recycle < 0 {
			return fmt.Errorf("recycle %d is negative", s.Recycle)
		}
	default:
		return fmt.Errorf("the os/exec transport does not run %s stages", s.Kind)
	}
	return nil
}

// Slots is the strategy's N: a worker slot each.
func (transport) Slots(spec engine.StageSpec) int { return max(spec.Strategy.N, 1) }

// Open starts serving a run of the stage.
func (transport) Open(run remote.Run) (remote.Session, error) {
	if run.Spec().Strategy.Kind == engine.ProcessPerBatch {
		return openPerBatch(run)
	}
	return openPool(run)
}
