package rie

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts the emulator in a process group of its own (so Close can
// signal everything it runs) and kills it if the parent dies (a crashed test
// binary leaves no emulator behind; the Go bootstrap exits by itself when
// its Runtime API goes away).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func terminate(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGTERM) }

func killGroup(pgid int) { _ = syscall.Kill(-pgid, syscall.SIGKILL) }

// listening reports whether process pid holds a listening TCP socket on
// 127.0.0.1 for every port.
func listening(pid int, ports ...int) (bool, error) {
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false, err
	}
	want := make(map[string]int, len(ports)) // "0100007F:1F90" -> port
	for _, p := range ports {
		want[fmt.Sprintf("0100007F:%04X", p)] = p
	}
	inodes := map[string]int{} // socket inode -> port
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "0A" { // 0A: TCP_LISTEN
			continue
		}
		if p, ok := want[f[1]]; ok {
			inodes[f[9]] = p
		}
	}
	if len(inodes) < len(ports) {
		return false, nil
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false, nil // the process is gone or not yet exec'd; its exit is seen elsewhere
	}
	found := map[int]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if p, ok := inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")]; ok {
			found[p] = true
		}
	}
	return len(found) == len(ports), nil
}

// childGroups returns the process groups of pid's children that are not
// pid's own group (the emulator starts the bootstrap with Setpgid).
func childGroups(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var groups []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces and parens.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 {
			continue
		}
		ppid, err1 := strconv.Atoi(f[1])
		pgrp, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || ppid != pid || pgrp == pid || child == pid {
			continue
		}
		groups = append(groups, pgrp)
	}
	return groups
}
