package rie_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/scripts/rie"
	"github.com/portcullis-authz/portcullis/scripts/rie/rietest"
	"github.com/portcullis-authz/portcullis/scripts/testenv"
)

// echoResponse is what the echo test function answers.
type echoResponse struct {
	Event json.RawMessage   `json:"event"`
	PID   int               `json:"pid"`
	Cwd   string            `json:"cwd"`
	Env   map[string]string `json:"env"`
	File  string            `json:"file"`
}

func invokeEcho(t *testing.T, e *rie.Emulator, event string) echoResponse {
	t.Helper()
	res, err := e.Invoke(t.Context(), []byte(event))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", event, err)
	}
	if res.Failed || res.Status != 200 {
		t.Fatalf("Invoke(%s) = status %d, function error %q (%s), want a response", event, res.Status, res.FunctionError, res.ErrorType)
	}
	var got echoResponse
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("Invoke(%s): payload %q: %v", event, res.Payload, err)
	}
	return got
}

func TestInvokeRunsTheBootstrapInItsTaskRoot(t *testing.T) {
	t.Parallel()
	files := map[string]string{"policy.yaml": "version: 1\n", "keys/dev.txt": "bundled file\n"}
	e := rietest.StartPackage(t, rietest.EchoPackage, files, map[string]string{"PORTCULLIS_POLICY": "/elsewhere/policy.yaml"})

	event := `{"env":["LAMBDA_TASK_ROOT","AWS_LAMBDA_RUNTIME_API","AWS_LAMBDA_FUNCTION_NAME","AWS_REGION","PATH","PORTCULLIS_POLICY","_HANDLER"],"readFile":"keys/dev.txt"}`
	got := invokeEcho(t, e, event)

	if got.Cwd != got.Env["LAMBDA_TASK_ROOT"] || filepath.Base(got.Cwd) != "echo" {
		t.Errorf("cwd = %q, LAMBDA_TASK_ROOT = %q, want the same task root named echo", got.Cwd, got.Env["LAMBDA_TASK_ROOT"])
	}
	want := rie.LambdaEnv("echo", got.Cwd)
	for k, v := range map[string]string{"AWS_LAMBDA_RUNTIME_API": e.RuntimeAPI(), "PORTCULLIS_POLICY": "/elsewhere/policy.yaml"} {
		want[k] = v
	}
	for _, k := range []string{"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "PATH", "PORTCULLIS_POLICY", "_HANDLER"} {
		if got.Env[k] != want[k] {
			t.Errorf("function env %s = %q, want %q", k, got.Env[k], want[k])
		}
	}
	if got.File != files["keys/dev.txt"] {
		t.Errorf("bundled file = %q, want %q", got.File, files["keys/dev.txt"])
	}
	if diff := cmp.Diff(string(got.Event), event); diff != "" {
		t.Errorf("echoed event mismatch (-got +want):\n%s", diff)
	}
}

func TestInvokeFunctionError(t *testing.T) {
	t.Parallel()
	e := rietest.StartPackage(t, rietest.EchoPackage, nil, nil)

	tests := []struct {
		name, event string
		want        rie.Result
	}{
		{
			name:  "Unauthorized",
			event: `{"fail":"Unauthorized"}`,
			want: rie.Result{
				Failed: true, FunctionError: "Unauthorized", ErrorType: "errorString", Status: 200,
				Raw: []byte(`{"errorMessage":"Unauthorized","errorType":"errorString"}`),
			},
		},
		{
			name:  "event that is not JSON",
			event: `not json`,
			want: rie.Result{
				Failed: true, FunctionError: "invalid character 'o' in literal null (expecting 'u')", ErrorType: "SyntaxError", Status: 200,
				Raw: []byte(`{"errorMessage":"invalid character 'o' in literal null (expecting 'u')","errorType":"SyntaxError"}`),
			},
		},
	}
	for _, tt := range tests {
		res, err := e.Invoke(t.Context(), []byte(tt.event))
		if err != nil {
			t.Fatalf("%s: Invoke: %v", tt.name, err)
		}
		if diff := cmp.Diff(res, tt.want); diff != "" {
			t.Errorf("%s: Invoke(%s) mismatch (-got +want):\n%s", tt.name, tt.event, diff)
		}
	}
	// The environment stays warm after a handled error: same process.
	first := invokeEcho(t, e, `{"n":1}`)
	if _, err := e.Invoke(t.Context(), []byte(`{"fail":"Unauthorized"}`)); err != nil {
		t.Fatal(err)
	}
	if second := invokeEcho(t, e, `{"n":2}`); second.PID != first.PID {
		t.Errorf("bootstrap pid changed from %d to %d after a function error; want one warm process", first.PID, second.PID)
	}
}

