package rie

import (
	"flag"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTailKeepsTheEnd(t *testing.T) {
	tl := &tail{max: 8}
	for _, s := range []string{"abc", "defgh", "ijk"} {
		if n, err := tl.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got, want := tl.String(), "defghijk"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	tl.Write([]byte("0123456789"))
	if got, want := tl.String(), "23456789"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestListening(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp on this system")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	free, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		pid   int
		ports []int
		want  bool
	}{
		{"ours", os.Getpid(), []int{port}, true},
		{"one of two not listening", os.Getpid(), []int{port, free[0]}, false},
		{"another process", os.Getppid(), []int{port}, false},
	}
	for _, tt := range tests {
		got, err := listening(tt.pid, tt.ports...)
		if err != nil {
			t.Fatalf("%s: listening: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: listening(%d, %v) = %v, want %v", tt.name, tt.pid, tt.ports, got, tt.want)
		}
	}
}

func TestFreePortsDiffer(t *testing.T) {
	ports, err := freePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p == 0 || seen[p] {
			t.Fatalf("freePorts(3) = %v, want three distinct ports", ports)
		}
		seen[p] = true
	}
}

func TestEnvFlag(t *testing.T) {
	f := EnvFlag{}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	fs.Var(f, "env", "")
	if err := fs.Parse([]string{"--env", "B=2", "--env", "A=x=y", "--env", "EMPTY="}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string(f), map[string]string{"A": "x=y", "B": "2", "EMPTY": ""}); diff != "" {
		t.Errorf("parsed env mismatch (-got +want):\n%s", diff)
	}
	if got, want := f.String(), "A=x=y B=2 EMPTY="; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, bad := range []string{"NOVALUE", "=v", "A B=c"} {
		if err := f.Set(bad); err == nil {
			t.Errorf("Set(%q) = nil, want an error", bad)
		}
	}
}

func TestLambdaEnv(t *testing.T) {
	env := LambdaEnv("fn", "/var/task")
	for k, want := range map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "fn", "LAMBDA_TASK_ROOT": "/var/task", "_HANDLER": "bootstrap",
		"AWS_REGION": DefaultRegion, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": DefaultMemorySize,
	} {
		if got := env[k]; got != want {
			t.Errorf("LambdaEnv()[%s] = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_MAX_CONCURRENCY", "AWS_LAMBDA_RUNTIME_API"} {
		if v, ok := env[k]; ok {
			t.Errorf("LambdaEnv() sets %s=%q; credentials and the Runtime API come from elsewhere", k, v)
		}
	}
}
