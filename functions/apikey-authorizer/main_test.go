package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis-authz/portcullis/scripts/fixtures/goldentest"
	"github.com/portcullis-authz/portcullis/scripts/rie/rietest"
)

const (
	fixtureDir = "../../events/apikey"
	policyPath = "../../events/policy.yaml"
	// seedRel is the development seed file, relative to the policy file.
	seedRel = "seed.json"
)

func testEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func localEnv() func(string) string {
	return testEnv(map[string]string{"PORTCULLIS_POLICY": policyPath, EnvSeed: seedRel})
}

// TestFixtures runs every fixture in events/apikey through the real
// handler (seeded in-memory store) and compares the answer with its
// golden output (-update rewrites them).
func TestFixtures(t *testing.T) {
	h, err := newHandler(t.Context(), localEnv())
	if err != nil {
		t.Fatal(err)
	}
	goldentest.Run(t, fixtureDir, "the in-process handler", true, goldentest.Handler(h))
}

// TestOutcomes pins the outcome table on the goldens, so that -update
// cannot silently bless a wrong answer: 401s are the error
// "Unauthorized", 403s deny, allows carry the usage key (REST) and the
// key's principal in the context.
func TestOutcomes(t *testing.T) {
	const usageKey = "6TMJvIG1EnmRsUSLvThtpT9Gy15MzEPQLMsCan3G"
	unauthorized := []string{"rest-request-missing-key", "rest-request-malformed-key", "rest-request-mistyped-key",
		"rest-request-unknown-key", "rest-request-live-key-at-test-authorizer", "rest-request-revoked-key",
		"rest-request-suspended-key", "rest-request-expired-key", "rest-request-rotated-key-after-grace",
		"rest-request-key-in-query", "http-v2-missing-key", "http-v2-revoked-key"}
	denied := map[string]string{
		"rest-request-insufficient-scope": "insufficient_scope", "rest-request-cidr-denied": "source_ip_not_allowed",
		"rest-request-cidr-spoofed-forwarded-for": "source_ip_not_allowed", "rest-request-unlisted-route": "no_route",
		"http-v2-insufficient-scope": "insufficient_scope", "http-v2-cidr-denied": "source_ip_not_allowed",
	}
	allowed := map[string]string{ // fixture -> key id
		"rest-request-valid": "xPCBE6gDZFfA", "rest-token-valid": "xPCBE6gDZFfA", "http-v2-valid": "xPCBE6gDZFfA",
		"rest-request-cidr-allowed": "lq4Tk2VgiYLe", "rest-request-rotated-key-in-grace": "V21OsmTJPWbH",
	}
	seen := map[string]bool{}
	for _, file := range goldentest.Files(t, fixtureDir) {
		name := goldentest.Name(file)
		seen[name] = true
		b := goldentest.Golden(t, file)
		var got struct {
			ErrorMessage   string `json:"errorMessage"`
			PolicyDocument struct {
				Statement []struct {
					Effect   string
					Resource []string
				}
			} `json:"policyDocument"`
			Context            map[string]any `json:"context"`
			UsageIdentifierKey string         `json:"usageIdentifierKey"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch {
		case contains(unauthorized, name):
			if got.ErrorMessage != "Unauthorized" {
				t.Errorf("%s: %s, want the error Unauthorized (401)", name, b)
			}
		case denied[name] != "":
			if got.Context["reason"] != denied[name] || got.UsageIdentifierKey != "" || got.ErrorMessage != "" {
				t.Errorf("%s: reason %v usage key %q, want a denial for %s without a usage key", name, got.Context["reason"], got.UsageIdentifierKey, denied[name])
			}
		case allowed[name] != "":
			if got.Context["credential_id"] != allowed[name] || got.Context["iss"] != "apikey" || got.Context["scope"] != "reports:read" ||
				got.Context["sub"] == nil || len(got.PolicyDocument.Statement) == 0 || got.PolicyDocument.Statement[0].Effect != "Allow" {
				t.Errorf("%s: %s; want an Allow with key %s's principal in the context", name, b, allowed[name])
			}
			wantUsage := usageKey
			if strings.HasPrefix(name, "http-") || allowed[name] != "xPCBE6gDZFfA" {
				wantUsage = "" // HTTP APIs have no usage plans; other keys have no plan
			}
			if got.UsageIdentifierKey != wantUsage {
				t.Errorf("%s: usageIdentifierKey %q, want %q", name, got.UsageIdentifierKey, wantUsage)
			}
		default:
			t.Errorf("fixture %s has no expected outcome in TestOutcomes", name)
		}
		for _, k := range []string{"pcl_test_", "pcl_live_"} {
			if strings.Contains(string(b), k) {
				t.Errorf("%s: the answer contains an API key", name)
			}
		}
	}
	for _, n := range append(unauthorized, keys(denied, allowed)...) {
		if !seen[n] {
			t.Errorf("expected fixture %s is missing", n)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func keys(ms ...map[string]string) []string {
	var out []string
	for _, m := range ms {
		for k := range m {
			out = append(out, k)
		}
	}
	return out
}

// TestEmulator runs the built bootstrap under the Lambda Runtime Interface
// Emulator and checks it answers every fixture exactly as the in-process
// handler's golden output says.
func TestEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("emulator test: not in -short mode")
	}
	files := map[string]string{}
	for name, src := range map[string]string{
		"policy.yaml": "policy.yaml", "dev-jwks.json": "dev-jwks.json",
		"dev-apikey-pepper.txt": "dev-apikey-pepper.txt", "seed.json": seedRel,
	} {
		b, err := os.ReadFile(filepath.Join("../../events", src))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	emu := rietest.Start(t, "apikey-authorizer", files, map[string]string{EnvSeed: "seed.json"})
	goldentest.Run(t, fixtureDir, "the bootstrap under the emulator", false, goldentest.Emulator(emu))
}

// TestColdStartFailsClosed: a broken policy, a missing pepper or no key
// store stops the cold start with a message saying what is wrong.
func TestColdStartFailsClosed(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nauthorizers: {apikey: {cache_ttl: 2h}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noPepper := filepath.Join(dir, "nopepper.yaml")
	if err := os.WriteFile(noPepper, []byte("version: 1\nauthorizers: {apikey: {pepper: {file: missing.txt}}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		env     map[string]string
		mention string
	}{
		"invalid policy":   {map[string]string{"PORTCULLIS_POLICY": bad}, "cache_ttl"},
		"missing policy":   {map[string]string{"PORTCULLIS_POLICY": filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		"missing pepper":   {map[string]string{"PORTCULLIS_POLICY": noPepper, EnvSeed: "x.json"}, "pepper"},
		"no store":         {map[string]string{"PORTCULLIS_POLICY": policyPath}, "PORTCULLIS_APIKEYS_TABLE"},
		"missing seed":     {map[string]string{"PORTCULLIS_POLICY": policyPath, EnvSeed: "nope.json"}, "nope.json"},
		"no apikey config": {map[string]string{"PORTCULLIS_POLICY": jwtOnly(t, dir)}, "authorizers.apikey"},
	} {
		_, err := newHandler(t.Context(), testEnv(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: newHandler error = %v, want one mentioning %q", name, err, tc.mention)
		}
	}
}

func jwtOnly(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile("../../events/dev-jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "jwt.yaml")
	policy := "version: 1\nissuers:\n  - {name: a, issuer: 'https://idp.example', audiences: [x], algorithms: [ES256], jwks: {file: jwks.json}}\nauthorizers: {jwt: {}}\n"
	if err := os.WriteFile(p, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNoCDKInBinary keeps the CDK, jsii, the infra code and the scripts
// out of the function binary.
func TestNoCDKInBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/aws/aws-cdk-go", "github.com/aws/jsii-runtime-go", "github.com/aws/constructs-go",
			"github.com/cdklabs/", "github.com/portcullis-authz/portcullis/infra", "github.com/portcullis-authz/portcullis/scripts",
			"github.com/aws/aws-sdk-go-v2/service/apigateway"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("function binary links %s", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/portcullis-authz/portcullis/shared/dynamostore") {
		t.Errorf("go list -deps output does not look right:\n%s", out)
	}
}
