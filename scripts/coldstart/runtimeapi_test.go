package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newTestAPI(t *testing.T) (*runtimeAPI, *httptest.Server, time.Time) {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	api := newRuntimeAPI([]byte(`{"type":"TOKEN"}`), "arn:aws:lambda:us-east-1:123456789012:function:fn", 10*time.Second, func() time.Time { return now })
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	t.Cleanup(api.stop) // before srv.Close: release a waiting next
	return api, srv, now
}

func do(t *testing.T, method, url, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

const base = "/2018-06-01/runtime"

func TestRuntimeAPINextHandsOutTheEventOnce(t *testing.T) {
	api, srv, now := newTestAPI(t)
	resp, body := do(t, "GET", srv.URL+base+"/invocation/next", "", nil)
	if resp.StatusCode != 200 || body != `{"type":"TOKEN"}` {
		t.Fatalf("GET next = %d %q, want 200 with the event", resp.StatusCode, body)
	}
	got := map[string]string{}
	for _, h := range []string{headerRequestID, headerDeadline, headerFunctionARN, "Content-Type"} {
		got[h] = resp.Header.Get(h)
	}
	want := map[string]string{
		headerRequestID:   api.requestID,
		headerDeadline:    strconv.FormatInt(now.Add(10*time.Second).UnixMilli(), 10),
		headerFunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:fn",
		"Content-Type":    "application/json",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("GET next headers mismatch (-got +want):\n%s", diff)
	}
	if len(api.requestID) != 32 {
		t.Errorf("request id %q, want 32 hex digits", api.requestID)
	}
	if !api.firstNext().Equal(now) {
		t.Errorf("firstNext() = %v, want %v", api.firstNext(), now)
	}

	// A second next waits until stop and never gets the event again.
	second := make(chan int, 1)
	go func() {
		r, _ := do(t, "GET", srv.URL+base+"/invocation/next", "", nil)
		second <- r.StatusCode
	}()
	api.stop()
	if code := <-second; code != http.StatusServiceUnavailable {
		t.Errorf("second GET next = %d, want %d after stop", code, http.StatusServiceUnavailable)
	}
}

func TestRuntimeAPIRecordsTheAnswer(t *testing.T) {
	tests := []struct {
		name, path, body string
		header           http.Header
		want             answer
	}{
		{
			name: "response", path: "/invocation/{id}/response", body: `{"principalId":"u"}`,
			want: answer{kind: answerResponse, body: []byte(`{"principalId":"u"}`)},
		},
		{
			name: "function error", path: "/invocation/{id}/error", body: `{"errorMessage":"Unauthorized","errorType":"errorString"}`,
			header: http.Header{headerErrorType: {"errorString"}},
			want:   answer{kind: answerError, errorType: "errorString", body: []byte(`{"errorMessage":"Unauthorized","errorType":"errorString"}`)},
		},
		{
			name: "init error", path: "/init/error", body: `{"errorMessage":"bad policy","errorType":"InitError"}`,
			header: http.Header{headerErrorType: {"Runtime.InitError"}},
			want:   answer{kind: answerInitError, errorType: "Runtime.InitError", body: []byte(`{"errorMessage":"bad policy","errorType":"InitError"}`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, srv, now := newTestAPI(t)
			url := srv.URL + base + strings.Replace(tt.path, "{id}", api.requestID, 1)
			if resp, body := do(t, "POST", url, tt.body, tt.header); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("POST %s = %d %q, want 202", tt.path, resp.StatusCode, body)
			}
			got := <-api.answered
			tt.want.at = now
			if diff := cmp.Diff(got, tt.want, cmp.AllowUnexported(answer{})); diff != "" {
				t.Errorf("answer mismatch (-got +want):\n%s", diff)
			}
			// Only the first answer counts.
			if resp, _ := do(t, "POST", url, tt.body, tt.header); resp.StatusCode != http.StatusForbidden {
				t.Errorf("second POST %s = %d, want 403", tt.path, resp.StatusCode)
			}
		})
	}
}

func TestRuntimeAPIRejects(t *testing.T) {
	_, srv, _ := newTestAPI(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{"POST", "/invocation/not-the-id/response", http.StatusBadRequest},
		{"POST", "/invocation/not-the-id/error", http.StatusBadRequest},
		{"POST", "/invocation/next", http.StatusMethodNotAllowed},
		{"GET", "/invocation/x/response", http.StatusMethodNotAllowed},
		{"GET", "/something/else", http.StatusNotFound},
	}
	for _, tt := range tests {
		if resp, body := do(t, tt.method, srv.URL+base+tt.path, "{}", nil); resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d %q, want %d", tt.method, tt.path, resp.StatusCode, body, tt.want)
		}
	}
}
