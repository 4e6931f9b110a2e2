package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// runOnce runs the command to completion (a server that starts is
// stopped after a moment) and returns its exit code and output.
func runOnce(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := &app{stdout: &out, stderr: &errOut, getenv: envFunc(nil), now: time.Now, ready: func(*server) { cancel() }}
	code := a.run(ctx, args)
	return code, out.String(), errOut.String()
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("version: 2\nsurprise: true\nauthorizers:\n  jwt:\n    cache_ttl: 2h\nroutes:\n  GET /x:\n    scopes: [nope]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badSeed := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(badSeed, []byte(`{"keys":[{"key":"`+keyBronze+`","owner":"o","scopes":["reports:write"],"usage_plan":"platinum"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	policy := devPolicy(t)

	tests := []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"unknown flag", []string{"--frobnicate"}, exitUsage, []string{"flag provided but not defined: -frobnicate", "help"}},
		{"unknown command", []string{"serve"}, exitUsage, []string{`unknown command "serve"`}},
		{"stray argument", []string{"--policy", policy, "extra"}, exitUsage, []string{`unexpected argument "extra"`}},
		{"missing policy", []string{"--policy", filepath.Join(dir, "absent.yaml")}, exitUsage, []string{"absent.yaml does not exist"}},
		// Every problem of an invalid policy is listed at once.
		{"invalid policy", []string{"--policy", broken}, exitUsage, []string{"version", "surprise", "cache_ttl", "issuers"}},
		{"port in use", []string{"--policy", policy, "--port", busyPort}, exitUsage, []string{"127.0.0.1:" + busyPort + " is already in use", "--port"}},
		{"bad port", []string{"--policy", policy, "--port", "70000"}, exitUsage, []string{"--port must be between 0 and 65535"}},
		{"bad addr", []string{"--policy", policy, "--addr", "nowhere"}, exitUsage, []string{`--addr "nowhere" is not HOST:PORT`}},
		{"dev IdP off loopback", []string{"--policy", policy, "--addr", "0.0.0.0:0"}, exitUsage, []string{"not a loopback address", "--dev-idp none"}},
		{"bad api", []string{"--policy", policy, "--api", "soap"}, exitUsage, []string{"--api must be rest or http"}},
		{"unknown dev issuer", []string{"--policy", policy, "--dev-idp", "okta", "--port", "0"}, exitUsage, []string{`no issuer named "okta"`}},
		{"seed that does not fit the policy", []string{"--policy", policy, "--seed", badSeed, "--port", "0"}, exitUsage,
			[]string{`scope "reports:write" is not in the policy's scopes`, `usage plan "platinum" is not in the policy's usage_plans`}},
		{"missing seed", []string{"--policy", policy, "--seed", filepath.Join(dir, "none.json"), "--port", "0"}, exitUsage, []string{"none.json"}},
		{"table without endpoint", []string{"--policy", policy, "--table", "T"}, exitUsage, []string{"--table needs --dynamodb-endpoint"}},
		{"bad table name", []string{"--policy", policy, "--dynamodb-endpoint", "http://127.0.0.1:1", "--table", "t1"}, exitUsage, []string{`--table "t1" is not a DynamoDB table name`}},
		{"bad dynamodb endpoint", []string{"--policy", policy, "--dynamodb-endpoint", "dynalite", "--port", "0"}, exitUsage, []string{"is not an http(s) URL"}},
		{"token: bad ttl", []string{"token", "--policy", policy, "--ttl", "48h"}, exitUsage, []string{"ttl 48h0m0s is not between"}},
		{"token: unknown flag", []string{"token", "--scopes", "x"}, exitUsage, []string{"-scopes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runOnce(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestInvalidPolicyListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(broken, []byte("version: 2\nsurprise: true\nauthorizers:\n  jwt:\n    cache_ttl: 2h\nroutes:\n  GET /x:\n    scopes: [nope]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, loadErr := config.Load(broken)
	code, _, stderr := runOnce(t, "--policy", broken)
	if code != exitUsage || loadErr == nil || !strings.Contains(stderr, loadErr.Error()) {
		t.Errorf("exit %d; stderr:\n%s\nwant the config package's full report:\n%v", code, stderr, loadErr)
	}
}

func TestHelpAndToken(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"token", "-h"}} {
		code, stdout, _ := runOnce(t, args...)
		if code != exitOK || !strings.Contains(stdout, "--dynamodb-endpoint") {
			t.Errorf("%v: exit %d, usage printed: %v", args, code, strings.Contains(stdout, "usage"))
		}
	}
	code, stdout, stderr := runOnce(t, "token", "--policy", devPolicy(t), "--sub", "erin", "--scope", "orders:read orders:write", "--groups", "admin,ops", "--amr", "pwd,mfa", "--ttl", "10m")
	if code != exitOK {
		t.Fatalf("token: exit %d: %s", code, stderr)
	}
	tok := strings.TrimSpace(stdout)
	if strings.Count(tok, ".") != 2 || strings.Contains(tok, "\n") {
		t.Fatalf("token printed %q, want one compact JWT", stdout)
	}
	// The printed token opens the gateway.
	g := start(t, nil)
	if r := do(t, "POST", g.URL+"/orders", bearer(tok)...); r.status != 200 || r.authorizerCtx()["sub"] != "erin" || r.authorizerCtx()["roles"] != "admin ops" {
		t.Errorf("POST /orders with the CLI token: %v", r)
	}
}
