package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/scripts/testenv"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clock is a settable clock shared by the gateway, the authorizers and the
// dev IdP of a test server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// running is a gateway started by run() in the test process.
type running struct {
	*server
	clock  *clock
	stdout *syncBuffer
	stderr *syncBuffer
}

func devPolicy(t testing.TB) string {
	return filepath.Join(testenv.ModuleRoot(t), "events", "policy.yaml")
}

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// start runs the gateway on a free loopback port with a settable clock and
// stops it when the test ends. args come after --port 0 and, unless they
// name one, --policy events/policy.yaml.
func start(t testing.TB, env map[string]string, args ...string) *running {
	t.Helper()
	r := &running{clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	ready := make(chan *server, 1)
	a := &app{stdout: r.stdout, stderr: r.stderr, getenv: envFunc(env), now: r.clock.Now, ready: func(s *server) { ready <- s }}
	full := []string{"--port", "0"}
	if !strings.Contains(strings.Join(args, " "), "--policy") {
		full = append(full, "--policy", devPolicy(t))
	}
	full = append(full, args...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- a.run(ctx, full) }()
	select {
	case r.server = <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("gateway %v exited with %d before serving:\n%s", full, code, r.stderr)
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatalf("gateway %v did not start:\n%s", full, r.stderr)
	}
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("gateway exited with %d after cancel:\n%s", code, r.stderr)
		}
	})
	return r
}

type reply struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func (r reply) String() string { return http.StatusText(r.status) + " " + r.body }

func do(t testing.TB, method, url string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	_ = json.Unmarshal(b, &r.json)
	return r
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// authorizerCtx returns the authorizer context the demo backend echoed.
func (r reply) authorizerCtx() map[string]any {
	m, _ := r.json["authorizer"].(map[string]any)
	return m
}

// copyPolicyDir copies the dev policy's directory files the policy names
// into a temp dir, with the policy text rewritten by edit, and returns
// the new policy path.
func copyPolicyDir(t testing.TB, edit func(string) string) string {
	t.Helper()
	src := filepath.Dir(devPolicy(t))
	dir := t.TempDir()
	for _, name := range []string{"dev-jwks.json", "dev-apikey-pepper.txt", "dev-signing-key.pem", "seed.json"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	policy, err := os.ReadFile(devPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	out := edit(string(policy))
	if out == string(policy) && edit != nil {
		t.Fatal("copyPolicyDir: the edit changed nothing")
	}
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
