//go:build !unix

package remote

import "os"

// CloseInheritedFDs unsets EnvWorkerCloseFDs: workers do not run here.
func CloseInheritedFDs(keep ...int) { os.Unsetenv(EnvWorkerCloseFDs) }
