// Package testenv locates the real components integration tests run
// against (the Lambda Runtime Interface Emulator, dynalite) and decides
// what a test does when one is missing: under `make test`
// (PORTCULLIS_INTEGRATION=require) it fails, so CI can never pass by
// skipping; under a plain `go test` it skips, saying how to get the tool.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Required reports whether missing integration components must fail tests.
func Required() bool { return os.Getenv("PORTCULLIS_INTEGRATION") == "require" }

// Tool returns the path of a tool named by environment variable env (as
// `make` exports it), falling back to fallback under the module root and
// then to PATH lookup of name. When none exists the test fails (under
// `make test`) or skips with a message naming the make target.
func Tool(t testing.TB, env, fallback, name string) string {
	t.Helper()
	candidates := []string{os.Getenv(env)}
	if fallback != "" {
		candidates = append(candidates, filepath.Join(ModuleRoot(t), fallback))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	Missing(t, name+" not found (set "+env+" or run `make tools`)")
	return ""
}

// Missing fails or skips the test for a missing component.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if Required() {
		t.Fatalf("integration component missing: %s", msg)
	}
	t.Skipf("skipping: %s", msg)
}

// ModuleRoot returns the repository root (the directory holding go.mod).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testenv: cannot locate the module root")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// RIE returns the path of the Lambda Runtime Interface Emulator.
func RIE(t testing.TB) string {
	t.Helper()
	return Tool(t, "PORTCULLIS_RIE", "build/tools/aws-lambda-rie", "aws-lambda-rie")
}

// Dynalite returns the path of dynalite's cli.js.
func Dynalite(t testing.TB) string {
	t.Helper()
	return Tool(t, "PORTCULLIS_DYNALITE", "scripts/node_modules/dynalite/cli.js", "dynalite")
}

// Handbook returns the team handbook's test material directory
// (../shared/testdata beside the repository), or "" when absent.
func Handbook(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("PORTCULLIS_TESTDATA"); d != "" {
		return d
	}
	d := filepath.Join(ModuleRoot(t), "..", "shared", "testdata")
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}
