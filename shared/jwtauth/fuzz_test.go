package jwtauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth/jwtauthtest"
)

// FuzzParseObject checks the strict JSON reader (the duplicate-member
// detector) against encoding/json: where both apply, it accepts exactly
// the objects encoding/json accepts that repeat no member name (judged by
// a token walk with json.Decoder), and its members are encoding/json's.
func FuzzParseObject(f *testing.F) {
	for _, tc := range jsonCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := parseObject(string(data), nil)
		if err != nil && !errors.Is(err, errJSON) && !errors.Is(err, errDuplicate) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		if !comparable(data) {
			return
		}
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		isObject := json.Valid(data) && len(trimmed) > 0 && trimmed[0] == '{'
		dup := false
		if isObject {
			var rerr error
			dup, rerr = referenceDuplicates(data)
			if rerr != nil {
				t.Fatalf("reference walk of valid JSON failed: %v", rerr)
			}
		}
		switch {
		case isObject && !dup && err != nil:
			t.Fatalf("rejected a valid object without duplicates: %v", err)
		case isObject && dup && !errors.Is(err, errDuplicate):
			t.Fatalf("missed a duplicate member: %v", err)
		case !isObject && err == nil:
			t.Fatalf("accepted what encoding/json calls invalid or not an object")
		}
		if err != nil {
			return
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if len(want) != len(ms) {
			t.Fatalf("%d members, encoding/json finds %d", len(ms), len(want))
		}
		for _, m := range ms {
			w, ok := want[m.name]
			if !ok {
				t.Fatalf("member %q unknown to encoding/json", m.name)
			}
			var a, b any
			if json.Unmarshal([]byte(m.raw), &a) != nil || json.Unmarshal(w, &b) != nil {
				t.Fatalf("member %q: value %q does not decode", m.name, m.raw)
			}
			if s, ok := m.str(); ok && s != a {
				t.Fatalf("member %q: str() = %q, encoding/json %q", m.name, s, a)
			}
		}
	})
}

// FuzzDecodeB64 checks the base64url decoder against the standard
// library's strict raw URL decoding, minus the CR and LF it skips.
func FuzzDecodeB64(f *testing.F) {
	for _, tc := range b64Cases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dst := make([]byte, decodedLen(len(s)))
		n, err := decodeB64(dst, s)
		want, werr := base64.RawURLEncoding.Strict().DecodeString(s)
		wantOK := werr == nil && !strings.ContainsAny(s, "\r\n")
		if (err == nil) != wantOK {
			t.Fatalf("decodeB64(%q) error %v, standard library %v", s, err, werr)
		}
		if err == nil && !bytes.Equal(dst[:n], want) {
			t.Fatalf("decodeB64(%q) = %x, want %x", s, dst[:n], want)
		}
	})
}

// FuzzParseCompact checks the compact pre-parser and header parser: no
// panic, and whatever it accepts has three parts, a registered algorithm
// and a signature.
func FuzzParseCompact(f *testing.F) {
	_, seeds, _ := fuzzEnv(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		jt, rj := parseCompact(token)
		if rj != nil {
			if rj.reason == "" || rj.detail == "" {
				t.Fatalf("rejection without reason or detail: %+v", rj)
			}
			return
		}
		if strings.Count(token, ".") != 2 || !knownAlg(jt.header.alg) || len(jt.sig) == 0 || !strings.HasPrefix(token, jt.signingInput+".") {
			t.Fatalf("accepted %q: %+v", token, jt)
		}
	})
}

// FuzzVerify runs arbitrary strings through Verify: it must never panic,
// never fail technically (every issuer has keys) and never allow anything
// but the valid seed tokens themselves.
func FuzzVerify(f *testing.F) {
	e, seeds, valid := fuzzEnv(f)
	if len(valid) < 10 {
		t := len(valid)
		f.Fatalf("only %d valid seeds", t)
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		d, err := e.v.Verify(context.Background(), token)
		if err != nil {
			t.Fatalf("technical error: %v", err)
		}
		if d.Effect == authz.Allow && !valid[token] {
			t.Fatalf("allowed a token that is not a valid seed: %q", token)
		}
		if d.Effect != authz.Allow && (d.Reason == "" || d.Principal != nil) {
			t.Fatalf("decision %+v", d)
		}
	})
}

// fuzzEnv builds one verifier trusting an issuer per algorithm the unit
// tables use, and the seed tokens: every catalog and claims case, and a
// valid token per issuer. It returns which seeds are valid.
func fuzzEnv(f *testing.F) (e *env, seeds []string, valid map[string]bool) {
	issuers := map[string]*jwtauthtest.Issuer{}
	var all []*jwtauthtest.Issuer
	var entries []config.Issuer
	for _, alg := range []string{"ES256", "RS256", "PS256", "HS256", "EdDSA"} {
		is := issuerAt(f, alg)
		issuers[alg] = is
		all = append(all, is)
		entries = append(entries, is.Config())
	}
	e = newEnv(f, policy(entries...), secretsOf(all...))
	valid = map[string]bool{}
	for _, c := range append(catalogCases(), claimCases()...) {
		alg := c.alg
		if alg == "" {
			alg = "ES256"
		}
		token := c.token(f, issuers[alg])
		seeds = append(seeds, token)
		if d, err := e.v.Verify(context.Background(), token); err == nil && d.Effect == authz.Allow {
			valid[token] = true
		}
	}
	for _, is := range all {
		token := is.Token(map[string]any{"scope": "a b"})
		seeds = append(seeds, token)
		valid[token] = true
	}
	return e, seeds, valid
}
