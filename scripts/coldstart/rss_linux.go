package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// peakRSS returns the peak resident set size of process pid's address space
// in bytes (VmHWM in /proc/<pid>/status), or -1. It must be read while the
// process lives.
//
// Not getrusage: the ru_maxrss that Wait4 reports for a child started by
// os/exec includes the parent's RSS, because Go starts children with
// clone(CLONE_VM|CLONE_VFORK) and Linux carries the high-water mark of the
// address space left at exec over into ru_maxrss. VmHWM covers only the
// address space the binary got at exec.
func peakRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kib * 1024
		}
	}
	return -1
}
