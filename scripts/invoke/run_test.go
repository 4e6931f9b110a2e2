package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/scripts/rie/rietest"
	"github.com/portcullis-authz/portcullis/scripts/testenv"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func noenv(string) string { return "" }

type outcome struct {
	code           int
	stdout, stderr string
}

func runInvoke(t *testing.T, stdin string, getenv func(string) string, args ...string) outcome {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr, getenv)
	return outcome{code, stdout.String(), stderr.String()}
}

func TestUsageErrors(t *testing.T) {
	event := writeFile(t, "event.json", `{"type":"TOKEN"}`)
	badJSON := writeFile(t, "bad.json", `{"type":`)
	bootstrap := writeFile(t, "bootstrap", "#!/bin/sh\n")
	missing := filepath.Join(t.TempDir(), "missing.json")
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no flags", nil, "--fn is required"},
		{"unknown flag", []string{"--fn", "x", "--frobnicate"}, "flag provided but not defined: -frobnicate"},
		{"positional argument", []string{"--fn", "x", "--event", event, "extra"}, `unexpected argument "extra"`},
		{"no event", []string{"--fn", "x"}, "--event is required"},
		{"unknown function", []string{"--fn", "no-such-authorizer", "--event", event}, `unknown function "no-such-authorizer": no Go package in functions/no-such-authorizer`},
		{"function path outside functions/", []string{"--fn", "../scripts", "--event", event}, "unknown function"},
		{"missing event file", []string{"--fn", "x", "--bootstrap", bootstrap, "--event", missing}, "--event: open " + missing},
		{"invalid JSON event", []string{"--fn", "x", "--bootstrap", bootstrap, "--event", badJSON}, "event " + badJSON + " is not valid JSON: unexpected end of JSON input"},
		{"invalid JSON on stdin", []string{"--fn", "x", "--bootstrap", bootstrap, "--event", "-"}, "event stdin is not valid JSON"},
		{"missing bootstrap", []string{"--fn", "x", "--bootstrap", missing, "--event", event}, "--bootstrap: stat " + missing},
		{"missing policy", []string{"--fn", "x", "--bootstrap", bootstrap, "--event", event, "--policy", missing}, "--policy: stat " + missing},
		{"bad env", []string{"--fn", "x", "--env", "NOEQUALS"}, `invalid value "NOEQUALS" for flag -env: want KEY=VALUE`},
		{"sub-second timeout", []string{"--fn", "x", "--event", event, "--timeout", "1500ms"}, "--timeout 1.5s: the emulator takes whole seconds"},
		{"missing emulator", []string{"--fn", "x", "--bootstrap", bootstrap, "--event", event, "--policy", "", "--emulator", missing}, "--emulator: stat " + missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runInvoke(t, "not json", noenv, tt.args...)
			if got.code != exitUsage || !strings.Contains(got.stderr, tt.want) {
				t.Errorf("run(%q) = exit %d, stderr %q; want exit %d, stderr containing %q", tt.args, got.code, got.stderr, exitUsage, tt.want)
			}
			if got.stdout != "" {
				t.Errorf("run(%q) wrote %q to stdout, want nothing", tt.args, got.stdout)
			}
		})
	}
}

func TestHelpShowsTheSAMRoute(t *testing.T) {
	got := runInvoke(t, "", noenv, "--help")
	if got.code != exitOK {
		t.Errorf("--help: exit %d, want %d", got.code, exitOK)
	}
	for _, want := range []string{"make invoke FN=<function> EVENT=<event.json>", "sam local invoke -t infra/cdk.out/<stack>.template.json -e <event.json> <LogicalId>", "-emulator path"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("--help output lacks %q:\n%s", want, got.stdout)
		}
	}
}

