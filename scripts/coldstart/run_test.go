package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/scripts/rie/rietest"
)

func TestSummarize(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		want stats
	}{
		{"one", ms(5), stats{5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond}},
		{"odd, unsorted", ms(9, 1, 5), stats{1 * time.Millisecond, 5 * time.Millisecond, 9 * time.Millisecond, 9 * time.Millisecond}},
		{"even median is the mean", ms(4, 1, 3, 2), stats{1 * time.Millisecond, 2500 * time.Microsecond, 4 * time.Millisecond, 4 * time.Millisecond}},
		{"p90 nearest rank of 10", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), stats{1 * time.Millisecond, 5500 * time.Microsecond, 9 * time.Millisecond, 10 * time.Millisecond}},
		{"p90 nearest rank of 20", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100), stats{1 * time.Millisecond, 10500 * time.Microsecond, 18 * time.Millisecond, 100 * time.Millisecond}},
		{"none", nil, stats{}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(summarize(tt.in), tt.want, cmp.AllowUnexported(stats{})); diff != "" {
			t.Errorf("%s: summarize(%v) mismatch (-got +want):\n%s", tt.name, tt.in, diff)
		}
	}
}

func writeFile(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func noenv(string) string { return "" }

func runColdstart(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(t.Context(), args, &stdout, &stderr, noenv)
	return code, stdout.String(), stderr.String()
}

func TestUsageErrors(t *testing.T) {
	bin := writeFile(t, "bootstrap", "#!/bin/sh\n", 0o755)
	notExec := writeFile(t, "data", "x", 0o644)
	bad := writeFile(t, "bad.json", "{", 0o644)
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no binary", nil, "no bootstrap given"},
		{"unknown flag", []string{"--fast", bin}, "flag provided but not defined: -fast"},
		{"zero runs", []string{"--runs", "0", bin}, "--runs 0: want at least 1"},
		{"missing binary", []string{missing}, "stat " + missing},
		{"not executable", []string{notExec}, "is not an executable file"},
		{"invalid event", []string{"--event", bad, bin}, "event " + bad + " is not valid JSON"},
		{"missing event", []string{"--event", missing, bin}, "--event: open " + missing},
		{"missing policy", []string{"--policy", missing, bin}, "--policy: stat " + missing},
		{"bad env", []string{"--env", "X", bin}, "want KEY=VALUE"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runColdstart(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
			t.Errorf("%s: run(%q) = exit %d, stdout %q, stderr %q; want exit %d and stderr containing %q", tt.name, tt.args, code, stdout, stderr, exitUsage, tt.want)
		}
	}
}

func TestBinaryThatNeverAnswers(t *testing.T) {
	crash := writeFile(t, "bootstrap", "#!/bin/sh\necho 'cold start failed: no policy' >&2\nexit 1\n", 0o755)
	code, _, stderr := runColdstart(t, "--runs", "2", crash)
	if code != exitTechnical || !strings.Contains(stderr, "run 1: exited before answering (exit status 1); its output:\ncold start failed: no policy") {
		t.Errorf("run = exit %d, stderr %q; want exit %d naming the failed run and quoting its output", code, stderr, exitTechnical)
	}
}

// TestMeasureEcho times the real echo function, built like a Lambda binary.
func TestMeasureEcho(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "echo")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bootstrap")
	rietest.Build(t, rietest.EchoPackage, bin)
	policy := writeFile(t, "policy.yaml", "version: 1\n", 0o644)

	t.Run("default event", func(t *testing.T) {
		code, stdout, stderr := runColdstart(t, "--runs", "3", "--policy", policy, bin)
		if code != exitOK {
			t.Fatalf("run = exit %d, stderr:\n%s", code, stderr)
		}
		row := regexp.MustCompile(regexp.QuoteMeta(bin) + `\s+([0-9.]+)ms\s+([0-9.]+)ms\s+([0-9.]+)ms\s+([0-9.]+)ms\s+([0-9.]+)ms\s+([0-9.]+) MiB`).FindStringSubmatch(stdout)
		if row == nil {
			t.Fatalf("no result row for %s in:\n%s", bin, stdout)
		}
		var v [6]float64
		for i := range v {
			f, err := strconv.ParseFloat(row[i+1], 64)
			if err != nil {
				t.Fatalf("row %q: %v", row[0], err)
			}
			v[i] = f
		}
		if !(0 < v[0] && v[0] <= v[1] && v[1] <= v[2] && v[2] <= v[3]) || v[4] <= 0 || v[4] > v[3] || v[5] <= 0 {
			t.Errorf("row %q: want 0 < min <= median <= p90 <= max, 0 < init median <= max, RSS > 0", row[0])
		}
		wantAnswer := bin + `, first run: response: {"event":` + defaultEvent
		if !strings.Contains(stdout, wantAnswer) {
			t.Errorf("stdout lacks the first answer %q:\n%s", wantAnswer, stdout)
		}
		if !strings.Contains(stdout, "3 run(s) per binary") {
			t.Errorf("stdout lacks the run count:\n%s", stdout)
		}
	})

	t.Run("function error and environment", func(t *testing.T) {
		failing := writeFile(t, "fail.json", `{"fail":"Unauthorized"}`, 0o644)
		code, stdout, stderr := runColdstart(t, "--runs", "1", "--event", failing, bin)
		if code != exitOK {
			t.Fatalf("run = exit %d, stderr:\n%s", code, stderr)
		}
		if want := `first run: function error (errorString): {"errorMessage":"Unauthorized","errorType":"errorString"}`; !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}

		envEvent := writeFile(t, "env.json", `{"env":["PORTCULLIS_POLICY","EXTRA","AWS_LAMBDA_FUNCTION_NAME","LAMBDA_TASK_ROOT"]}`, 0o644)
		code, stdout, stderr = runColdstart(t, "--runs", "1", "--event", envEvent, "--policy", policy, "--env", "EXTRA=1", bin)
		if code != exitOK {
			t.Fatalf("run = exit %d, stderr:\n%s", code, stderr)
		}
		want := `"cwd":"` + dir + `","env":{"AWS_LAMBDA_FUNCTION_NAME":"echo","EXTRA":"1","LAMBDA_TASK_ROOT":"` + dir + `","PORTCULLIS_POLICY":"` + policy + `"}`
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	})
}
