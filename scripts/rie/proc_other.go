//go:build !linux

package rie

import (
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// The emulator runs on Linux only; on other systems this package compiles
// (so the repository builds everywhere) and degrades: readiness is a TCP
// dial, Close kills the emulator process alone.

func sysProcAttr() *syscall.SysProcAttr { return nil }

func terminate(p *os.Process) { _ = p.Signal(os.Interrupt) }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

func listening(_ int, ports ...int) (bool, error) {
	for _, p := range ports {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), 100*time.Millisecond)
		if err != nil {
			return false, nil
		}
		c.Close()
	}
	return true, nil
}

func childGroups(int) []int { return nil }
