package rie

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseResult(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   Result
		wantOK bool
	}{
		{
			name: "response object", status: 200, body: `{"principalId":"u1","policyDocument":{}}`,
			want: Result{Payload: []byte(`{"principalId":"u1","policyDocument":{}}`)}, wantOK: true,
		},
		{
			name: "response string", status: 200, body: `"just a string"`,
			want: Result{Payload: []byte(`"just a string"`)}, wantOK: true,
		},
		{
			name: "handled error", status: 200, body: `{"errorMessage":"Unauthorized","errorType":"errorString"}`,
			want: Result{Failed: true, FunctionError: "Unauthorized", ErrorType: "errorString"}, wantOK: true,
		},
		{
			name: "empty error message", status: 200, body: `{"errorMessage":"","errorType":"errorString"}`,
			want: Result{Failed: true, ErrorType: "errorString"}, wantOK: true,
		},
		{
			name: "panic", status: 502, body: `{"errorMessage":"boom","errorType":"string","stackTrace":[{"path":"x.go","line":1}]}`,
			want: Result{Failed: true, FunctionError: "boom", ErrorType: "string"}, wantOK: true,
		},
		{
			name: "crash", status: 502, body: `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: 1 Error: Runtime exited with error: exit status 3"}`,
			want: Result{Failed: true, FunctionError: "RequestId: 1 Error: Runtime exited with error: exit status 3", ErrorType: "Runtime.ExitError"}, wantOK: true,
		},
		{
			name: "timeout", status: 200, body: `Task timed out after 1.00 seconds`,
			want: Result{Failed: true, FunctionError: "Task timed out after 1.00 seconds", ErrorType: TimeoutErrorType}, wantOK: true,
		},
		{
			name: "error-like response with another member", status: 200, body: `{"errorMessage":"x","errorType":"y","context":{}}`,
			want: Result{Payload: []byte(`{"errorMessage":"x","errorType":"y","context":{}}`)}, wantOK: true,
		},
		{
			name: "errorMessage without errorType", status: 200, body: `{"errorMessage":"x"}`,
			want: Result{Payload: []byte(`{"errorMessage":"x"}`)}, wantOK: true,
		},
		{
			name: "non-string errorType", status: 200, body: `{"errorMessage":"x","errorType":1}`,
			want: Result{Payload: []byte(`{"errorMessage":"x","errorType":1}`)}, wantOK: true,
		},
		{
			name: "init failure", status: 502, body: ``,
			want: Result{Failed: true, FunctionError: sandboxFailureMessage, ErrorType: SandboxFailureErrorType}, wantOK: true,
		},
		{name: "502 with another body", status: 502, body: `bad gateway`, wantOK: false},
		{name: "400 already reserved", status: 400, body: ``, wantOK: false},
		{name: "500", status: 500, body: `{"errorMessage":"x","errorType":"y"}`, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseResult(tt.status, []byte(tt.body))
			if ok != tt.wantOK {
				t.Fatalf("parseResult(%d, %q) ok = %v, want %v", tt.status, tt.body, ok, tt.wantOK)
			}
			if !ok {
				return
			}
			tt.want.Status, tt.want.Raw = tt.status, []byte(tt.body)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("parseResult(%d, %q) mismatch (-got +want):\n%s", tt.status, tt.body, diff)
			}
		})
	}
}

func FuzzParseResult(f *testing.F) {
	for _, s := range []string{`{"errorMessage":"Unauthorized","errorType":"errorString"}`, `{}`, `"x"`, `Task timed out after 1.00 seconds`, `{"errorMessage":null,"errorType":"x"}`} {
		f.Add(200, []byte(s))
		f.Add(502, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		res, ok := parseResult(status, body)
		if !ok {
			return
		}
		if res.Failed == (res.Payload != nil) {
			t.Fatalf("parseResult(%d, %q): Failed=%v with payload %q", status, body, res.Failed, res.Payload)
		}
		if !res.Failed && status != 200 {
			t.Fatalf("parseResult(%d, %q): a response with status %d", status, body, status)
		}
	})
}
