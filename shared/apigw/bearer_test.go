package apigw_test

import (
	"strings"
	"testing"

	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/authz"
)

var bearerCases = []struct {
	in, token string
	reason    authz.Reason
}{
	{"Bearer abc.def.ghi", "abc.def.ghi", ""},
	{"bearer abc.def.ghi", "abc.def.ghi", ""},
	{"BEARER abc", "abc", ""},
	{"BeArEr abc-_~+/=", "abc-_~+/=", ""},
	{"Bearer Bearer abc", "", authz.ReasonMalformedBearer},     // two prefixes
	{"Bearer  abc", "", authz.ReasonMalformedBearer},           // two spaces
	{"Bearer abc ", "", authz.ReasonMalformedBearer},           // trailing space
	{"Bearer abc def", "", authz.ReasonMalformedBearer},        // space in the token
	{"Bearer abc,Bearer def", "", authz.ReasonMalformedBearer}, // a repeated header, joined
	{"Bearer abc,def", "", authz.ReasonMalformedBearer},        // comma in the token
	{"Bearer abc\tdef", "", authz.ReasonMalformedBearer},       // tab in the token
	{"Bearer ", "", authz.ReasonMalformedBearer},               // no token
	{"Bearer", "", authz.ReasonMalformedBearer},                // no token, no space
	{"abc.def.ghi", "", authz.ReasonMalformedBearer},           // a bare JWT without its scheme
	{"Basic dXNlcjpwYXNz", "", authz.ReasonUnsupportedScheme},
	{"Digest username=x", "", authz.ReasonUnsupportedScheme},
	{"Bearer\tabc", "", authz.ReasonUnsupportedScheme}, // not a space after the scheme
	{"Bearerabc", "", authz.ReasonUnsupportedScheme},
	{" Bearer abc", "", authz.ReasonUnsupportedScheme},  // leading space
	{"opaque-token", "", authz.ReasonUnsupportedScheme}, // a bare opaque token
	{"", "", authz.ReasonUnsupportedScheme},
}

func TestParseBearer(t *testing.T) {
	for _, tt := range bearerCases {
		token, reason := apigw.ParseBearer(tt.in)
		if token != tt.token || reason != tt.reason {
			t.Errorf("ParseBearer(%q) = %q, %q; want %q, %q", tt.in, token, reason, tt.token, tt.reason)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name   string
		r      authz.Request
		header string
		token  string
		reason authz.Reason
	}{
		{"TOKEN event reads authorizationToken", authz.Request{Kind: authz.KindRESTToken, Token: "Bearer t1",
			Headers: map[string]string{"authorization": "Bearer other"}}, "Authorization", "t1", ""},
		{"TOKEN event without a token", authz.Request{Kind: authz.KindRESTToken}, "Authorization", "", authz.ReasonMissingCredentials},
		{"REQUEST event reads the header", authz.Request{Kind: authz.KindRESTRequest, Token: "Bearer ignored",
			Headers: map[string]string{"authorization": "Bearer t2"}}, "Authorization", "t2", ""},
		{"header name matched case-insensitively", authz.Request{Kind: authz.KindHTTPv2,
			Headers: map[string]string{"x-token": "bearer t3"}}, "X-Token", "t3", ""},
		{"WebSocket", authz.Request{Kind: authz.KindWebSocket,
			Headers: map[string]string{"authorization": "Bearer t4"}}, "AUTHORIZATION", "t4", ""},
		{"header absent", authz.Request{Kind: authz.KindHTTPv1, Headers: map[string]string{"cookie": "a"}},
			"Authorization", "", authz.ReasonMissingCredentials},
		{"header empty", authz.Request{Kind: authz.KindHTTPv1, Headers: map[string]string{"authorization": ""}},
			"Authorization", "", authz.ReasonMissingCredentials},
		{"no headers", authz.Request{Kind: authz.KindRESTRequest}, "Authorization", "", authz.ReasonMissingCredentials},
		{"wrong scheme", authz.Request{Kind: authz.KindRESTRequest, Headers: map[string]string{"authorization": "Basic x"}},
			"Authorization", "", authz.ReasonUnsupportedScheme},
		{"repeated header", authz.Request{Kind: authz.KindRESTRequest, Headers: map[string]string{"authorization": "Bearer a,Bearer b"}},
			"Authorization", "", authz.ReasonMalformedBearer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, reason := apigw.BearerToken(&tt.r, tt.header)
			if token != tt.token || reason != tt.reason {
				t.Errorf("BearerToken = %q, %q; want %q, %q", token, reason, tt.token, tt.reason)
			}
		})
	}
}

// FuzzParseBearer checks that a token is returned only for exactly one
// case-insensitive "Bearer " prefix followed by a token without spaces or
// commas, and that every refusal carries a reason.
func FuzzParseBearer(f *testing.F) {
	for _, tt := range bearerCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, v string) {
		token, reason := apigw.ParseBearer(v)
		if (token == "") == (reason == "") {
			t.Fatalf("ParseBearer(%q) = %q, %q: want a token or a reason", v, token, reason)
		}
		if token == "" {
			if reason != authz.ReasonMalformedBearer && reason != authz.ReasonUnsupportedScheme {
				t.Fatalf("ParseBearer(%q) reason %q", v, reason)
			}
			return
		}
		if len(v) != len("Bearer ")+len(token) || !strings.EqualFold(v[:7], "Bearer ") || v[7:] != token {
			t.Fatalf("ParseBearer(%q) = %q: not the rest after one \"Bearer \"", v, token)
		}
		if strings.ContainsAny(token, " \t,") {
			t.Fatalf("ParseBearer(%q) = %q: token with a space or comma", v, token)
		}
	})
}
