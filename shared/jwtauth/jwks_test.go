package jwtauth

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth/jwtauthtest"
)

// TestRotation: a token signed with a new key is accepted after the
// unknown-kid refresh fetches the new JWKS, once.
func TestRotation(t *testing.T) {
	for _, keepOld := range []bool{true, false} {
		t.Run(map[bool]string{true: "old_key_kept", false: "old_key_removed"}[keepOld], func(t *testing.T) {
			is := issuerAt(t, "RS256")
			e := newEnv(t, policy(is.Config()))
			oldToken := is.Token(nil)
			wantReason(t, e.verify(t, oldToken), authz.ReasonAllowed)
			if n := is.JWKSRequests(); n != 1 {
				t.Fatalf("JWKS requests after cold start = %d, want 1", n)
			}
			is.Rotate(keepOld)
			newToken := is.Token(nil)
			d := e.verify(t, newToken)
			wantReason(t, d, authz.ReasonAllowed)
			if d.Principal != nil && d.Principal.CredentialID != is.Kid() {
				t.Errorf("CredentialID = %q, want the new kid %q", d.Principal.CredentialID, is.Kid())
			}
			if n := is.JWKSRequests(); n != 2 {
				t.Errorf("JWKS requests = %d, want 2 (one refresh)", n)
			}
			// The new key is known now: no further fetch.
			wantReason(t, e.verify(t, newToken), authz.ReasonAllowed)
			if n := is.JWKSRequests(); n != 2 {
				t.Errorf("JWKS requests = %d after a known kid, want 2", n)
			}
			// A removed key stops verifying once the JWKS no longer has it.
			want := authz.ReasonAllowed
			if !keepOld {
				want = authz.ReasonUnknownKid
			}
			wantReason(t, e.verify(t, oldToken), want)
		})
	}
}

// TestUnknownKidRateLimit: unknown kids trigger at most one JWKS fetch per
// unknown_kid_interval, on the injected clock; requests never wait for
// the limit.
func TestUnknownKidRateLimit(t *testing.T) {
	is := issuerAt(t, "ES256")
	c := is.Config()
	interval := config.Duration(30 * time.Second)
	c.JWKS.UnknownKidInterval = &interval
	e := newEnv(t, policy(c))
	unknown := func(kid string) string { return is.Sign(is.Claims(), map[string]any{"kid": kid}) }

	steps := []struct {
		advance  time.Duration
		kid      string
		requests int
	}{
		{0, "u1", 2},                // first unknown kid: refresh
		{0, "u2", 2},                // within the interval: no fetch
		{29 * time.Second, "u3", 2}, // still within
		{time.Second, "u4", 3},      // interval over: refresh
		{0, "u1", 3},
	}
	for i, s := range steps {
		e.clock.Advance(s.advance)
		d := e.verify(t, unknown(s.kid))
		wantReason(t, d, authz.ReasonUnknownKid)
		if got := is.JWKSRequests(); got != s.requests {
			t.Fatalf("step %d: JWKS requests = %d, want %d", i, got, s.requests)
		}
		if s.requests == steps[max(i-1, 0)].requests && i > 0 && !strings.Contains(d.Detail, "not refreshed") {
			t.Errorf("step %d: detail %q does not say the refresh was skipped", i, d.Detail)
		}
	}
	// A rotation inside the interval is picked up once the interval passes.
	is.Rotate(true)
	fresh := is.Token(nil)
	wantReason(t, e.verify(t, fresh), authz.ReasonUnknownKid)
	e.clock.Advance(30 * time.Second)
	wantReason(t, e.verify(t, fresh), authz.ReasonAllowed)
}

