package jwtauth

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth/jwtauthtest"
)

// A tcase is one token and the decision Verify must reach.
type tcase struct {
	name  string
	alg   string // the issuer's algorithm; ES256 when empty
	token func(t testing.TB, is *jwtauthtest.Issuer) string
	want  authz.Reason
}

// runCases runs cases against one issuer per algorithm (configured by
// adjust, when set), each in its own subtest.
func runCases(t *testing.T, cases []tcase, adjust func(*config.Issuer)) {
	t.Helper()
	type setup struct {
		is *jwtauthtest.Issuer
		e  *env
	}
	setups := map[string]*setup{}
	get := func(alg string) *setup {
		if s := setups[alg]; s != nil {
			return s
		}
		is := issuerAt(t, alg)
		c := is.Config()
		if adjust != nil {
			adjust(&c)
		}
		s := &setup{is: is, e: newEnv(t, policy(c), secretsOf(is))}
		setups[alg] = s
		return s
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alg := tc.alg
			if alg == "" {
				alg = "ES256"
			}
			s := get(alg)
			token := tc.token(t, s.is)
			d := s.e.verify(t, token)
			wantReason(t, d, tc.want)
			if token != "" && len(token) > 16 && containsAny(d.Detail, token) {
				t.Errorf("detail %q contains the token", d.Detail)
			}
		})
	}
}

// containsAny reports whether detail contains the token or its signature.
func containsAny(detail, token string) bool {
	sig := token[strings.LastIndexByte(token, '.')+1:]
	return strings.Contains(detail, token) || len(sig) >= 16 && strings.Contains(detail, sig)
}

// hdr is the issuer's header JSON with extra members appended.
func hdr(is *jwtauthtest.Issuer, extra string) string {
	return fmt.Sprintf(`{"alg":%q,"kid":%q%s}`, is.Alg(), is.Kid(), extra)
}

// body is a valid claim set as JSON text with extra members appended.
func body(is *jwtauthtest.Issuer, extra string) string {
	return fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"user-1","iat":%d,"exp":%d%s}`,
		is.Issuer(), is.Audience(), testNow.Unix(), testNow.Unix()+3600, extra)
}

// raw signs header and payload text with the issuer's key.
func raw(is *jwtauthtest.Issuer, header, payload string) string {
	return is.SignRaw([]byte(header), []byte(payload))
}

// unsigned assembles header and payload text with a given signature part.
func unsigned(header, payload, sig string) string {
	return jwtauthtest.B64([]byte(header)) + "." + jwtauthtest.B64([]byte(payload)) + "." + sig
}

// signAs signs header and payload text with method and key.
func signAs(t testing.TB, m jwt.SigningMethod, key any, header, payload string) string {
	input := jwtauthtest.B64([]byte(header)) + "." + jwtauthtest.B64([]byte(payload))
	return input + "." + jwtauthtest.B64(jwtauthtest.SignWith(t, m, key, input))
}

// hs256 computes HMAC-SHA256 with any key, even an empty one (golang-jwt
// refuses to sign with those).
func hs256(key []byte, header, payload string) string {
	input := jwtauthtest.B64([]byte(header)) + "." + jwtauthtest.B64([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + jwtauthtest.B64(m.Sum(nil))
}

// tok returns a token func for a fixed string builder.
func tok(f func(is *jwtauthtest.Issuer) string) func(testing.TB, *jwtauthtest.Issuer) string {
	return func(_ testing.TB, is *jwtauthtest.Issuer) string { return f(is) }
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func mustMarshal(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil && t != nil {
		t.Fatal(err)
	}
	return b
}

func mustB64(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func sha256Sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func sha1Sum(s string) []byte {
	h := sha1.Sum([]byte(s))
	return h[:]
}

// flipB64 changes one character in the middle of a base64url value.
func flipB64(s string) string {
	i := len(s) / 2
	c := alphabet[(strings.IndexByte(alphabet, s[i])+1)%64]
	return s[:i] + string(c) + s[i+1:]
}

// rsaJWK returns the public JWK of a fresh 2048-bit RSA key.
func rsaJWK(t *testing.T) map[string]any {
	is := jwtauthtest.NewIssuer(t, "RS256")
	return is.JWK(is.Current())
}

// ecD returns the private scalar of an EC issuer's key as a JWK "d".
func ecD(is *jwtauthtest.Issuer) string {
	b, err := is.Current().Private.(*ecdsa.PrivateKey).Bytes()
	if err != nil {
		panic(err)
	}
	return jwtauthtest.B64(b)
}

func slogFor(l *logRecords) *slog.Logger { return slog.New(l) }

func lastPart(token string) string { return token[strings.LastIndexByte(token, '.')+1:] }

// rsaModulus returns an RSA issuer's modulus.
func rsaModulus(is *jwtauthtest.Issuer) *big.Int {
	return is.Current().Public.(*rsa.PublicKey).N
}