func TestInvokeCrashAndTimeout(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	rietest.Build(t, rietest.EchoPackage, filepath.Join(root, "bootstrap"))
	e, err := rie.Start(t.Context(), testenv.RIE(t), rie.Options{Dir: root, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	before := invokeEcho(t, e, `{}`)
	res, err := e.Invoke(t.Context(), []byte(`{"exit":3}`))
	if err != nil {
		t.Fatalf("Invoke(exit): %v", err)
	}
	if res.Status != 502 || res.ErrorType != "Runtime.ExitError" || !strings.HasSuffix(res.FunctionError, "Runtime exited with error: exit status 3") {
		t.Errorf("Invoke(exit) = status %d, %s %q, want 502, Runtime.ExitError \"...Runtime exited with error: exit status 3\"", res.Status, res.ErrorType, res.FunctionError)
	}
	res, err = e.Invoke(t.Context(), []byte(`{"sleep":"5s"}`))
	if err != nil {
		t.Fatalf("Invoke(sleep): %v", err)
	}
	if res.ErrorType != rie.TimeoutErrorType || res.FunctionError != "Task timed out after 1.00 seconds" {
		t.Errorf("Invoke(sleep) = %s %q, want %s %q", res.ErrorType, res.FunctionError, rie.TimeoutErrorType, "Task timed out after 1.00 seconds")
	}
	// The emulator starts a new runtime after each.
	if after := invokeEcho(t, e, `{}`); after.PID == before.PID {
		t.Errorf("bootstrap pid %d unchanged after a crash and a timeout; want a fresh process", after.PID)
	}
}

func TestInvokeInitFailure(t *testing.T) {
	t.Parallel()
	e := rietest.StartPackage(t, rietest.EchoPackage, nil, map[string]string{"ECHO_FAIL_INIT": "policy.yaml: unknown key"})
	for range 2 { // the emulator starts the runtime again for every invocation
		res, err := e.Invoke(t.Context(), []byte(`{}`))
		if err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		if !res.Failed || res.Status != 502 || res.ErrorType != rie.SandboxFailureErrorType {
			t.Errorf("Invoke = failed %v, status %d, type %q; want a failure, 502, %q", res.Failed, res.Status, res.ErrorType, rie.SandboxFailureErrorType)
		}
	}
	if err := e.Close(); err != nil { // Close drains the output
		t.Fatal(err)
	}
	if want := "echo: cold start failed: policy.yaml: unknown key"; !strings.Contains(e.Output(), want) {
		t.Errorf("emulator output lacks the function's %q:\n%s", want, e.Output())
	}
}

func TestParallelEmulators(t *testing.T) {
	t.Parallel()
	const n = 4
	var mu sync.Mutex
	apis := map[string]bool{}
	for i := range n {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			e := rietest.StartPackage(t, rietest.EchoPackage, nil, nil)
			mu.Lock()
			if apis[e.RuntimeAPI()] {
				t.Errorf("Runtime API %s shared by two emulators", e.RuntimeAPI())
			}
			apis[e.RuntimeAPI()] = true
			mu.Unlock()
			// Concurrent calls on one emulator are serialized, never refused.
			var wg sync.WaitGroup
			for j := range 3 {
				wg.Go(func() {
					event := fmt.Sprintf(`{"emulator":%d,"call":%d}`, i, j)
					res, err := e.Invoke(context.Background(), []byte(event))
					if err != nil {
						t.Errorf("Invoke(%s): %v", event, err)
						return
					}
					var got echoResponse
					if err := json.Unmarshal(res.Payload, &got); err != nil || string(got.Event) != event {
						t.Errorf("Invoke(%s) = %s (%v), want the event echoed", event, res.Raw, err)
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	rietest.Build(t, rietest.EchoPackage, filepath.Join(root, "bootstrap"))
	e, err := rie.Start(t.Context(), testenv.RIE(t), rie.Options{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := invokeEcho(t, e, `{}`).PID
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	waitGone(t, bootstrap)
	if _, err := e.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, rie.ErrExited) {
		t.Errorf("Invoke after Close: %v, want ErrExited", err)
	}
}

// waitGone waits until pid no longer runs (absent or a zombie).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return
		}
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && strings.HasPrefix(string(stat[i+1:]), " Z") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running after Close: %s", pid, stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkInvokeWarm measures one warm invocation round trip through the
// emulator (HTTP to the emulator, Runtime API to the bootstrap and back).
func BenchmarkInvokeWarm(b *testing.B) {
	e := rietest.StartPackage(b, rietest.EchoPackage, nil, nil)
	event := []byte(`{"type":"TOKEN","authorizationToken":"Bearer x","methodArn":"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/orders"}`)
	if _, err := e.Invoke(b.Context(), event); err != nil { // the cold start
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.Invoke(b.Context(), event)
		if err != nil || res.Failed {
			b.Fatalf("Invoke = %+v, %v", res, err)
		}
	}
}