// TestOutageKeepsLastGoodKeys: failed or refused refreshes leave the keys
// verifying; the failure is logged.
func TestOutageKeepsLastGoodKeys(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(is *jwtauthtest.Issuer)
		log    string
	}{
		// net/http retries a GET once when a reused connection is dropped
		// before any answer, so this case may count one more request.
		{"connection_dropped", func(is *jwtauthtest.Issuer) { is.SetDown(true) }, "JWKS fetch failed"},
		{"http_500", func(is *jwtauthtest.Issuer) { is.SetStatus(http.StatusInternalServerError) }, "500"},
		{"not_json", func(is *jwtauthtest.Issuer) { is.ServeJWKS([]byte("<html>maintenance</html>")) }, "JWKS fetch failed"},
		{"empty_set", func(is *jwtauthtest.Issuer) { is.ServeJWKS([]byte(`{"keys":[]}`)) }, "no keys"},
		{"refused_set", func(is *jwtauthtest.Issuer) {
			k := is.JWK(is.Current())
			is.ServeJWKS(jwtauthtest.JWKSDocument(k, k))
		}, "more than one"},
		{"too_large", func(is *jwtauthtest.Issuer) {
			is.ServeJWKS([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", maxDocument) + `"}`))
		}, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := issuerAt(t, "ES256")
			e := newEnv(t, policy(is.Config()))
			old := is.Token(nil)
			wantReason(t, e.verify(t, old), authz.ReasonAllowed)
			tc.break_(is)
			// An unknown kid forces a refresh, which fails.
			d := e.verify(t, is.Sign(is.Claims(), map[string]any{"kid": "rotated"}))
			wantReason(t, d, authz.ReasonUnknownKid)
			if !strings.Contains(d.Detail, "refresh failed") {
				t.Errorf("detail %q does not report the failed refresh", d.Detail)
			}
			if n := is.JWKSRequests(); n != 2 && !(tc.name == "connection_dropped" && n == 3) {
				t.Errorf("JWKS requests = %d, want 2", n)
			}
			wantReason(t, e.verify(t, old), authz.ReasonAllowed)
			if !e.logs.contains("ERROR", tc.log) {
				t.Errorf("no error logged containing %q; log:\n%s", tc.log, e.logs.all())
			}
		})
	}
}

// TestColdStartWithJWKSDown: New succeeds (other issuers serve), the
// issuer's tokens get a technical error until a fetch succeeds.
func TestColdStartWithJWKSDown(t *testing.T) {
	down := issuerAt(t, "ES256", jwtauthtest.WithName("down"))
	up := issuerAt(t, "ES256", jwtauthtest.WithName("up"))
	down.SetDown(true)
	e := newEnv(t, policy(down.Config(), up.Config()))
	if !e.logs.contains("ERROR", "starts without keys", "issuer=down") {
		t.Errorf("cold-start failure not logged:\n%s", e.logs.all())
	}
	wantReason(t, e.verify(t, up.Token(nil)), authz.ReasonAllowed)

	d, err := e.v.Verify(context.Background(), down.Token(nil))
	if !errors.Is(err, ErrNoKeys) {
		t.Fatalf("Verify = %v/%v, want ErrNoKeys", d.Reason, err)
	}
	if d.Effect == authz.Allow || d.Principal != nil {
		t.Errorf("technical failure returned decision %+v", d)
	}
	requests := down.JWKSRequests() // cold start + one rate-limited retry
	if requests != 2 {
		t.Errorf("JWKS requests = %d, want 2", requests)
	}
	// Back up, but within the retry interval: still no keys, no fetch.
	down.SetDown(false)
	if _, err := e.v.Verify(context.Background(), down.Token(nil)); !errors.Is(err, ErrNoKeys) {
		t.Fatalf("Verify within the interval: %v, want ErrNoKeys", err)
	}
	if down.JWKSRequests() != requests {
		t.Errorf("JWKS fetched within the rate limit")
	}
	e.clock.Advance(config.DefaultUnknownKidInterval)
	wantReason(t, e.verify(t, down.Token(nil)), authz.ReasonAllowed)
}

func TestDiscovery(t *testing.T) {
	t.Run("resolves_jwks_uri", func(t *testing.T) {
		is := issuerAt(t, "RS256", jwtauthtest.WithPath("/realms/portcullis"))
		e := newEnv(t, policy(is.DiscoveryConfig()))
		wantReason(t, e.verify(t, is.Token(nil)), authz.ReasonAllowed)
		if is.DiscoveryRequests() != 1 || is.JWKSRequests() != 1 {
			t.Errorf("requests: discovery %d, JWKS %d; want 1 and 1", is.DiscoveryRequests(), is.JWKSRequests())
		}
		// Rotation refreshes the JWKS, not the discovery document.
		is.Rotate(false)
		wantReason(t, e.verify(t, is.Token(nil)), authz.ReasonAllowed)
		if is.DiscoveryRequests() != 1 || is.JWKSRequests() != 2 {
			t.Errorf("requests after rotation: discovery %d, JWKS %d; want 1 and 2", is.DiscoveryRequests(), is.JWKSRequests())
		}
	})
	t.Run("issuer_mismatch", func(t *testing.T) {
		is := issuerAt(t, "ES256")
		is.SetDiscoveryIssuer("https://evil.example")
		e := newEnv(t, policy(is.DiscoveryConfig()))
		_, err := e.v.Verify(context.Background(), is.Token(nil))
		if !errors.Is(err, ErrNoKeys) || !errors.Is(err, ErrDiscovery) {
			t.Fatalf("Verify error = %v, want ErrNoKeys caused by ErrDiscovery", err)
		}
		if is.JWKSRequests() != 0 {
			t.Errorf("the JWKS of a mismatching discovery document was fetched")
		}
		if !strings.Contains(err.Error(), `names issuer "https://evil.example"`) {
			t.Errorf("error %q does not name the mismatch", err)
		}
	})
	t.Run("down_then_up", func(t *testing.T) {
		is := issuerAt(t, "ES256")
		is.SetStatus(http.StatusBadGateway)
		e := newEnv(t, policy(is.DiscoveryConfig()))
		if _, err := e.v.Verify(context.Background(), is.Token(nil)); !errors.Is(err, ErrDiscovery) {
			t.Fatalf("Verify error = %v, want ErrDiscovery", err)
		}
		is.SetStatus(0)
		e.clock.Advance(config.DefaultUnknownKidInterval)
		wantReason(t, e.verify(t, is.Token(nil)), authz.ReasonAllowed)
	})
}

func TestCheckFetchURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://idp.example/jwks", true},
		{"http://127.0.0.1:8080/jwks", true},
		{"http://[::1]/jwks", true},
		{"http://localhost/jwks", true},
		{"http://idp.example/jwks", false},
		{"http://10.0.0.1/jwks", false},
		{"file:///etc/passwd", false},
		{"/jwks.json", false},
		{"https://", false},
	} {
		if err := checkFetchURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("checkFetchURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

// TestPeriodicRefresh: the JWKS is fetched every refresh_interval in the
// background, until Close.
func TestPeriodicRefresh(t *testing.T) {
	is := issuerAt(t, "ES256")
	c := is.Config()
	every := config.Duration(10 * time.Millisecond)
	c.JWKS.RefreshInterval = &every
	e := newEnv(t, policy(c))
	waitFor(t, func() bool { return is.JWKSRequests() >= 3 }, "two background refreshes")
	// A background refresh picks up a rotation without any unknown kid.
	is.Rotate(false)
	before := is.JWKSRequests()
	store := e.v.issuers[is.Issuer()].store
	waitFor(t, func() bool { _, ok := store.snapshot().byKid[is.Kid()]; return ok && is.JWKSRequests() > before }, "a refresh after the rotation")
	wantReason(t, e.verify(t, is.Token(nil)), authz.ReasonAllowed)

	e.v.Close()
	// Wait out one in-flight tick, then the count must stay put.
	time.Sleep(30 * time.Millisecond)
	after := is.JWKSRequests()
	time.Sleep(100 * time.Millisecond)
	if got := is.JWKSRequests(); got != after {
		t.Errorf("JWKS fetched %d times after Close", got-after)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBundledJWKS: a bundled file needs no network, at cold start or for
// unknown kids.
func TestBundledJWKS(t *testing.T) {
	is := issuerAt(t, "ES256")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keys.json"), is.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	c := is.Config()
	c.JWKS.URL = ""
	c.JWKS.File = "keys.json" // relative to the policy file
	f := policy(c)
	f.Path = filepath.Join(dir, "policy.yaml")
	is.SetDown(true)
	e := newEnv(t, f)
	wantReason(t, e.verify(t, is.Token(nil)), authz.ReasonAllowed)
	d := e.verify(t, is.Sign(is.Claims(), map[string]any{"kid": "other"}))
	wantReason(t, d, authz.ReasonUnknownKid)
	if !strings.Contains(d.Detail, "bundled") {
		t.Errorf("detail %q", d.Detail)
	}
	if n := is.JWKSRequests(); n != 0 {
		t.Errorf("JWKS requests = %d for a bundled key set", n)
	}
}

// TestBundledJWKSStrictJSON: a bundled file with a duplicate member is
// refused, like a token would be.
func TestBundledJWKSStrictJSON(t *testing.T) {
	is := issuerAt(t, "ES256")
	doc := strings.Replace(string(is.JWKS()), `"kty"`, `"kty":"RSA","kty"`, 1)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c := is.Config()
	c.JWKS.URL, c.JWKS.File = "", path
	_, err := New(context.Background(), policy(c))
	if !errors.Is(err, ErrJWKS) || !errors.Is(err, errDuplicate) {
		t.Fatalf("New error = %v, want ErrJWKS for a duplicate member", err)
	}
}

// TestDevPolicy loads the repository's development policy and verifies a
// token signed with the committed development key.
func TestDevPolicy(t *testing.T) {
	f, err := config.Load("../../events/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, f, WithSecrets(func(context.Context, config.SecretRef) ([]byte, error) { return nil, errors.New("unused") }))
	if len(e.v.issuers) != len(f.Issuers) {
		t.Fatalf("issuers = %d, want %d", len(e.v.issuers), len(f.Issuers))
	}
	for iss, is := range e.v.issuers {
		if is.store == nil || is.store.snapshot() == nil || len(is.store.snapshot().all) == 0 {
			t.Errorf("issuer %s has no keys", iss)
		}
	}
}

func TestTLSClient(t *testing.T) {
	is := issuerAt(t, "EdDSA", jwtauthtest.WithTLS())
	c := is.Config()
	// Without the server's CA the fetch fails: the issuer has no keys.
	e := newEnv(t, policy(c))
	if _, err := e.v.Verify(context.Background(), is.Token(nil)); !errors.Is(err, ErrNoKeys) {
		t.Fatalf("Verify error = %v, want ErrNoKeys (untrusted certificate)", err)
	}
	e2 := newEnv(t, policy(c), WithHTTPClient(is.Client()))
	wantReason(t, e2.verify(t, is.Token(nil)), authz.ReasonAllowed)
}

// TestFetchTimeout: a JWKS endpoint that never answers is abandoned after
// the issuer's timeout.
func TestFetchTimeout(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	is := issuerAt(t, "ES256")
	c := is.Config()
	timeout := config.Duration(50 * time.Millisecond)
	c.JWKS.Timeout = &timeout
	slow := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-block:
			return nil, errors.New("unblocked")
		}
	})}
	start := time.Now()
	e := newEnv(t, policy(c), WithHTTPClient(slow))
	if _, err := e.v.Verify(context.Background(), is.Token(nil)); !errors.Is(err, ErrNoKeys) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify error = %v, want ErrNoKeys after a deadline", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cold start and one retry took %s with a 50ms timeout", time.Since(start))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestROCA checks the ROCA fingerprint test on a fresh key (negative) and
// on a modulus built with the RSALib structure (positive); the Wycheproof
// ROCA key runs in TestWycheproofJWK.
func TestROCA(t *testing.T) {
	is := jwtauthtest.NewIssuer(t, "RS256")
	if rocaFingerprint(rsaModulus(is)) {
		t.Error("a fresh Go RSA key has the ROCA fingerprint")
	}
	// p = k*M + 65537^a mod M and q alike: N mod r is in <65537> for every r | M.
	m := big.NewInt(1)
	for _, r := range rocaPrimes {
		m.Mul(m, big.NewInt(r))
	}
	g := big.NewInt(65537)
	p := new(big.Int).Add(new(big.Int).Mul(big.NewInt(1234567), m), new(big.Int).Exp(g, big.NewInt(77), m))
	q := new(big.Int).Add(new(big.Int).Mul(big.NewInt(7654321), m), new(big.Int).Exp(g, big.NewInt(191), m))
	if !rocaFingerprint(new(big.Int).Mul(p, q)) {
		t.Error("an RSALib-shaped modulus lacks the ROCA fingerprint")
	}
}

// TestRedirects: a JWKS URL may redirect to https or loopback URLs only.
func TestRedirects(t *testing.T) {
	is := issuerAt(t, "ES256")
	for _, tc := range []struct {
		name, to string
		ok       bool
	}{
		{"to_loopback_jwks", is.JWKSURL(), true},
		{"to_plain_http", "http://idp.example/jwks.json", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			redirector := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.URL.Path == "/redirect" {
					return &http.Response{StatusCode: http.StatusFound, Header: http.Header{"Location": {tc.to}}, Body: http.NoBody, Request: r}, nil
				}
				if r.URL.Host == "idp.example" {
					t.Errorf("followed the redirect to %s", r.URL)
				}
				return http.DefaultTransport.RoundTrip(r)
			})}
			c := is.Config()
			c.JWKS.URL = is.URL() + "/redirect"
			e := newEnv(t, policy(c), WithHTTPClient(redirector))
			d, err := e.v.Verify(context.Background(), is.Token(nil))
			if tc.ok {
				if err != nil || d.Effect != authz.Allow {
					t.Fatalf("Verify = %v, %v", d.Reason, err)
				}
				return
			}
			if !errors.Is(err, ErrNoKeys) || !strings.Contains(err.Error(), "only https") {
				t.Fatalf("Verify error = %v, want ErrNoKeys for a refused redirect", err)
			}
		})
	}
}
