//go:build !unix

package jwtauth

import "time"

// cpuTime is unavailable here; benchmarks then report no cpu-ns/op.
func cpuTime() time.Duration { return 0 }
