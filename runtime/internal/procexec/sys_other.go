//go:build !unix

package procexec

import (
	"errors"
	"os"
	"syscall"
)

func workerPipe(bool) (*os.File, *os.File, error) { return nil, nil, processSupport() }

func processSupport() error {
	return errors.New("worker processes are supported on Linux and macOS only")
}

func closeOnExecAll() {}

func workerAttr() *syscall.SysProcAttr { return nil }

func setNonblock(int) {}

func killGroup(int) {}

type page struct{ file *os.File }

func newPage(string) *page                { return nil }
func mapPage(int) *page                   { return nil }
func (p *page) set(uint64)                {}
func (p *page) clear()                    {}
func (p *page) running() (uint64, uint64) { return 0, 0 }
func (p *page) reset()                    {}
func (p *page) close()                    {}

// signaled: process strategies run on unix only.
func signaled(*os.ProcessState) bool { return false }

// inheritedFDs lists the descriptors a worker inherits but must not keep: none here.
func inheritedFDs() string { return "" }
