package jwtauth

// The JWT/JWS attack and edge-case catalog of the team handbook
// (testdata/CATALOG.md section 3, rows 1-24, and its claims table), one
// named subtest per case. Rows that need the Wycheproof or RFC 7520
// material run in vectors_test.go; rows about key sets also run in
// jwks_test.go.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth/jwtauthtest"
)

func TestCatalog(t *testing.T) { runCases(t, catalogCases(), nil) }

// catalogCases are the token cases of CATALOG rows 1-24 (also the fuzz
// seeds of FuzzVerify).
func catalogCases() []tcase {
	var cases []tcase
	add := func(c ...tcase) { cases = append(cases, c...) }

	// Row 1: alg none in any letter case, with and without a signature.
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		add(tcase{name: "row01/alg_" + none + "_empty_sig", token: tok(func(is *jwtauthtest.Issuer) string {
			return unsigned(fmt.Sprintf(`{"alg":%q,"kid":%q}`, none, is.Kid()), body(is, ""), "")
		}), want: authz.ReasonAlgNone})
	}
	add(tcase{name: "row01/alg_none_with_signature", token: tok(func(is *jwtauthtest.Issuer) string {
		return raw(is, fmt.Sprintf(`{"alg":"none","kid":%q}`, is.Kid()), body(is, ""))
	}), want: authz.ReasonAlgNone})

	// Row 2: empty or stripped signature.
	add(
		tcase{name: "row02/empty_signature", token: tok(func(is *jwtauthtest.Issuer) string {
			return unsigned(hdr(is, ""), body(is, ""), "")
		}), want: authz.ReasonMalformedToken},
		tcase{name: "row02/stripped_signature_and_dot", token: tok(func(is *jwtauthtest.Issuer) string {
			tk := is.Token(nil)
			return tk[:strings.LastIndexByte(tk, '.')]
		}), want: authz.ReasonNotCompact},
	)

	// Row 3: HS256 signed with the issuer's public key bytes. The issuer
	// allows only its asymmetric algorithm, so the attempt ends at the
	// allow-list (the key-type layer is covered by TestCheckKey and
	// Wycheproof JWS 31).
	for _, alg := range []string{"RS256", "ES256"} {
		add(tcase{name: "row03/hs256_with_public_key_" + alg, alg: alg, token: func(t testing.TB, is *jwtauthtest.Issuer) string {
			der, err := x509.MarshalPKIXPublicKey(is.Current().Public)
			if err != nil {
				t.Fatal(err)
			}
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			return hs256(pemKey, fmt.Sprintf(`{"alg":"HS256","kid":%q}`, is.Kid()), body(is, ""))
		}, want: authz.ReasonAlgNotAllowed})
	}

	// Row 5: an embedded jwk with a self-generated key.
	add(tcase{name: "row05/embedded_jwk", token: func(t testing.TB, is *jwtauthtest.Issuer) string {
		attacker := jwtauthtest.NewIssuer(t, "ES256")
		jwk := attacker.JWK(attacker.Current())
		jwk["kid"] = is.Kid()
		h := fmt.Sprintf(`{"alg":"ES256","kid":%q,"jwk":%s}`, is.Kid(), mustMarshal(t, jwk))
		return signAs(t, jwt.SigningMethodES256, attacker.Current().Private, h, body(is, ""))
	}, want: authz.ReasonEmbeddedKey})

	// Row 6: key references (the no-fetch assertion is TestCatalogRow06NoFetch).
	for _, member := range []string{`"jku":"https://attacker.example/jwks.json"`, `"x5u":"https://attacker.example/cert.pem"`, `"x5c":["MIIBszCCAVmgAwIBAgIUQ"]`} {
		add(tcase{name: "row06/" + member[1:4], token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, ","+member), body(is, ""))
		}), want: authz.ReasonEmbeddedKey})
	}

	// Row 7: kid injection. Signed with the issuer's real key, the kid is
	// the only defect: it is a lookup key, never a path or query.
	for _, kid := range []string{"../../../../../../dev/null", "/dev/null", "/invalid_path", "|sleep 10", "x' UNION SELECT '1';--"} {
		add(tcase{name: "row07/kid_" + kid, token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, fmt.Sprintf(`{"alg":"ES256","kid":%q}`, kid), body(is, ""))
		}), want: authz.ReasonUnknownKid})
	}
	add(
		tcase{name: "row07/kid_empty", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, `{"alg":"ES256","kid":""}`, body(is, ""))
		}), want: authz.ReasonUnknownKid},
		tcase{name: "row07/kid_not_a_string", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, `{"alg":"ES256","kid":7}`, body(is, ""))
		}), want: authz.ReasonMalformedToken},
	)
	// Row 7 with jwt_tool's null and '1' HMAC keys, against an HS256 issuer.
	for _, key := range []string{"", "1"} {
		add(tcase{name: fmt.Sprintf("row07/hs256_key_%q_kid_dev_null", key), alg: "HS256", token: tok(func(is *jwtauthtest.Issuer) string {
			return hs256([]byte(key), `{"alg":"HS256","kid":"../../../../../../dev/null"}`, body(is, ""))
		}), want: authz.ReasonBadSignature})
	}

	// Row 8: common and blank HMAC secrets against a strong configured one
	// (refusing weak configured secrets is TestCatalogRow08WeakSecret).
	for _, secret := range []string{"", "secret", "password", "your-256-bit-secret"} {
		add(tcase{name: fmt.Sprintf("row08/common_secret_%q", secret), alg: "HS256", token: tok(func(is *jwtauthtest.Issuer) string {
			return hs256([]byte(secret), hdr(is, ""), body(is, ""))
		}), want: authz.ReasonBadSignature})
	}

	// Row 13: tampered or malformed compact serialization.
	add(
		tcase{name: "row13/modified_signature", token: tok(func(is *jwtauthtest.Issuer) string {
			return flipLastSigByte(is.Token(nil))
		}), want: authz.ReasonBadSignature},
		tcase{name: "row13/modified_payload", token: tok(func(is *jwtauthtest.Issuer) string {
			tk := strings.Split(is.Token(nil), ".")
			tk[1] = jwtauthtest.B64([]byte(body(is, `,"admin":true`)))
			return strings.Join(tk, ".")
		}), want: authz.ReasonBadSignature},
		tcase{name: "row13/modified_header", token: tok(func(is *jwtauthtest.Issuer) string {
			tk := strings.Split(is.Token(nil), ".")
			tk[0] = jwtauthtest.B64([]byte(hdr(is, `,"typ":"at+jwt"`)))
			return strings.Join(tk, ".")
		}), want: authz.ReasonBadSignature},
		tcase{name: "row13/missing_header", token: tok(func(is *jwtauthtest.Issuer) string {
			tk := is.Token(nil)
			return tk[strings.IndexByte(tk, '.'):]
		}), want: authz.ReasonMalformedToken},
		tcase{name: "row13/missing_header_and_dot", token: tok(func(is *jwtauthtest.Issuer) string {
			tk := is.Token(nil)
			return tk[strings.IndexByte(tk, '.')+1:]
		}), want: authz.ReasonNotCompact},
		tcase{name: "row13/missing_payload", token: tok(func(is *jwtauthtest.Issuer) string {
			tk := strings.Split(is.Token(nil), ".")
			return tk[0] + ".." + tk[2]
		}), want: authz.ReasonMalformedToken},
		tcase{name: "row13/missing_payload_and_dot", token: tok(func(is *jwtauthtest.Issuer) string {
			tk := strings.Split(is.Token(nil), ".")
			return tk[0] + "." + tk[2]
		}), want: authz.ReasonNotCompact},
		tcase{name: "row13/only_a_signature", token: tok(func(is *jwtauthtest.Issuer) string {
			return "." + "." + lastPart(is.Token(nil))
		}), want: authz.ReasonMalformedToken},
		tcase{name: "row13/empty_string", token: tok(func(*jwtauthtest.Issuer) string { return "" }), want: authz.ReasonNotCompact},
		tcase{name: "row13/extra_empty_part", token: tok(func(is *jwtauthtest.Issuer) string { return is.Token(nil) + "." }), want: authz.ReasonNotCompact},
		tcase{name: "row13/extra_part", token: tok(func(is *jwtauthtest.Issuer) string { return is.Token(nil) + ".Zm9v" }), want: authz.ReasonNotCompact},
		tcase{name: "row13/single_part", token: tok(func(*jwtauthtest.Issuer) string { return "Zm9v" }), want: authz.ReasonNotCompact},
	)

	// Row 14: JSON serialization, general and flattened.
	add(
		tcase{name: "row14/json_general", token: tok(func(is *jwtauthtest.Issuer) string {
			p := strings.Split(is.Token(nil), ".")
			return fmt.Sprintf(`{"payload":%q,"signatures":[{"protected":%q,"signature":%q}]}`, p[1], p[0], p[2])
		}), want: authz.ReasonNotCompact},
		tcase{name: "row14/json_flattened", token: tok(func(is *jwtauthtest.Issuer) string {
			p := strings.Split(is.Token(nil), ".")
			return fmt.Sprintf(`{"payload":%q,"protected":%q,"signature":%q}`, p[1], p[0], p[2])
		}), want: authz.ReasonNotCompact},
	)

	// Row 15: base64url strictness; JSON whitespace inside the decoded
	// header is fine.
	mutate := func(part int, f func(string) string) func(testing.TB, *jwtauthtest.Issuer) string {
		return tok(func(is *jwtauthtest.Issuer) string {
			p := strings.Split(is.Token(nil), ".")
			p[part] = f(p[part])
			return strings.Join(p, ".")
		})
	}
	add(
		tcase{name: "row15/padding_in_signature", token: mutate(2, func(s string) string { return s + "==" }), want: authz.ReasonMalformedToken},
		tcase{name: "row15/padding_in_header", token: tok(func(is *jwtauthtest.Issuer) string {
			// A 37-byte header encodes to 50 characters: padding "==" would follow.
			h := `{"alg":"ES256","kid":"` + is.Kid() + `","x":"ab"}`
			tk := raw(is, h, body(is, ""))
			p := strings.Split(tk, ".")
			return p[0] + strings.Repeat("=", (4-len(p[0])%4)%4) + "." + p[1] + "." + p[2]
		}), want: authz.ReasonMalformedToken},
		tcase{name: "row15/space_in_signature", token: mutate(2, func(s string) string { return "    " + s }), want: authz.ReasonMalformedToken},
		tcase{name: "row15/space_in_header", token: mutate(0, func(s string) string { return s + "    " }), want: authz.ReasonMalformedToken},
		tcase{name: "row15/newline_in_payload", token: mutate(1, func(s string) string { return s[:4] + "\n" + s[4:] }), want: authz.ReasonMalformedToken},
		tcase{name: "row15/carriage_return_in_signature", token: mutate(2, func(s string) string { return s[:8] + "\r" + s[8:] }), want: authz.ReasonMalformedToken},
		tcase{name: "row15/invalid_character_in_header", token: mutate(0, func(s string) string { return s[:5] + "?" + s[5:] }), want: authz.ReasonMalformedToken},
		tcase{name: "row15/standard_alphabet_plus", token: mutate(2, func(s string) string { return strings.NewReplacer("-", "+", "_", "/").Replace(s) + "+" }), want: authz.ReasonMalformedToken},
		tcase{name: "row15/nonzero_trailing_bits", token: tok(func(is *jwtauthtest.Issuer) string {
			// An ES256 signature is 64 bytes: 86 characters with 4 unused
			// bits in the last; setting one keeps the decoded bytes equal.
			p := strings.Split(is.Token(nil), ".")
			last := p[2][len(p[2])-1]
			p[2] = p[2][:len(p[2])-1] + string(alphabet[strings.IndexByte(alphabet, last)|1])
			return strings.Join(p, ".")
		}), want: authz.ReasonMalformedToken},
		tcase{name: "row15/json_whitespace_in_header_accepted", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, fmt.Sprintf("{ \"alg\" : \"ES256\" ,\n\t\"kid\" : %q }", is.Kid()), body(is, ""))
		}), want: authz.ReasonAllowed},
	)

	// Row 16: ECDSA signature edge cases on P-256 (P1363 r||s).
	n := elliptic.P256().Params().N
	rs := func(r, s *big.Int) []byte {
		b := make([]byte, 64)
		r.FillBytes(b[:32])
		s.FillBytes(b[32:])
		return b
	}
	nm1 := new(big.Int).Sub(n, big.NewInt(1))
	for name, sig := range map[string][]byte{
		"r0_s0":     rs(big.NewInt(0), big.NewInt(0)),
		"r1_s1":     rs(big.NewInt(1), big.NewInt(1)),
		"rn_sn":     rs(n, n),
		"rn-1_sn-1": rs(nm1, nm1),
		"r0_sn-1":   rs(big.NewInt(0), nm1),
	} {
		add(tcase{name: "row16/" + name, token: tok(func(is *jwtauthtest.Issuer) string {
			return unsigned(hdr(is, ""), body(is, ""), jwtauthtest.B64(sig))
		}), want: authz.ReasonBadSignature})
	}
	add(
		tcase{name: "row16/der_signature", token: func(t testing.TB, is *jwtauthtest.Issuer) string {
			input := jwtauthtest.B64([]byte(hdr(is, ""))) + "." + jwtauthtest.B64([]byte(body(is, "")))
			digest := sha256Sum(input)
			der, err := ecdsa.SignASN1(rand.Reader, is.Current().Private.(*ecdsa.PrivateKey), digest)
			if err != nil {
				t.Fatal(err)
			}
			return input + "." + jwtauthtest.B64(der)
		}, want: authz.ReasonBadSignature},
		tcase{name: "row16/signature_too_long", token: tok(func(is *jwtauthtest.Issuer) string {
			p := strings.Split(is.Token(nil), ".")
			sig := mustB64(p[2])
			return p[0] + "." + p[1] + "." + jwtauthtest.B64(append(sig, 0))
		}), want: authz.ReasonBadSignature},
		tcase{name: "row16/signature_with_leading_zero", token: tok(func(is *jwtauthtest.Issuer) string {
			p := strings.Split(is.Token(nil), ".")
			return p[0] + "." + p[1] + "." + jwtauthtest.B64(append([]byte{0}, mustB64(p[2])...))
		}), want: authz.ReasonBadSignature},
	)

	// Row 17: RSA PKCS#1 v1.5 malleability (the full ASN.1 set runs from
	// Wycheproof JWS 33-258).
	add(
		tcase{name: "row17/rsa_signature_with_leading_zero", alg: "RS256", token: tok(func(is *jwtauthtest.Issuer) string {
			p := strings.Split(is.Token(nil), ".")
			return p[0] + "." + p[1] + "." + jwtauthtest.B64(append([]byte{0}, mustB64(p[2])...))
		}), want: authz.ReasonBadSignature},
		tcase{name: "row17/rsa_sha1_digest_info", alg: "RS256", token: func(t testing.TB, is *jwtauthtest.Issuer) string {
			input := jwtauthtest.B64([]byte(hdr(is, ""))) + "." + jwtauthtest.B64([]byte(body(is, "")))
			d := sha1Sum(input)
			sig, err := rsa.SignPKCS1v15(rand.Reader, is.Current().Private.(*rsa.PrivateKey), crypto.SHA1, d)
			if err != nil {
				t.Fatal(err)
			}
			return input + "." + jwtauthtest.B64(sig)
		}, want: authz.ReasonBadSignature},
	)

	// Row 18: RSASSA-PSS salt length must equal the hash length (golang-jwt
	// alone verifies with PSSSaltLengthAuto and would accept these).
	for _, salt := range []int{0, 20, 33, rsa.PSSSaltLengthAuto} {
		add(tcase{name: fmt.Sprintf("row18/ps256_salt_%d", salt), alg: "PS256", token: func(t testing.TB, is *jwtauthtest.Issuer) string {
			return pss(t, is, salt)
		}, want: authz.ReasonBadSignature})
	}
	add(tcase{name: "row18/ps256_salt_32_accepted", alg: "PS256", token: func(t testing.TB, is *jwtauthtest.Issuer) string {
		return pss(t, is, 32)
	}, want: authz.ReasonAllowed})

	// Rows 19-20: crit and b64.
	add(
		tcase{name: "row19/crit_b64", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"b64":false,"crit":["b64"]`), body(is, ""))
		}), want: authz.ReasonUnknownCrit},
		tcase{name: "row19/crit_exp", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"crit":["exp"],"exp":1`), body(is, ""))
		}), want: authz.ReasonUnknownCrit},
		tcase{name: "row19/crit_not_an_array", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"crit":"b64"`), body(is, ""))
		}), want: authz.ReasonMalformedToken},
		tcase{name: "row19/crit_empty", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"crit":[]`), body(is, ""))
		}), want: authz.ReasonMalformedToken},
		tcase{name: "row20/b64_false_without_crit", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"b64":false`), body(is, ""))
		}), want: authz.ReasonUnknownCrit},
		tcase{name: "row20/b64_not_a_boolean", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"b64":"false"`), body(is, ""))
		}), want: authz.ReasonUnknownCrit},
		tcase{name: "row20/b64_true_is_the_default", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"b64":true`), body(is, ""))
		}), want: authz.ReasonAllowed},
	)

	// Row 21: detached content.
	add(tcase{name: "row21/detached_payload", token: tok(func(is *jwtauthtest.Issuer) string {
		p := strings.Split(is.Token(nil), ".")
		return p[0] + ".." + p[2]
	}), want: authz.ReasonMalformedToken})

	// Row 22: nesting. A JWE (5 parts) is refused; a JWS whose payload is
	// itself a JWT is not unwrapped: its payload is not a claim set.
	add(
		tcase{name: "row22/jwe_five_parts", token: tok(func(*jwtauthtest.Issuer) string {
			return "eyJhbGciOiJSU0EtT0FFUCIsImN0eSI6IkpXVCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn"
		}), want: authz.ReasonNotCompact},
		tcase{name: "row22/jws_wrapping_a_jwt", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"cty":"JWT"`), is.Token(nil))
		}), want: authz.ReasonMalformedToken},
	)

	// Row 23 (valid references are accepted) for every algorithm is
	// TestVerifyAlgorithms; the reference vectors are in vectors_test.go.

	// Row 24: EdDSA must be spelled EdDSA; algorithm names are
	// case-sensitive.
	for _, alg := range []string{"ED25519", "Ed25519", "eddsa", "es256", "Es256"} {
		add(tcase{name: "row24/alg_" + alg, alg: "EdDSA", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, fmt.Sprintf(`{"alg":%q,"kid":%q}`, alg, is.Kid()), body(is, ""))
		}), want: authz.ReasonAlgNotAllowed})
	}
	return cases
}

