package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/scripts/testenv"
	"github.com/portcullis-authz/portcullis/shared/dynamostore/dynamostoretest"
)

// buildAdmin builds the admin CLI once per test.
func buildAdmin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "admin")
	cmd := exec.Command("go", "build", "-o", bin, "./scripts/admin")
	cmd.Dir = testenv.ModuleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./scripts/admin: %v\n%s", err, out)
	}
	return bin
}

// admin runs the admin CLI binary and returns its stdout; a non-zero exit
// fails the test.
func admin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return adminEnv(t, bin, nil, args...)
}

// adminEnv is admin with extra environment variables.
func adminEnv(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true", "AWS_ACCESS_KEY_ID=", "AWS_PROFILE=")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("admin %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// TestAPIKeyLifecycle creates a key with the admin CLI in a DynamoDB table
// (dynalite), uses it through the gateway, revokes it, and sees the
// revocation take effect only after the caches expire: API Gateway's
// result cache (1 s here) and the authorizer's record cache (1 s).
func TestAPIKeyLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("needs dynalite; skipped with -short")
	}
	db := dynamostoretest.Start(t)
	bin := buildAdmin(t)
	policy := copyPolicyDir(t, func(s string) string {
		s = strings.Replace(s, "  apikey:\n    cache_ttl: 300s", "  apikey:\n    cache_ttl: 1s\n    cache: {positive_ttl: 1s, negative_ttl: 1s}", 1)
		// Without usage plans the stack does not require API keys on methods,
		// so keys created without --usage-plan (no API Gateway here) work.
		return regexp.MustCompile(`(?s)\nusage_plans:.*?\n(waf:)`).ReplaceAllString(s, "\n$1")
	})
	table := "lifecycle-keys"
	g := start(t, nil, "--policy", policy, "--dynamodb-endpoint", db.Endpoint, "--table", table, "--seed", "none")
	if !strings.Contains(g.stdout.String(), "DynamoDB table "+table) {
		t.Errorf("banner does not name the table:\n%s", g.stdout)
	}
	common := []string{"--endpoint", db.Endpoint, "--table", table, "--policy", policy}
	out := admin(t, bin, append([]string{"keys", "create", "--owner", "lifecycle-partner", "--tenant", "acme", "--scopes", "reports:read", "--env", "test", "--json"}, common...)...)
	var created struct {
		Key    string `json:"key"`
		Record struct {
			ID string `json:"id"`
		} `json:"record"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Key == "" {
		t.Fatalf("keys create --json printed %q (%v)", out, err)
	}
	calls := func() int64 { return g.Gateway.Invocations("apikey") }
	get := func() reply { return do(t, "GET", g.URL+"/reports/1", "x-api-key", created.Key) }

	steps := []struct {
		name    string
		action  func()
		advance time.Duration
		status  int
		calls   int64
	}{
		{"new key works", nil, 0, 200, 1},
		{"served from the result cache", nil, 0, 200, 1},
		{"revoked, still cached", func() { admin(t, bin, append([]string{"keys", "revoke", created.Record.ID}, common...)...) }, 0, 200, 1},
		{"after the TTL: 401", nil, time.Second, 401, 2},
		{"401 is not cached", nil, 0, 401, 3},
	}
	for _, s := range steps {
		if s.action != nil {
			s.action()
		}
		g.clock.Add(s.advance)
		r := get()
		if r.status != s.status || calls() != s.calls {
			t.Fatalf("%s: %v with %d invocations, want %d and %d", s.name, r, calls(), s.status, s.calls)
		}
		if s.status == 200 && r.authorizerCtx()["sub"] != "lifecycle-partner" {
			t.Errorf("%s: context %v", s.name, r.authorizerCtx())
		}
	}

	// Suspend and resume a second key.
	out = admin(t, bin, append([]string{"keys", "create", "--owner", "second", "--scopes", "reports:read", "--env", "test", "--json"}, common...)...)
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatal(err)
	}
	if r := get(); r.status != 200 {
		t.Fatalf("second key: %v", r)
	}
	admin(t, bin, append([]string{"keys", "suspend", created.Record.ID}, common...)...)
	g.clock.Add(time.Second)
	if r := get(); r.status != 401 {
		t.Fatalf("suspended: %v", r)
	}
	admin(t, bin, append([]string{"keys", "resume", created.Record.ID}, common...)...)
	g.clock.Add(time.Second)
	if r := get(); r.status != 200 {
		t.Fatalf("resumed: %v", r)
	}
}

// TestDynamoSeeded starts the gateway on an empty DynamoDB endpoint: it
// creates the table, writes the seed keys, and meters them by the usage
// plans their records name. A second start writes nothing.
func TestDynamoSeeded(t *testing.T) {
	if testing.Short() {
		t.Skip("needs dynalite; skipped with -short")
	}
	db := dynamostoretest.Start(t)
	g := start(t, nil, "--dynamodb-endpoint", db.Endpoint, "--table", "seeded")
	n := seedKeyCount(t)
	if !strings.Contains(g.stdout.String(), fmt.Sprintf("%d keys from", n)) || !strings.Contains(g.stdout.String(), fmt.Sprintf("(%d written now)", n)) {
		t.Errorf("banner:\n%s", g.stdout)
	}
	for key, want := range map[string]int{keyBronze: 200, keyRevoked: 401, keyNoScope: 403} {
		if r := do(t, "GET", g.URL+"/reports/2", "x-api-key", key); r.status != want {
			t.Errorf("key %s…: %v, want %d", key[:21], r, want)
		}
	}
	again := start(t, nil, "--dynamodb-endpoint", db.Endpoint, "--table", "seeded")
	if !strings.Contains(again.stdout.String(), "(0 written now)") {
		t.Errorf("second start re-seeded:\n%s", again.stdout)
	}
	if r := do(t, "GET", again.URL+"/reports/2", "x-api-key", keyBronze); r.status != 200 {
		t.Errorf("second gateway: %v", r)
	}
}

// TestAPIKeyWithUsagePlan creates a key with `keys create --usage-plan`:
// the admin CLI creates the API Gateway API key and attaches it to the
// plan through the gateway's emulated control plane
// (AWS_ENDPOINT_URL_API_GATEWAY), so the key is metered by the plan's
// throttle like in AWS. Revocation shows after the dev policy's 5 m TTL.
func TestAPIKeyWithUsagePlan(t *testing.T) {
	if testing.Short() {
		t.Skip("needs dynalite; skipped with -short")
	}
	db := dynamostoretest.Start(t)
	bin := buildAdmin(t)
	g := start(t, nil, "--dynamodb-endpoint", db.Endpoint, "--table", "planned", "--seed", "none")
	if !strings.Contains(g.stdout.String(), "AWS_ENDPOINT_URL_API_GATEWAY="+g.URL) {
		t.Errorf("banner does not show the admin command:\n%s", g.stdout)
	}
	common := []string{"--endpoint", db.Endpoint, "--table", "planned", "--policy", devPolicy(t)}
	env := []string{"AWS_ENDPOINT_URL_API_GATEWAY=" + g.URL}
	out := adminEnv(t, bin, env, append([]string{"keys", "create", "--owner", "metered", "--scopes", "reports:read", "--env", "test", "--usage-plan", "bronze", "--json"}, common...)...)
	var created struct {
		Key    string `json:"key"`
		Record struct {
			ID        string `json:"id"`
			UsagePlan string `json:"usage_plan"`
		} `json:"record"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Record.UsagePlan != "bronze" {
		t.Fatalf("keys create --usage-plan printed %q (%v)", out, err)
	}
	// bronze: burst 20 with the clock standing still.
	for i := range 20 {
		if r := do(t, "GET", g.URL+"/reports/3", "x-api-key", created.Key); r.status != 200 {
			t.Fatalf("request %d: %v", i+1, r)
		}
	}
	if r := do(t, "GET", g.URL+"/reports/3", "x-api-key", created.Key); r.status != 429 {
		t.Fatalf("request 21: %v, want 429", r)
	}
	// A key created without a usage plan authenticates but API Gateway
	// refuses it: the methods require an API key.
	out = admin(t, bin, append([]string{"keys", "create", "--owner", "unmetered", "--scopes", "reports:read", "--env", "test", "--json"}, common...)...)
	var plain struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal([]byte(out), &plain); err != nil {
		t.Fatal(err)
	}
	if r := do(t, "GET", g.URL+"/reports/3", "x-api-key", plain.Key); r.status != 403 || r.json["message"] != "Forbidden" {
		t.Errorf("key without a usage plan: %v, want 403 Forbidden", r)
	}
	admin(t, bin, append([]string{"keys", "revoke", created.Record.ID}, common...)...)
	g.clock.Add(5 * time.Minute) // the result cache and the record cache expire; the bucket refills
	if r := do(t, "GET", g.URL+"/reports/3", "x-api-key", created.Key); r.status != 401 {
		t.Errorf("revoked key after the TTL: %v, want 401", r)
	}
}

// seedKeyCount is the number of keys in the development seed file.
func seedKeyCount(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile("../../events/seed.json")
	if err != nil {
		t.Fatal(err)
	}
	var seed struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &seed); err != nil || len(seed.Keys) == 0 {
		t.Fatalf("events/seed.json: %d keys, %v", len(seed.Keys), err)
	}
	return len(seed.Keys)
}
