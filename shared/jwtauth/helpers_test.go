package jwtauth

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth/jwtauthtest"
)

// testNow is the fixed "now" of the tests.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is an injectable clock tests advance by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: testNow} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// policy builds a policy file around issuer entries.
func policy(issuers ...config.Issuer) *config.File {
	return &config.File{
		Path:        "/nonexistent/policy.yaml",
		Version:     1,
		Issuers:     issuers,
		Authorizers: config.Authorizers{JWT: &config.JWTAuthorizer{MaxTokenBytes: config.DefaultMaxTokenBytes}},
	}
}

// logRecords captures log records for assertions.
type logRecords struct {
	mu   sync.Mutex
	recs []string
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, b.String())
	l.mu.Unlock()
	return nil
}
func (l *logRecords) WithAttrs(as []slog.Attr) slog.Handler { return &attrHandler{l, as} }
func (l *logRecords) WithGroup(string) slog.Handler         { return l }

func (l *logRecords) contains(parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for _, r := range l.recs {
		for _, p := range parts {
			if !strings.Contains(r, p) {
				continue next
			}
		}
		return true
	}
	return false
}

func (l *logRecords) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.recs, "\n")
}

type attrHandler struct {
	*logRecords
	as []slog.Attr
}

func (h *attrHandler) Handle(ctx context.Context, r slog.Record) error {
	r.AddAttrs(h.as...)
	return h.logRecords.Handle(ctx, r)
}

// env is a verifier under test with its clock and log.
type env struct {
	v     *Verifier
	clock *fakeClock
	logs  *logRecords
}

// newEnv builds a Verifier for issuers with a fake clock and a captured
// log, failing the test if New fails.
func newEnv(t testing.TB, f *config.File, opts ...Option) *env {
	t.Helper()
	e := &env{clock: newClock(), logs: &logRecords{}}
	all := append([]Option{WithClock(e.clock.Now), WithLogger(slog.New(e.logs))}, opts...)
	v, err := New(context.Background(), f, all...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(v.Close)
	e.v = v
	return e
}

// issuerAt starts a test issuer whose tokens are issued at testNow.
func issuerAt(t testing.TB, alg string, opts ...jwtauthtest.Option) *jwtauthtest.Issuer {
	return jwtauthtest.NewIssuer(t, alg, append([]jwtauthtest.Option{jwtauthtest.WithClock(func() time.Time { return testNow })}, opts...)...)
}

// secretsOf combines the secret sources of HMAC issuers.
func secretsOf(issuers ...*jwtauthtest.Issuer) Option {
	return WithSecrets(func(ctx context.Context, ref config.SecretRef) ([]byte, error) {
		for _, is := range issuers {
			if is.Symmetric() && is.SecretRef() == ref {
				return is.Secrets()(ctx, ref)
			}
		}
		return nil, context.Canceled
	})
}

// verify runs Verify and fails the test on a technical error.
func (e *env) verify(t testing.TB, token string) authz.Decision {
	t.Helper()
	d, err := e.v.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("Verify: unexpected technical error: %v", err)
	}
	return d
}

// wantReason checks a decision's effect and reason.
func wantReason(t testing.TB, d authz.Decision, want authz.Reason) {
	t.Helper()
	wantEffect := authz.Unauthenticated
	if want == authz.ReasonAllowed {
		wantEffect = authz.Allow
	}
	if d.Effect != wantEffect || d.Reason != want {
		t.Errorf("decision = %v/%s (%s), want %v/%s", d.Effect, d.Reason, d.Detail, wantEffect, want)
	}
	if wantEffect == authz.Allow && d.Principal == nil {
		t.Errorf("allow without a principal")
	}
	if wantEffect != authz.Allow && d.Principal != nil {
		t.Errorf("%s decision carries a principal", d.Reason)
	}
}