// TestCatalogClaims is the claims table of CATALOG.md section 3.
func TestCatalogClaims(t *testing.T) { runCases(t, claimCases(), nil) }

// claimCases are the cases of the claims table.
func claimCases() []tcase {
	now := testNow.Unix()
	claims := func(extra string) func(testing.TB, *jwtauthtest.Issuer) string {
		return tok(func(is *jwtauthtest.Issuer) string { return raw(is, hdr(is, ""), body(is, extra)) })
	}
	without := func(name string, extra string) func(testing.TB, *jwtauthtest.Issuer) string {
		return tok(func(is *jwtauthtest.Issuer) string {
			c := is.Claims()
			delete(c, name)
			return raw(is, hdr(is, ""), strings.TrimSuffix(string(mustMarshal(nil, c)), "}")+extra+"}")
		})
	}
	cases := []tcase{
		{name: "claims/exp_past_beyond_leeway", token: without("exp", fmt.Sprintf(`,"exp":%d`, now-61)), want: authz.ReasonExpired},
		{name: "claims/exp_past_at_leeway_edge", token: without("exp", fmt.Sprintf(`,"exp":%d`, now-60)), want: authz.ReasonExpired},
		{name: "claims/exp_past_within_leeway", token: without("exp", fmt.Sprintf(`,"exp":%d`, now-59)), want: authz.ReasonAllowed},
		{name: "claims/exp_fractional", token: without("exp", fmt.Sprintf(`,"exp":%d.5`, now)), want: authz.ReasonAllowed},
		{name: "claims/exp_huge", token: without("exp", `,"exp":1e300`), want: authz.ReasonAllowed},
		{name: "claims/exp_huge_negative", token: without("exp", `,"exp":-1e300`), want: authz.ReasonExpired},
		{name: "claims/exp_missing", token: without("exp", ""), want: authz.ReasonMissingExp},
		{name: "claims/exp_string", token: without("exp", fmt.Sprintf(`,"exp":"%d"`, now+3600)), want: authz.ReasonInvalidClaim},
		{name: "claims/exp_empty_string", token: without("exp", `,"exp":""`), want: authz.ReasonInvalidClaim},
		{name: "claims/exp_object", token: without("exp", `,"exp":{}`), want: authz.ReasonInvalidClaim},
		{name: "claims/exp_boolean", token: without("exp", `,"exp":true`), want: authz.ReasonInvalidClaim},
		{name: "claims/exp_null", token: without("exp", `,"exp":null`), want: authz.ReasonInvalidClaim},
		{name: "claims/nbf_string", token: claims(`,"nbf":"soon"`), want: authz.ReasonInvalidClaim},
		{name: "claims/iat_string", token: without("iat", `,"iat":"yesterday"`), want: authz.ReasonInvalidClaim},
		{name: "claims/iat_array", token: without("iat", `,"iat":[1]`), want: authz.ReasonInvalidClaim},
		{name: "claims/nbf_future_beyond_leeway", token: claims(fmt.Sprintf(`,"nbf":%d`, now+61)), want: authz.ReasonNotYetValid},
		{name: "claims/nbf_future_within_leeway", token: claims(fmt.Sprintf(`,"nbf":%d`, now+59)), want: authz.ReasonAllowed},
		{name: "claims/iat_future_beyond_leeway", token: without("iat", fmt.Sprintf(`,"iat":%d`, now+61)), want: authz.ReasonIssuedInFuture},
		{name: "claims/iat_future_within_leeway", token: without("iat", fmt.Sprintf(`,"iat":%d`, now+59)), want: authz.ReasonAllowed},
		{name: "claims/iss_mismatch", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"iss": "https://evil.example"})
		}), want: authz.ReasonUnknownIssuer},
		{name: "claims/iss_trailing_slash", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"iss": is.Issuer() + "/"})
		}), want: authz.ReasonUnknownIssuer},
		{name: "claims/iss_missing", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"iss": jwtauthtest.Omit})
		}), want: authz.ReasonUnknownIssuer},
		{name: "claims/iss_not_a_string", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"iss": 42})
		}), want: authz.ReasonInvalidClaim},
		{name: "claims/aud_mismatch", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"aud": "https://other.example"})
		}), want: authz.ReasonWrongAudience},
		{name: "claims/aud_missing", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"aud": jwtauthtest.Omit})
		}), want: authz.ReasonWrongAudience},
		{name: "claims/aud_number", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"aud": 1})
		}), want: authz.ReasonInvalidClaim},
		{name: "claims/aud_object", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"aud": map[string]any{"aud": is.Audience()}})
		}), want: authz.ReasonInvalidClaim},
		{name: "claims/aud_array_with_a_number", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"aud": []any{is.Audience(), 1}})
		}), want: authz.ReasonInvalidClaim},
		{name: "claims/aud_empty_array", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"aud": []string{}})
		}), want: authz.ReasonWrongAudience},
		{name: "claims/aud_array_without_expected", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"aud": []string{"a", "b"}})
		}), want: authz.ReasonWrongAudience},
		{name: "claims/aud_array_with_expected", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"aud": []string{"a", is.Audience(), "b"}})
		}), want: authz.ReasonAllowed},
		{name: "claims/duplicate_exp", token: claims(fmt.Sprintf(`,"exp":%d`, now+7200)), want: authz.ReasonDuplicateMember},
		{name: "claims/duplicate_exp_escaped", token: claims(fmt.Sprintf(`,"\u0065xp":%d`, now+7200)), want: authz.ReasonDuplicateMember},
		{name: "claims/duplicate_nested", token: claims(`,"realm_access":{"roles":["a"],"roles":["admin"]}`), want: authz.ReasonDuplicateMember},
		{name: "claims/duplicate_in_array_of_objects", token: claims(`,"identities":[{"p":1},{"p":1,"p":2}]`), want: authz.ReasonDuplicateMember},
		{name: "claims/duplicate_alg_in_header", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"alg":"none"`), body(is, ""))
		}), want: authz.ReasonDuplicateMember},
		{name: "claims/duplicate_kid_in_header", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"kid":"other"`), body(is, ""))
		}), want: authz.ReasonDuplicateMember},
		{name: "claims/payload_array", token: tok(func(is *jwtauthtest.Issuer) string { return raw(is, hdr(is, ""), `[1,2]`) }), want: authz.ReasonMalformedToken},
		{name: "claims/payload_string", token: tok(func(is *jwtauthtest.Issuer) string { return raw(is, hdr(is, ""), `"claims"`) }), want: authz.ReasonMalformedToken},
		{name: "claims/payload_not_json", token: tok(func(is *jwtauthtest.Issuer) string { return raw(is, hdr(is, ""), `foo`) }), want: authz.ReasonMalformedToken},
		{name: "claims/payload_trailing_comma", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, ""), strings.TrimSuffix(body(is, ""), "}")+",}")
		}), want: authz.ReasonMalformedToken},
		{name: "claims/payload_trailing_data", token: tok(func(is *jwtauthtest.Issuer) string { return raw(is, hdr(is, ""), body(is, "")+"{}") }), want: authz.ReasonMalformedToken},
		{name: "claims/payload_invalid_utf8", token: claims(`,"name":"` + "\xff\xfe" + `"`), want: authz.ReasonMalformedToken},
		{name: "claims/payload_lone_surrogate", token: claims(`,"name":"\ud800"`), want: authz.ReasonMalformedToken},
		{name: "claims/header_array", token: tok(func(is *jwtauthtest.Issuer) string { return raw(is, `["ES256"]`, body(is, "")) }), want: authz.ReasonMalformedToken},
		{name: "claims/header_string", token: tok(func(is *jwtauthtest.Issuer) string { return raw(is, `"ES256"`, body(is, "")) }), want: authz.ReasonMalformedToken},
		{name: "claims/header_invalid_utf8", token: tok(func(is *jwtauthtest.Issuer) string {
			return raw(is, hdr(is, `,"typ":"`+"\xc3\x28"+`"`), body(is, ""))
		}), want: authz.ReasonMalformedToken},
		{name: "claims/bearer_prefix_inside_token", token: tok(func(is *jwtauthtest.Issuer) string { return "Bearer " + is.Token(nil) }), want: authz.ReasonMalformedToken},
		{name: "claims/unicode_values", token: tok(func(is *jwtauthtest.Issuer) string {
			return is.Token(map[string]any{"sub": "Zoë 🚀 日本", "scope": "lire:commandes écrire"})
		}), want: authz.ReasonAllowed},
		{name: "claims/unicode_escapes", token: claims(`,"name":"\u00e9\ud83d\ude80"`), want: authz.ReasonAllowed},
	}
	return cases
}

