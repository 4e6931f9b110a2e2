// Package audit writes one JSON line per authorization decision. The line
// is also a CloudWatch embedded-metric-format (EMF) document, so CloudWatch
// extracts the Decisions count (by authorizer, outcome and reason) and the
// decision latency from the same line without a metrics API call.
//
// The line never contains a credential: at most the short fingerprint a
// credential check derived from it.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch metrics namespace.
const Namespace = "Portcullis"

// Record is one decision's audit record.
type Record struct {
	Time         time.Time
	Authorizer   string // "jwt", "apikey"
	Outcome      string // allow, deny, step-up, unauthenticated, error
	Reason       string
	Detail       string
	Principal    string // subject
	Issuer       string
	Tenant       string
	CredentialID string // kid or API key id
	Fingerprint  string
	Route        string
	Method       string
	Path         string
	Kind         string // event kind
	SourceIP     string
	RequestID    string
	PolicyScope  string // principal or request
	Latency      time.Duration
	Error        string
}

// Logger writes audit lines. It is safe for concurrent use.
type Logger struct {
	mu sync.Mutex
	w  io.Writer
	b  []byte
}

// New returns a logger writing to w (os.Stdout in Lambda, where each line
// becomes a CloudWatch Logs event).
func New(w io.Writer) *Logger { return &Logger{w: w} }

type line struct {
	AWS          emf     `json:"_aws"`
	Level        string  `json:"level"`
	Msg          string  `json:"msg"`
	Authorizer   string  `json:"Authorizer"`
	Outcome      string  `json:"Outcome"`
	Reason       string  `json:"Reason"`
	Decisions    int     `json:"Decisions"`
	LatencyMs    float64 `json:"Latency"`
	Detail       string  `json:"detail,omitempty"`
	Principal    string  `json:"principal,omitempty"`
	Issuer       string  `json:"issuer,omitempty"`
	Tenant       string  `json:"tenant,omitempty"`
	CredentialID string  `json:"credential_id,omitempty"`
	Fingerprint  string  `json:"fingerprint,omitempty"`
	Route        string  `json:"route,omitempty"`
	Method       string  `json:"method,omitempty"`
	Path         string  `json:"path,omitempty"`
	Kind         string  `json:"event,omitempty"`
	SourceIP     string  `json:"source_ip,omitempty"`
	RequestID    string  `json:"request_id,omitempty"`
	PolicyScope  string  `json:"policy_scope,omitempty"`
	Error        string  `json:"error,omitempty"`
}

type emf struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

type directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []metric   `json:"Metrics"`
}

type metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

var directives = []directive{{
	Namespace:  Namespace,
	Dimensions: [][]string{{"Authorizer"}, {"Authorizer", "Outcome"}, {"Authorizer", "Reason"}},
	Metrics:    []metric{{Name: "Decisions", Unit: "Count"}, {Name: "Latency", Unit: "Milliseconds"}},
}}

// Log writes the record as one line.
func (l *Logger) Log(r Record) {
	level := "info"
	if r.Outcome == "error" {
		level = "error"
	}
	reason := r.Reason
	if reason == "" {
		reason = "none"
	}
	ln := line{
		AWS:          emf{Timestamp: r.Time.UnixMilli(), CloudWatchMetrics: directives},
		Level:        level,
		Msg:          "decision",
		Authorizer:   r.Authorizer,
		Outcome:      r.Outcome,
		Reason:       reason,
		Decisions:    1,
		LatencyMs:    float64(r.Latency.Microseconds()) / 1000,
		Detail:       r.Detail,
		Principal:    r.Principal,
		Issuer:       r.Issuer,
		Tenant:       r.Tenant,
		CredentialID: r.CredentialID,
		Fingerprint:  r.Fingerprint,
		Route:        r.Route,
		Method:       r.Method,
		Path:         r.Path,
		Kind:         r.Kind,
		SourceIP:     r.SourceIP,
		RequestID:    r.RequestID,
		PolicyScope:  r.PolicyScope,
		Error:        r.Error,
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := json.Marshal(ln)
	if err != nil {
		return // cannot happen: every field is a string or number
	}
	l.b = append(append(l.b[:0], b...), '\n')
	_, _ = l.w.Write(l.b)
}

// Fingerprint returns a short, non-reversible identifier of a credential
// (the first 12 hex digits of its SHA-256) for correlating audit lines.
func Fingerprint(credential string) string {
	if credential == "" {
		return ""
	}
	// Hash through a stack buffer: converting a long token to []byte
	// would copy it to the heap on every decision.
	h := sha256.New()
	var buf [256]byte
	for s := credential; s != ""; {
		n := copy(buf[:], s)
		h.Write(buf[:n])
		s = s[n:]
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:6])
}
