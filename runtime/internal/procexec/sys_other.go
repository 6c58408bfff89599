//go:build !unix

package procexec

import (
	"errors"
	"os"
	"syscall"
	"time"
)

func processSupport() error {
	return errors.New("worker processes are supported on Linux and macOS only")
}

func closeOnExecAll() {}

func workerAttr() *syscall.SysProcAttr { return nil }

func setNonblock(int) {}

func killGroup(int) {}

type page struct{ file *os.File }

func newPage(string) *page                   { return nil }
func mapPage(int) *page                      { return nil }
func (p *page) set(uint64)                   {}
func (p *page) clear()                       {}
func (p *page) running() (uint64, time.Time) { return 0, time.Time{} }
func (p *page) reset()                       {}
func (p *page) close()                       {}
