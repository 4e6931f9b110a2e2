package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis-authz/portcullis/scripts/fixtures/goldentest"
	"github.com/portcullis-authz/portcullis/scripts/rie/rietest"
)

const fixtureDir = "../../events/jwt"

func policyEnv(path string) func(string) string {
	return func(k string) string {
		if k == "PORTCULLIS_POLICY" {
			return path
		}
		return ""
	}
}

// TestFixtures runs every fixture in events/jwt through the real handler
// and compares the answer with its golden output (-update rewrites them).
func TestFixtures(t *testing.T) {
	h, err := newHandler(t.Context(), policyEnv("../../events/policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	goldentest.Run(t, fixtureDir, "the in-process handler", true, goldentest.Handler(h))
}

// TestEmulator runs the built bootstrap under the Lambda Runtime Interface
// Emulator and checks it answers every fixture exactly as the in-process
// handler's golden output says.
func TestEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("emulator test: not in -short mode")
	}
	files := map[string]string{}
	for _, name := range []string{"policy.yaml", "dev-jwks.json"} {
		b, err := os.ReadFile(filepath.Join("../../events", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	emu := rietest.Start(t, "jwt-authorizer", files, nil)
	goldentest.Run(t, fixtureDir, "the bootstrap under the emulator", false, goldentest.Emulator(emu))
}

// TestColdStartFailsClosed: a broken policy stops the cold start with a
// message saying what is wrong.
func TestColdStartFailsClosed(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nauthorizers: {jwt: {cache_ttl: 2h}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"invalid": bad, "missing": filepath.Join(dir, "nope.yaml")} {
		if _, err := newHandler(t.Context(), policyEnv(path)); err == nil {
			t.Errorf("%s policy: newHandler succeeded, want an error", name)
		}
	}
}

// TestNoCDKInBinary keeps the CDK, jsii and the infra code out of the
// function binary.
func TestNoCDKInBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/aws/aws-cdk-go", "github.com/aws/jsii-runtime-go", "github.com/aws/constructs-go",
			"github.com/cdklabs/", "github.com/portcullis-authz/portcullis/infra", "github.com/portcullis-authz/portcullis/scripts"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("function binary links %s", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/portcullis-authz/portcullis/shared/jwtauth") {
		t.Errorf("go list -deps output does not look right:\n%s", out)
	}
}