// TestCatalogRow04CrossAlgorithm: with RS256 and PS256 both allowed, the
// JWK's alg pins each RSA key to one of them.
func TestCatalogRow04CrossAlgorithm(t *testing.T) {
	is := issuerAt(t, "RS256")
	c := is.Config()
	c.Algorithms = []string{"RS256", "PS256", "RS384"}
	e := newEnv(t, policy(c))
	priv := is.Current().Private
	for _, tc := range []struct {
		name string
		m    jwt.SigningMethod
		want authz.Reason
	}{
		{"row04/rs256_as_published", jwt.SigningMethodRS256, authz.ReasonAllowed},
		{"row04/ps256_with_the_rs256_key", jwt.SigningMethodPS256, authz.ReasonKeyMismatch},
		{"row04/rs384_hash_swap", jwt.SigningMethodRS384, authz.ReasonKeyMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := fmt.Sprintf(`{"alg":%q,"kid":%q}`, tc.m.Alg(), is.Kid())
			d := e.verify(t, signAs(t, tc.m, priv, h, body(is, "")))
			wantReason(t, d, tc.want)
		})
	}

	// Without alg in the JWK, the issuer's allow-list is the pin: the same
	// RSA key verifies each allowed algorithm (a signature still needs the
	// private key).
	t.Run("row04/jwk_without_alg", func(t *testing.T) {
		jwk := is.JWK(is.Current())
		delete(jwk, "alg")
		is.ServeJWKS(jwtauthtest.JWKSDocument(jwk))
		e := newEnv(t, policy(c))
		h := fmt.Sprintf(`{"alg":"PS256","kid":%q}`, is.Kid())
		wantReason(t, e.verify(t, signAs(t, jwt.SigningMethodPS256, priv, h, body(is, ""))), authz.ReasonAllowed)
	})
}

