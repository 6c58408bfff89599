//go:build unix && !linux

package mgrt

func cloexecRange() bool { return false }
