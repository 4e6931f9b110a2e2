package jwtauthtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

func decodeClaims(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	p := strings.Split(token, ".")
	if len(p) != 3 {
		t.Fatalf("token has %d parts", len(p))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(p[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

// TestTokensVerify: every algorithm's tokens verify with golang-jwt and
// the published key, and carry the default claims.
func TestTokensVerify(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, alg := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"} {
		t.Run(alg, func(t *testing.T) {
			is := NewIssuer(t, alg, WithClock(func() time.Time { return now }))
			token := is.Token(map[string]any{"scope": "a", "sub": Omit})
			h, c := decodeClaims(t, token)
			if diff := cmp.Diff(h, map[string]any{"alg": alg, "kid": is.Kid(), "typ": "JWT"}); diff != "" {
				t.Errorf("header (-got +want):\n%s", diff)
			}
			want := map[string]any{"iss": is.Issuer(), "aud": Audience, "scope": "a",
				"iat": float64(now.Unix()), "nbf": float64(now.Unix()), "exp": float64(now.Add(time.Hour).Unix())}
			if diff := cmp.Diff(c, want); diff != "" {
				t.Errorf("claims (-got +want):\n%s", diff)
			}
			dot := strings.LastIndexByte(token, '.')
			sig, _ := base64.RawURLEncoding.DecodeString(token[dot+1:])
			if err := jwt.GetSigningMethod(alg).Verify(token[:dot], sig, is.Current().Public); err != nil {
				t.Errorf("signature does not verify: %v", err)
			}
		})
	}
}

func get(t *testing.T, c *http.Client, url string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestServerRotationAndOutages(t *testing.T) {
	is := NewIssuer(t, "ES256", WithPath("/realms/x"))
	c := is.Client()
	kids := func() []string {
		_, b := get(t, c, is.JWKSURL())
		var set struct{ Keys []struct{ Kid string } }
		if err := json.Unmarshal(b, &set); err != nil {
			t.Fatalf("JWKS %s: %v", b, err)
		}
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.Kid)
		}
		return out
	}
	first := is.Kid()
	if diff := cmp.Diff(kids(), []string{first}); diff != "" {
		t.Errorf("kids (-got +want):\n%s", diff)
	}
	second := is.Rotate(true).Kid
	if diff := cmp.Diff(kids(), []string{second, first}); diff != "" {
		t.Errorf("after Rotate(true) (-got +want):\n%s", diff)
	}
	third := is.Rotate(false).Kid
	if diff := cmp.Diff(kids(), []string{third}); diff != "" {
		t.Errorf("after Rotate(false) (-got +want):\n%s", diff)
	}
	if first == second || second == third {
		t.Errorf("kids repeat: %s %s %s", first, second, third)
	}

	_, doc := get(t, c, is.Issuer()+DiscoveryPath)
	var d map[string]any
	_ = json.Unmarshal(doc, &d)
	if d["issuer"] != is.Issuer() || d["jwks_uri"] != is.JWKSURL() {
		t.Errorf("discovery document %s", doc)
	}
	is.SetDiscoveryIssuer("https://other")
	_, doc = get(t, c, is.Issuer()+DiscoveryPath)
	if !strings.Contains(string(doc), `"issuer":"https://other"`) {
		t.Errorf("discovery issuer not overridden: %s", doc)
	}

	is.SetStatus(http.StatusServiceUnavailable)
	if code, _ := get(t, c, is.JWKSURL()); code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", code)
	}
	is.SetStatus(0)
	is.SetDown(true)
	if code, _ := get(t, c, is.JWKSURL()); code != 0 {
		t.Errorf("down server answered %d", code)
	}
	is.SetDown(false)
	is.ServeJWKS([]byte(`{"keys":"x"}`))
	if _, b := get(t, c, is.JWKSURL()); string(b) != `{"keys":"x"}` {
		t.Errorf("override not served: %s", b)
	}
	// Down requests count too (net/http may retry a dropped connection once).
	if n := is.JWKSRequests(); n < 6 || n > 7 {
		t.Errorf("JWKS requests = %d, want 6 or 7", n)
	}
	if n := is.DiscoveryRequests(); n != 2 {
		t.Errorf("discovery requests = %d, want 2", n)
	}
}

func TestRawSigning(t *testing.T) {
	is := NewIssuer(t, "HS256")
	token := is.SignRaw([]byte(`{"alg":"HS256","alg":"none"}`), []byte("not json"))
	p := strings.Split(token, ".")
	if h, _ := base64.RawURLEncoding.DecodeString(p[0]); string(h) != `{"alg":"HS256","alg":"none"}` {
		t.Errorf("header bytes changed: %s", h)
	}
	if err := jwt.SigningMethodHS256.Verify(p[0]+"."+p[1], mustDecode(t, p[2]), is.Current().Public); err != nil {
		t.Errorf("raw token does not verify: %v", err)
	}
	if got := Compact("a", "b", []byte{0xff}); got != "a.b._w" {
		t.Errorf("Compact = %q", got)
	}
	secret, err := is.Secrets()(context.Background(), is.SecretRef())
	if err != nil || len(secret) != 32 {
		t.Errorf("Secrets = %d bytes, %v", len(secret), err)
	}
	if cfg := is.Config(); cfg.HMACSecret == nil || cfg.JWKS.URL != "" {
		t.Errorf("HS config %+v", cfg)
	}
}

func mustDecode(t *testing.T, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
