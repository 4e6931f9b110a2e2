//go:build unix

package jwtauth

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user+system CPU time. Benchmarks report it
// per operation ("cpu-ns/op") beside the wall clock, because on a shared
// machine the wall clock also counts time spent waiting for a CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
