// Package rietest starts real function binaries under the Lambda Runtime
// Interface Emulator from tests: it builds the function's host bootstrap
// into the test's temporary directory, stages a task root beside it, finds
// the emulator with testenv.RIE (a missing emulator fails the test under
// `make test` and skips it otherwise) and stops everything at cleanup.
package rietest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portcullis-authz/portcullis/scripts/rie"
	"github.com/portcullis-authz/portcullis/scripts/testenv"
)

// EchoPackage is the test-only function that echoes its event (see
// scripts/rie/testdata/echo): an event {"fail": "Unauthorized"} makes it
// return errors.New("Unauthorized").
const EchoPackage = "./scripts/rie/testdata/echo"

// Start runs functions/<fn> under the emulator; see StartPackage.
func Start(t testing.TB, fn string, files, env map[string]string) *rie.Emulator {
	t.Helper()
	return StartPackage(t, "./functions/"+fn, files, env)
}

// StartPackage builds the Go package pkg (relative to the module root) as a
// host bootstrap into a fresh task root, writes files into it (relative
// path -> content; e.g. "policy.yaml", which functions read beside their
// binary), and starts it under the emulator with env added to the Lambda
// environment (rie.LambdaEnv). The function is named after the package's
// last element. The emulator's output is logged if the test fails.
func StartPackage(t testing.TB, pkg string, files, env map[string]string) *rie.Emulator {
	t.Helper()
	emulator := testenv.RIE(t)
	root := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	Build(t, pkg, filepath.Join(root, "bootstrap"))
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if filepath.IsAbs(name) || !strings.HasPrefix(p, root+string(filepath.Separator)) {
			t.Fatalf("rietest: file %q must be a relative path inside the task root", name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, err := rie.Start(t.Context(), emulator, rie.Options{Dir: root, Env: env})
	if err != nil {
		t.Fatalf("rietest: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("rietest: %v", err)
		}
		if t.Failed() {
			t.Logf("emulator output (%s):\n%s", pkg, e.Output())
		}
	})
	return e
}

// Build compiles the Go package pkg (relative to the module root) for the
// host with the function build flags into out, failing the test on error.
func Build(t testing.TB, pkg, out string) {
	t.Helper()
	if err := rie.Build(t.Context(), testenv.ModuleRoot(t), pkg, out); err != nil {
		t.Fatal(err)
	}
}