// TestCatalogRow06NoFetch: key URLs in a header are never fetched.
func TestCatalogRow06NoFetch(t *testing.T) {
	var hits atomic.Int64
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer attacker.Close()
	is := issuerAt(t, "ES256")
	e := newEnv(t, policy(is.Config()))
	for _, member := range []string{"jku", "x5u"} {
		t.Run("row06/"+member, func(t *testing.T) {
			d := e.verify(t, raw(is, hdr(is, fmt.Sprintf(`,%q:%q`, member, attacker.URL+"/keys")), body(is, "")))
			wantReason(t, d, authz.ReasonEmbeddedKey)
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the attacker's server got %d requests, want 0", n)
	}
}

// TestCatalogRow08WeakSecret: an HMAC secret shorter than the hash output
// (or empty) refuses to start; one as long starts.
func TestCatalogRow08WeakSecret(t *testing.T) {
	for _, tc := range []struct {
		alg   string
		bytes int
		ok    bool
	}{
		{"HS256", 0, false}, {"HS256", 31, false}, {"HS256", 32, true},
		{"HS384", 47, false}, {"HS384", 48, true},
		{"HS512", 63, false}, {"HS512", 64, true},
	} {
		t.Run(fmt.Sprintf("row08/%s_%d_bytes", tc.alg, tc.bytes), func(t *testing.T) {
			secret := make([]byte, tc.bytes)
			c := config.Issuer{Name: "hmac", Issuer: "https://hmac.example", Audiences: []string{"api"},
				Algorithms: []string{tc.alg}, HMACSecret: &config.SecretRef{Env: "X"}}
			v, err := New(context.Background(), policy(c), WithSecrets(func(context.Context, config.SecretRef) ([]byte, error) { return secret, nil }))
			if tc.ok {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				v.Close()
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("New error = %v, want ErrConfig", err)
			}
		})
	}
	// A secret long enough for HS256 is too short when HS512 is allowed too.
	t.Run("row08/HS256_and_HS512_with_32_bytes", func(t *testing.T) {
		c := config.Issuer{Name: "hmac", Issuer: "https://hmac.example", Audiences: []string{"api"},
			Algorithms: []string{"HS256", "HS512"}, HMACSecret: &config.SecretRef{Env: "X"}}
		_, err := New(context.Background(), policy(c), WithSecrets(func(context.Context, config.SecretRef) ([]byte, error) { return make([]byte, 32), nil }))
		if !errors.Is(err, ErrConfig) {
			t.Fatalf("New error = %v, want ErrConfig", err)
		}
	})
}

// TestCatalogRows09to12 are the key-set rows: keys not for signing,
// duplicate kids and mixed sets, weak RSA keys, mismatched or invalid keys.
// Each runs both as a bundled file and as a served JWKS.
func TestCatalogRows09to12(t *testing.T) {
	es := issuerAt(t, "ES256")
	good := es.JWK(es.Current())
	with := func(base map[string]any, kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	weak := issuerAt(t, "RS256", jwtauthtest.WithRSABits(1024))
	p384 := issuerAt(t, "ES384")
	offCurve := with(good, "y", flipB64(good["y"].(string)))

	for _, tc := range []struct {
		name string
		keys []map[string]any
		// token is signed by es (kid "kid" in the header) unless signer is set.
		signer *jwtauthtest.Issuer
		kid    string
		// wantSet is nil when the set loads; then want is the decision.
		wantSet error
		want    authz.Reason
		warning string
	}{
		{name: "row09/use_enc", keys: []map[string]any{with(good, "use", "enc", "kid", "k1")}, kid: "k1", wantSet: ErrJWKS},
		{name: "row09/use_enc_beside_a_signing_key", keys: []map[string]any{with(good, "use", "enc", "kid", "k1"), with(good, "kid", "k2")}, kid: "k1", want: authz.ReasonKeyMismatch, warning: "use is"},
		{name: "row09/key_ops_encrypt", keys: []map[string]any{with(good, "key_ops", []string{"encrypt"}, "use", nil, "kid", "k1"), with(good, "kid", "k2")}, kid: "k1", want: authz.ReasonKeyMismatch, warning: "key_ops"},
		{name: "row09/key_ops_verify_accepted", keys: []map[string]any{with(good, "key_ops", []string{"verify"}, "use", nil, "kid", "k1")}, kid: "k1", want: authz.ReasonAllowed},
		{name: "row09/signing_key_still_usable", keys: []map[string]any{with(good, "use", "enc", "kid", "k1"), with(good, "kid", "k2")}, kid: "k2", want: authz.ReasonAllowed},
		{name: "row10/duplicate_kid", keys: []map[string]any{with(good, "kid", "k1"), with(p384.JWK(p384.Current()), "kid", "k1")}, kid: "k1", wantSet: ErrJWKS},
		{name: "row10/mixed_symmetric_and_asymmetric", keys: []map[string]any{with(good, "kid", "k1"), {"kty": "oct", "kid": "k2", "k": jwtauthtest.B64(make([]byte, 32)), "alg": "HS256"}}, kid: "k1", wantSet: ErrJWKS},
		{name: "row10/symmetric_only", keys: []map[string]any{{"kty": "oct", "kid": "k2", "k": jwtauthtest.B64(make([]byte, 32)), "alg": "HS256"}}, kid: "k2", wantSet: ErrJWKS},
		{name: "row11/rsa_1024_bits", keys: []map[string]any{with(weak.JWK(weak.Current()), "kid", "k1"), with(good, "kid", "k2")}, signer: weak, kid: "k1", want: authz.ReasonKeyMismatch, warning: "1024 bits"},
		{name: "row11/rsa_1024_bits_without_alg", keys: []map[string]any{with(weak.JWK(weak.Current()), "kid", "k1", "alg", nil), with(good, "kid", "k2")}, signer: weak, kid: "k1", want: authz.ReasonKeyMismatch, warning: "1024 bits"},
		{name: "row11/rsa_exponent_1", keys: []map[string]any{with(weak.JWK(weak.Current()), "kid", "k1", "e", "AQ"), with(good, "kid", "k2")}, kid: "k2", wantSet: ErrJWKS},
		{name: "row11/rsa_exponent_even", keys: []map[string]any{with(rsaJWK(t), "kid", "k1", "e", "AQAA"), with(good, "kid", "k2")}, kid: "k1", want: authz.ReasonKeyMismatch, warning: "exponent"},
		{name: "row12/alg_does_not_fit_curve", keys: []map[string]any{with(good, "alg", "ES384", "kid", "k1"), with(good, "kid", "k2")}, kid: "k1", want: authz.ReasonKeyMismatch, warning: "does not fit"},
		{name: "row12/unregistered_alg", keys: []map[string]any{with(good, "alg", "ES521", "kid", "k1"), with(good, "kid", "k2")}, kid: "k1", want: authz.ReasonKeyMismatch, warning: "not a signature algorithm"},
		{name: "row12/rsa_alg_on_ec_key", keys: []map[string]any{with(good, "alg", "RS256", "kid", "k1"), with(good, "kid", "k2")}, kid: "k1", want: authz.ReasonKeyMismatch},
		{name: "row12/p384_key_without_alg_for_es256", keys: []map[string]any{with(p384.JWK(p384.Current()), "alg", nil, "kid", "k1")}, signer: p384, kid: "k1", want: authz.ReasonKeyMismatch},
		{name: "row12/off_curve_point", keys: []map[string]any{with(offCurve, "kid", "k1"), with(good, "kid", "k2")}, kid: "k2", wantSet: ErrJWKS},
		{name: "row12/kty_rsa_with_ec_members", keys: []map[string]any{with(good, "kty", "RSA", "kid", "k1"), with(good, "kid", "k2")}, kid: "k2", wantSet: ErrJWKS},
		{name: "row12/private_key_published", keys: []map[string]any{with(good, "kid", "k1", "d", ecD(es)), with(good, "kid", "k2")}, kid: "k1", want: authz.ReasonKeyMismatch, warning: "private part"},
	} {
		doc := jwtauthtest.JWKSDocument(tc.keys...)
		signer := es
		if tc.signer != nil {
			signer = tc.signer
		}
		token := func(iss string) string {
			c := map[string]any{"iss": iss, "aud": es.Audience(), "exp": testNow.Unix() + 60}
			return signer.Sign(c, map[string]any{"kid": tc.kid, "alg": "ES256"})
		}
		t.Run(tc.name+"/file", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "jwks.json")
			if err := os.WriteFile(path, doc, 0o600); err != nil {
				t.Fatal(err)
			}
			c := config.Issuer{Name: "bundled", Issuer: "https://bundled.example", Audiences: []string{es.Audience()}, Algorithms: []string{"ES256"}}
			c.JWKS.File = path
			e := &env{clock: newClock(), logs: &logRecords{}}
			v, err := New(context.Background(), policy(c), WithClock(e.clock.Now), WithLogger(slogFor(e.logs)))
			if tc.wantSet != nil {
				if !errors.Is(err, tc.wantSet) || !errors.Is(err, ErrConfig) {
					t.Fatalf("New error = %v, want %v", err, tc.wantSet)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer v.Close()
			e.v = v
			wantReason(t, e.verify(t, token(c.Issuer)), tc.want)
			if tc.warning != "" && !e.logs.contains("WARN", "kid="+tc.kid, tc.warning) {
				t.Errorf("no warning naming kid %s and %q; log:\n%s", tc.kid, tc.warning, e.logs.all())
			}
		})
		t.Run(tc.name+"/served", func(t *testing.T) {
			srv := jwtauthtest.NewIssuer(t, "ES256")
			srv.ServeJWKS(doc)
			c := srv.Config()
			e := newEnv(t, policy(c))
			d, err := e.v.Verify(context.Background(), token(srv.Issuer()))
			if tc.wantSet != nil {
				// A refused set at cold start leaves the issuer without keys:
				// a technical error (the cause is ErrJWKS when Portcullis'
				// rules refuse it, jwkset's error when jwkset cannot parse it).
				if !errors.Is(err, ErrNoKeys) {
					t.Fatalf("Verify = %v, %v; want ErrNoKeys", d.Reason, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			wantReason(t, d, tc.want)
		})
	}
}

func flipLastSigByte(token string) string {
	p := strings.Split(token, ".")
	sig := mustB64(p[2])
	sig[len(sig)-1] ^= 1
	p[2] = jwtauthtest.B64(sig)
	return strings.Join(p, ".")
}

// pss signs a default token as PS256 with a given salt length.
func pss(t testing.TB, is *jwtauthtest.Issuer, salt int) string {
	input := jwtauthtest.B64([]byte(hdr(is, ""))) + "." + jwtauthtest.B64([]byte(body(is, "")))
	sig, err := rsa.SignPSS(rand.Reader, is.Current().Private.(*rsa.PrivateKey), crypto.SHA256, sha256Sum(input), &rsa.PSSOptions{SaltLength: salt})
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + jwtauthtest.B64(sig)
}
