package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/scripts/rie/rietest"
)

var update = flag.Bool("update", false, "rewrite the golden outputs in events/jwt/golden")

const fixtureDir = "../../events/jwt"

func policyEnv(path string) func(string) string {
	return func(k string) string {
		if k == "PORTCULLIS_POLICY" {
			return path
		}
		return ""
	}
}

// answer is what a Lambda invocation returns, in the form golden files
// keep: the payload, or the function error's message.
func answer(payload []byte, errMsg string) []byte {
	var b []byte
	if errMsg != "" {
		b, _ = json.MarshalIndent(map[string]string{"errorMessage": errMsg}, "", "  ")
	} else {
		var buf bytes.Buffer
		if err := json.Indent(&buf, payload, "", "  "); err != nil {
			return append([]byte("not JSON: "), payload...)
		}
		b = buf.Bytes()
	}
	return append(b, '\n')
}

func fixtures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s (%v)", fixtureDir, err)
	}
	sort.Strings(files)
	return files
}

func goldenPath(fixture string) string {
	return filepath.Join(fixtureDir, "golden", filepath.Base(fixture))
}

// TestFixtures runs every fixture in events/jwt through the real handler
// and compares the answer with its golden output.
func TestFixtures(t *testing.T) {
	h, err := newHandler(t.Context(), policyEnv("../../events/policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			event, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			payload, invokeErr := h.Invoke(context.Background(), event)
			msg := ""
			if invokeErr != nil {
				msg = invokeErr.Error()
			}
			got := answer(payload, msg)
			gp := goldenPath(file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(gp), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(gp, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gp)
			if err != nil {
				t.Fatalf("golden output missing (run go test -update): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("answer differs from %s (-want +got):\n%s", gp, diff)
			}
		})
	}
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
	for _, file := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			event, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := emu.Invoke(t.Context(), event)
			if err != nil {
				t.Fatal(err)
			}
			got := answer(res.Payload, res.FunctionError)
			want, err := os.ReadFile(goldenPath(file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("bootstrap under the emulator differs from the in-process handler (-want +got):\n%s", diff)
			}
		})
	}
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
