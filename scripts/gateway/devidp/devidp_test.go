package devidp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/scripts/testenv"
	"github.com/portcullis-authz/portcullis/shared/config"
)

var fixed = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func devPolicy(t *testing.T) *config.File {
	t.Helper()
	f, err := config.Load(filepath.Join(testenv.ModuleRoot(t), "events", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func devProvider(t *testing.T) *Provider {
	t.Helper()
	f := devPolicy(t)
	p, err := New(f, "dev", f.Resolve("dev-signing-key.pem"), WithClock(func() time.Time { return fixed }))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// verify checks a token independently of the provider: with the public
// key read from the issuer's JWKS file and golang-jwt's own checks.
func verify(t *testing.T, tok string) jwt.MapClaims {
	t.Helper()
	f := devPolicy(t)
	data, err := os.ReadFile(f.Resolve(f.Issuers[0].JWKS.File))
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatal(err)
	}
	keys := map[string]*ecdsa.PublicKey{}
	for _, k := range set.Keys {
		raw := []byte{4}
		for _, c := range []string{k.X, k.Y} {
			b, err := jwtB64(c)
			if err != nil {
				t.Fatal(err)
			}
			raw = append(raw, b...)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
		if err != nil {
			t.Fatal(err)
		}
		keys[k.Kid] = pub
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) {
		k := keys[tk.Header["kid"].(string)]
		if k == nil {
			return nil, errors.New("unknown kid")
		}
		return k, nil
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return fixed }),
		jwt.WithIssuer(f.Issuers[0].Issuer), jwt.WithAudience(f.Issuers[0].Audiences[0]), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	return claims
}

func jwtB64(s string) ([]byte, error) { return jwt.NewParser().DecodeSegment(s) }

func TestMintVerifies(t *testing.T) {
	p := devProvider(t)
	if got, want := p.Kid(), "dev-es256-1"; got != want {
		t.Errorf("Kid() = %q, want %q", got, want)
	}
	tok, err := p.Mint(Claims{
		Subject: "alice", Scopes: []string{"orders:read", "orders:write"}, Groups: []string{"admin"},
		ACR: "urn:portcullis:mfa", AMR: []string{"pwd", "mfa"}, TTL: 30 * time.Minute, AuthAge: 5 * time.Minute,
		Tenant: "acme", Email: "alice@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := verify(t, tok)
	delete(got, "jti")
	want := jwt.MapClaims{
		"iss": "http://127.0.0.1:4000/dev-idp", "aud": "portcullis-dev", "sub": "alice",
		"iat": float64(fixed.Unix()), "exp": float64(fixed.Add(30 * time.Minute).Unix()),
		"auth_time": float64(fixed.Add(-5 * time.Minute).Unix()),
		"scope":     "orders:read orders:write", "groups": []any{"admin"},
		"acr": "urn:portcullis:mfa", "amr": []any{"pwd", "mfa"},
		"tenant": "acme", "email": "alice@example.com", "client_id": ClientID,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("claims (-got +want):\n%s", diff)
	}
}

func TestMintDefaultsAndLimits(t *testing.T) {
	p := devProvider(t)
	tok, err := p.Mint(Claims{})
	if err != nil {
		t.Fatal(err)
	}
	c := verify(t, tok)
	if c["sub"] != DefaultSubject || c["exp"] != float64(fixed.Add(DefaultTTL).Unix()) {
		t.Errorf("defaults: sub %v exp %v, want %s and now+%s", c["sub"], c["exp"], DefaultSubject, DefaultTTL)
	}
	for _, bad := range []Claims{{TTL: -time.Second}, {TTL: MaxTTL + time.Second}, {TTL: time.Millisecond}, {AuthAge: -time.Minute}} {
		if _, err := p.Mint(bad); !errors.Is(err, ErrClaims) {
			t.Errorf("Mint(%+v) error = %v, want ErrClaims", bad, err)
		}
	}
}

func TestNewRejects(t *testing.T) {
	f := devPolicy(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(other)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	otherKey := filepath.Join(dir, "other.pem")
	if err := os.WriteFile(otherKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, issuer, key string }{
		{"unknown issuer", "nope", f.Resolve("dev-signing-key.pem")},
		{"key not in JWKS", "dev", otherKey},
		{"not PEM", "dev", garbage},
		{"missing file", "dev", filepath.Join(dir, "absent.pem")},
	}
	for _, tt := range tests {
		if _, err := New(f, tt.issuer, tt.key); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: New error = %v, want ErrConfig", tt.name, err)
		}
	}
}

func TestParseClaims(t *testing.T) {
	v := url.Values{
		"sub": {"bob"}, "scope": {"orders:read orders:write", "admin"}, "groups": {"a,b", "c"},
		"amr": {"pwd mfa"}, "acr": {"urn:x"}, "ttl": {"90"}, "auth_age": {"20m"}, "tenant": {"t1"},
	}
	got, err := ParseClaims(v)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{Subject: "bob", Scopes: []string{"orders:read", "orders:write", "admin"}, Groups: []string{"a", "b", "c"},
		AMR: []string{"pwd", "mfa"}, ACR: "urn:x", TTL: 90 * time.Second, AuthAge: 20 * time.Minute, Tenant: "t1"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("ParseClaims (-got +want):\n%s", diff)
	}
	for _, bad := range []url.Values{{"ttl": {"soon"}}, {"auth_age": {"1.5"}}, {"ttl": {"10 "}}} {
		if _, err := ParseClaims(bad); !errors.Is(err, ErrClaims) {
			t.Errorf("ParseClaims(%v) error = %v, want ErrClaims", bad, err)
		}
	}
}

func TestHandler(t *testing.T) {
	p := devProvider(t)
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	get := func(path string) (int, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	status, body := get("/dev-idp/.well-known/openid-configuration")
	var disc map[string]any
	if err := json.Unmarshal(body, &disc); status != 200 || err != nil {
		t.Fatalf("discovery: %d %s (%v)", status, body, err)
	}
	if disc["issuer"] != p.Issuer() || disc["jwks_uri"] != srv.URL+"/dev-idp/jwks.json" || disc["token_endpoint"] != srv.URL+"/dev-idp/token" {
		t.Errorf("discovery = %v, want issuer %s and endpoints under %s/dev-idp", disc, p.Issuer(), srv.URL)
	}

	status, body = get("/dev-idp/jwks.json")
	f := devPolicy(t)
	file, _ := os.ReadFile(f.Resolve("dev-jwks.json"))
	if status != 200 || string(body) != string(file) {
		t.Errorf("jwks: %d %s, want 200 and the issuer's JWKS file", status, body)
	}

	resp, err := http.PostForm(srv.URL+"/dev-idp/token", url.Values{"sub": {"carol"}, "scope": {"orders:read"}, "ttl": {"10m"}})
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token: %d %v %v", resp.StatusCode, resp.Header, err)
	}
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 600 || tr.Scope != "orders:read" {
		t.Errorf("token response = %+v, want Bearer, 600, orders:read", tr)
	}
	if c := verify(t, tr.AccessToken); c["sub"] != "carol" {
		t.Errorf("minted sub = %v, want carol", c["sub"])
	}

	req, _ := http.NewRequest("POST", srv.URL+"/dev-idp/token", strings.NewReader("sub=dave"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/plain")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if c := verify(t, strings.TrimSpace(string(raw))); c["sub"] != "dave" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("text/plain token: sub %v, content type %q", c["sub"], resp.Header.Get("Content-Type"))
	}

	status, body = get("/dev-idp/token?ttl=48h")
	if status != 400 || !strings.Contains(string(body), "invalid_request") {
		t.Errorf("token with ttl 48h: %d %s, want 400 invalid_request", status, body)
	}
	if status, _ = get("/dev-idp/other"); status != 404 {
		t.Errorf("unknown path: %d, want 404", status)
	}
}

func TestPublicJWKSWithoutFile(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kid, err := findKid(publicJWKS("k1", &k.PublicKey), &k.PublicKey)
	if err != nil || kid != "k1" {
		t.Errorf("findKid(publicJWKS(k1)) = %q, %v; want k1", kid, err)
	}
}

func FuzzParseClaims(f *testing.F) {
	f.Add("sub=a&scope=orders:read+orders:write&ttl=90&auth_age=20m&amr=pwd,mfa")
	f.Add("ttl=-1s&groups=,,,")
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		c, err := ParseClaims(v)
		if err != nil {
			if !errors.Is(err, ErrClaims) {
				t.Fatalf("error %v does not wrap ErrClaims", err)
			}
			return
		}
		for _, list := range [][]string{c.Scopes, c.Groups, c.AMR} {
			for _, s := range list {
				if s == "" || strings.ContainsAny(s, " ,") {
					t.Fatalf("list element %q", s)
				}
			}
		}
	})
}
