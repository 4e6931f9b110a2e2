package audit_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/audit"
)

const token = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImRldiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123e6, time.UTC)

func record() audit.Record {
	return audit.Record{
		Time: t0, Authorizer: "jwt", Outcome: "deny", Reason: "insufficient_scope", Detail: "scope: none of orders:write held",
		Principal: "alice", Issuer: "https://idp.example.com/", Tenant: "acme", CredentialID: "dev-es256-1",
		Fingerprint: audit.Fingerprint(token), Route: "POST /orders", Method: "POST", Path: "/orders", Kind: "rest-request",
		SourceIP: "203.0.113.7", RequestID: "req-1", PolicyScope: "principal", Latency: 1500 * time.Microsecond,
	}
}

// logLine logs r and returns the one line written, decoded.
func logLine(t *testing.T, r audit.Record) (map[string]any, string) {
	t.Helper()
	var buf bytes.Buffer
	audit.New(&buf).Log(r)
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("Log wrote %q; want exactly one line", out)
	}
	line := strings.TrimSuffix(out, "\n")
	if !json.Valid([]byte(line)) {
		t.Fatalf("not one JSON object: %s", line)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, line)
	}
	return m, line
}

func TestLogFields(t *testing.T) {
	m, _ := logLine(t, record())
	delete(m, "_aws")
	want := map[string]any{
		"level": "info", "msg": "decision", "Authorizer": "jwt", "Outcome": "deny", "Reason": "insufficient_scope",
		"Decisions": 1.0, "Latency": 1.5, "detail": "scope: none of orders:write held", "principal": "alice",
		"issuer": "https://idp.example.com/", "tenant": "acme", "credential_id": "dev-es256-1", "fingerprint": audit.Fingerprint(token),
		"route": "POST /orders", "method": "POST", "path": "/orders", "event": "rest-request", "source_ip": "203.0.113.7",
		"request_id": "req-1", "policy_scope": "principal",
	}
	if diff := cmp.Diff(m, want); diff != "" {
		t.Errorf("line (-got +want):\n%s", diff)
	}
}

func TestLogDefaults(t *testing.T) {
	m, _ := logLine(t, audit.Record{Time: t0, Authorizer: "apikey", Outcome: "error", Error: "store down"})
	for k, want := range map[string]any{"level": "error", "Reason": "none", "error": "store down", "Latency": 0.0} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	for _, k := range []string{"principal", "detail", "route", "fingerprint", "source_ip"} {
		if _, ok := m[k]; ok {
			t.Errorf("empty %s written", k)
		}
	}
}

// The line is a CloudWatch embedded-metric-format document: the _aws
// block names metrics and dimensions that are members of the line.
func TestLogEMF(t *testing.T) {
	m, _ := logLine(t, record())
	raw, _ := json.Marshal(m["_aws"])
	var emf struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&emf); err != nil {
		t.Fatalf("_aws block: %v: %s", err, raw)
	}
	if emf.Timestamp != t0.UnixMilli() {
		t.Errorf("Timestamp = %d, want %d (milliseconds)", emf.Timestamp, t0.UnixMilli())
	}
	if len(emf.CloudWatchMetrics) == 0 {
		t.Fatal("no CloudWatchMetrics directive")
	}
	for _, d := range emf.CloudWatchMetrics {
		if d.Namespace != audit.Namespace {
			t.Errorf("Namespace = %q, want %q", d.Namespace, audit.Namespace)
		}
		if len(d.Metrics) == 0 || len(d.Dimensions) == 0 {
			t.Errorf("directive without metrics or dimensions: %+v", d)
		}
		for _, mt := range d.Metrics {
			if _, ok := m[mt.Name].(float64); !ok {
				t.Errorf("metric %q is not a number member of the line (%v)", mt.Name, m[mt.Name])
			}
			switch mt.Unit {
			case "Count", "Milliseconds":
			default:
				t.Errorf("metric %q unit %q", mt.Name, mt.Unit)
			}
		}
		for _, set := range d.Dimensions {
			if len(set) == 0 || len(set) > 30 {
				t.Errorf("dimension set %v", set)
			}
			for _, dim := range set {
				if v, ok := m[dim].(string); !ok || v == "" {
					t.Errorf("dimension %q is not a non-empty string member of the line (%v)", dim, m[dim])
				}
			}
		}
	}
}

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{12}$`)

func TestFingerprint(t *testing.T) {
	a, b := audit.Fingerprint(token), audit.Fingerprint(token)
	if !fingerprintRE.MatchString(a) {
		t.Errorf("Fingerprint = %q, want 12 lower-case hex digits", a)
	}
	if a != b {
		t.Errorf("Fingerprint is not stable: %q then %q", a, b)
	}
	if c := audit.Fingerprint(token + "x"); c == a || !fingerprintRE.MatchString(c) {
		t.Errorf("Fingerprint of another credential = %q (first %q)", c, a)
	}
	if strings.Contains(token, a) {
		t.Errorf("Fingerprint %q is part of the credential", a)
	}
	if got := audit.Fingerprint(""); got != "" {
		t.Errorf("Fingerprint(\"\") = %q, want empty", got)
	}
	// The known value pins the algorithm (first 6 bytes of SHA-256).
	if got := audit.Fingerprint("abc"); got != "ba7816bf8f01" {
		t.Errorf("Fingerprint(abc) = %q, want ba7816bf8f01", got)
	}
}

func TestLogNeverCarriesTheCredential(t *testing.T) {
	_, line := logLine(t, record())
	for _, part := range append([]string{token}, strings.Split(token, ".")...) {
		if strings.Contains(line, part) {
			t.Errorf("line carries %q: %s", part, line)
		}
	}
}

// Lines written by concurrent calls are whole: no interleaving.
func TestLogConcurrent(t *testing.T) {
	var buf syncBuffer
	l := audit.New(&buf)
	const goroutines, each = 16, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := record()
				r.RequestID = strings.Repeat(string(rune('a'+g)), 50+i%50)
				l.Log(r)
			}
		}()
	}
	wg.Wait()
	sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d is not whole JSON: %v: %s", n, err, sc.Bytes())
		}
		n++
	}
	if n != goroutines*each {
		t.Errorf("%d lines, want %d", n, goroutines*each)
	}
	if buf.writes != goroutines*each {
		t.Errorf("%d writes, want one per line (%d)", buf.writes, goroutines*each)
	}
}

type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Bytes()
}

func BenchmarkLog(b *testing.B) {
	var buf bytes.Buffer
	l := audit.New(&buf)
	r := record()
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		l.Log(r)
	}
}