func TestEmulatorPath(t *testing.T) {
	root := t.TempDir()
	inTools := filepath.Join(root, "build", "tools", "aws-lambda-rie")
	fromEnv := writeFile(t, "rie", "")
	env := func(k string) string {
		if k == "PORTCULLIS_RIE" {
			return fromEnv
		}
		return ""
	}
	t.Setenv("PATH", t.TempDir()) // no aws-lambda-rie on PATH

	if _, err := emulatorPath("", noenv, root); err == nil || !strings.Contains(err.Error(), "run `make tools`") {
		t.Errorf("emulatorPath with nothing installed = %v, want an error telling to run `make tools`", err)
	}
	if err := os.MkdirAll(filepath.Dir(inTools), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inTools, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, flag string
		getenv     func(string) string
		want       string
	}{
		{"build/tools", "", noenv, inTools},
		{"PORTCULLIS_RIE first", "", env, fromEnv},
		{"flag first", inTools, env, inTools},
	} {
		got, err := emulatorPath(tt.flag, tt.getenv, root)
		if err != nil || got != tt.want {
			t.Errorf("%s: emulatorPath = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestEmulatorFailureIsTechnical(t *testing.T) {
	event := writeFile(t, "event.json", `{}`)
	bootstrap := writeFile(t, "bootstrap", "#!/bin/sh\n")
	emulator := writeFile(t, "fake-rie", "#!/bin/sh\necho 'cannot start: no runtime' >&2\nexit 1\n")
	got := runInvoke(t, "", noenv, "--fn", "echo", "--bootstrap", bootstrap, "--event", event, "--emulator", emulator)
	if got.code != exitTechnical || !strings.Contains(got.stderr, "cannot start: no runtime") {
		t.Errorf("run = exit %d, stderr %q; want exit %d quoting the emulator's output", got.code, got.stderr, exitTechnical)
	}
}

// TestInvokeEcho runs the real emulator on the echo test function.
func TestInvokeEcho(t *testing.T) {
	emulator := testenv.RIE(t)
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	rietest.Build(t, rietest.EchoPackage, bootstrap)
	policy := writeFile(t, "policy.yaml", "version: 1\n")

	t.Run("response", func(t *testing.T) {
		event := `{"env":["PORTCULLIS_POLICY","EXTRA","AWS_LAMBDA_FUNCTION_NAME"]}`
		got := runInvoke(t, event, noenv, "--fn", "echo", "--bootstrap", bootstrap, "--event", "-",
			"--policy", policy, "--env", "EXTRA=yes", "--emulator", emulator)
		if got.code != exitOK {
			t.Fatalf("run = exit %d, stderr:\n%s", got.code, got.stderr)
		}
		var resp struct {
			Event json.RawMessage   `json:"event"`
			Env   map[string]string `json:"env"`
		}
		if err := json.Unmarshal([]byte(got.stdout), &resp); err != nil {
			t.Fatalf("stdout %q: %v", got.stdout, err)
		}
		if diff := cmp.Diff(resp.Env, map[string]string{"PORTCULLIS_POLICY": policy, "EXTRA": "yes", "AWS_LAMBDA_FUNCTION_NAME": "echo"}); diff != "" {
			t.Errorf("function env mismatch (-got +want):\n%s", diff)
		}
		if !strings.HasPrefix(got.stdout, "{\n  \"event\": {\n    \"env\": [") {
			t.Errorf("stdout is not indented JSON:\n%s", got.stdout)
		}
		if !strings.Contains(got.stderr, "invoke: echo answered (copy ") {
			t.Errorf("stderr lacks the summary line:\n%s", got.stderr)
		}
	})

	t.Run("function error", func(t *testing.T) {
		event := writeFile(t, "unauthorized.json", `{"fail":"Unauthorized"}`)
		got := runInvoke(t, "", noenv, "--fn", "echo", "--bootstrap", bootstrap, "--event", event, "--policy", "", "--emulator", emulator)
		if got.code != exitOK {
			t.Fatalf("run = exit %d, stderr:\n%s", got.code, got.stderr)
		}
		want := "{\n  \"errorMessage\": \"Unauthorized\",\n  \"errorType\": \"errorString\"\n}\n"
		if got.stdout != want {
			t.Errorf("stdout = %q, want %q", got.stdout, want)
		}
		if !strings.Contains(got.stderr, `function error (errorString): "Unauthorized"; API Gateway answers 401 Unauthorized`) {
			t.Errorf("stderr lacks the function error summary:\n%s", got.stderr)
		}
	})
	t.Run("cold start failure", func(t *testing.T) {
		event := writeFile(t, "event.json", `{}`)
		got := runInvoke(t, "", noenv, "--fn", "echo", "--bootstrap", bootstrap, "--event", event, "--policy", "",
			"--env", "ECHO_FAIL_INIT=broken policy", "--emulator", emulator)
		if got.code != exitOK {
			t.Fatalf("run = exit %d, stderr:\n%s", got.code, got.stderr)
		}
		var doc map[string]string
		if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil || doc["errorType"] != "Sandbox.Failure" {
			t.Errorf("stdout = %q (%v), want an error document of type Sandbox.Failure", got.stdout, err)
		}
		for _, want := range []string{"echo: cold start failed: broken policy", "function error (Sandbox.Failure)", "API Gateway answers 500"} {
			if !strings.Contains(got.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, got.stderr)
			}
		}
	})
}
