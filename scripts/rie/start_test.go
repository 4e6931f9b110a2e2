package rie_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/scripts/rie"
)

// script writes an executable shell script standing in for the emulator.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-rie")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// taskRoot returns a task root whose bootstrap is an executable stub.
func taskRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStartRejectsBadOptions(t *testing.T) {
	t.Parallel()
	emulator := script(t, "exit 0")
	root := taskRoot(t)
	notExec := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		emulator string
		opts     rie.Options
		want     string
	}{
		{"no task root", emulator, rie.Options{}, "need Dir or Bootstrap"},
		{"missing task root", emulator, rie.Options{Dir: filepath.Join(root, "nope")}, "task root"},
		{"missing bootstrap", emulator, rie.Options{Dir: t.TempDir()}, "bootstrap"},
		{"bootstrap not executable", emulator, rie.Options{Bootstrap: notExec}, "not an executable"},
		{"missing emulator", filepath.Join(root, "aws-lambda-rie"), rie.Options{Dir: root}, "emulator"},
		{"sub-second timeout", emulator, rie.Options{Dir: root, Timeout: 500 * time.Millisecond}, "whole seconds"},
		{"managed-instances mode", emulator, rie.Options{Dir: root, Env: map[string]string{"AWS_LAMBDA_MAX_CONCURRENCY": "4"}}, "managed-instances"},
	}
	for _, tt := range tests {
		e, err := rie.Start(t.Context(), tt.emulator, tt.opts)
		if err == nil {
			e.Close()
			t.Errorf("%s: Start = nil error, want one mentioning %q", tt.name, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Start error %q, want it to mention %q", tt.name, err, tt.want)
		}
	}
}

func TestStartSurfacesEmulatorFailure(t *testing.T) {
	t.Parallel()
	emulator := script(t, `echo "FATA[0000] bad runtime-api-address" >&2; exit 3`)
	_, err := rie.Start(t.Context(), emulator, rie.Options{Dir: taskRoot(t)})
	if !errors.Is(err, rie.ErrExited) {
		t.Fatalf("Start = %v, want ErrExited", err)
	}
	if !strings.Contains(err.Error(), "bad runtime-api-address") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Start error %q, want the emulator's stderr and exit status in it", err)
	}
}

func TestStartRetriesWhenAPortWasTaken(t *testing.T) {
	t.Parallel()
	count := filepath.Join(t.TempDir(), "attempts")
	emulator := script(t, `echo x >> "`+count+`"; echo "listen tcp 127.0.0.1:9001: bind: address already in use" >&2; exit 2`)
	_, err := rie.Start(t.Context(), emulator, rie.Options{Dir: taskRoot(t)})
	if !errors.Is(err, rie.ErrExited) {
		t.Fatalf("Start = %v, want ErrExited", err)
	}
	b, _ := os.ReadFile(count)
	if got, want := strings.Count(string(b), "x"), 4; got != want {
		t.Errorf("emulator started %d times, want %d attempts", got, want)
	}
}

func TestStartTimesOutAndKillsTheEmulator(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	emulator := script(t, `echo $$ > "`+pidFile+`"; exec sleep 60`)
	_, err := rie.Start(t.Context(), emulator, rie.Options{Dir: taskRoot(t), StartTimeout: 300 * time.Millisecond})
	if !errors.Is(err, rie.ErrNotReady) {
		t.Fatalf("Start = %v, want ErrNotReady", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}
