//go:build !unix

package mgrt

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
)

func processSupport() error {
	return errors.New("worker processes are supported on Linux and macOS only")
}

func closeOnExecAll() {}

func workerAttr() *syscall.SysProcAttr { return nil }

func ignoreSignals() {
	c := make(chan os.Signal, 4)
	signal.Notify(c, os.Interrupt)
	go func() {
		for range c {
		}
	}()
}

func setNonblock(int) {}
