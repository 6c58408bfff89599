//go:build !linux

package remote

import "os"

// CloseInheritedFDs unsets EnvWorkerCloseFDs (set by a parent on Linux only).
func CloseInheritedFDs(keep ...int) { os.Unsetenv(EnvWorkerCloseFDs) }
