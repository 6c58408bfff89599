//go:build !unix

package mgrt

import (
	"errors"
	"syscall"
)

func processSupport() error {
	return errors.New("worker processes are supported on Linux and macOS only")
}

func closeOnExecAll() {}

func workerAttr() *syscall.SysProcAttr { return nil }

func setNonblock(int) {}
