package apigw_test

import (
	"encoding/json"
	"testing"
)

// A small IAM policy evaluator, written independently of the compiler, to
// judge compiled policies the way API Gateway judges a cached one against
// each later request's method ARN: "*" matches any run of characters ("/"
// included), "?" exactly one, an explicit Deny wins, and no matching
// statement means deny.

type iamStatement struct {
	Action   string   `json:"Action"`
	Effect   string   `json:"Effect"`
	Resource []string `json:"Resource"`
}

type iamResponse struct {
	PrincipalID    string `json:"principalId"`
	PolicyDocument struct {
		Version   string         `json:"Version"`
		Statement []iamStatement `json:"Statement"`
	} `json:"policyDocument"`
	Context            map[string]any `json:"context"`
	UsageIdentifierKey string         `json:"usageIdentifierKey"`
}

// globMatch reports whether IAM resource pattern p matches s.
func globMatch(p, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := 0, 0
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if 0 < nextSx && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

// iamAllows evaluates statements for execute-api:Invoke on arn.
func iamAllows(stmts []iamStatement, arn string) bool {
	allowed := false
	for _, st := range stmts {
		if st.Action != "execute-api:Invoke" {
			continue
		}
		for _, res := range st.Resource {
			if !globMatch(res, arn) {
				continue
			}
			switch st.Effect {
			case "Deny":
				return false
			case "Allow":
				allowed = true
			}
		}
	}
	return allowed
}

// decodeIAM decodes an IAM-policy authorizer response.
func decodeIAM(t testing.TB, payload []byte) iamResponse {
	t.Helper()
	var r iamResponse
	if err := json.Unmarshal(payload, &r); err != nil {
		t.Fatalf("response is not an IAM policy response: %v\n%s", err, payload)
	}
	if r.PolicyDocument.Version != "2012-10-17" || len(r.PolicyDocument.Statement) == 0 {
		t.Fatalf("policy document without version or statements: %s", payload)
	}
	return r
}

// The evaluator is the oracle of the compiler tests: check it first.
func TestIAMEvaluator(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"a/GET/x", "a/GET/x", true},
		{"a/GET/x", "a/GET/xy", false},
		{"a/GET/*", "a/GET/x/y/z", true},
		{"a/GET/*", "a/GET/", true},
		{"a/GET/*", "a/GET", false},
		{"a/*/x", "a/GET/x", true},
		{"a/*/x", "a/GET/y/x", true},
		{"a/*/x", "a/GET/x/y", false},
		{"a/?ET/x", "a/GET/x", true},
		{"a/?ET/x", "a/ET/x", false},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
	} {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
	stmts := []iamStatement{
		{"execute-api:Invoke", "Allow", []string{"p/GET/*"}},
		{"execute-api:Invoke", "Deny", []string{"p/GET/secret"}},
		{"execute-api:Other", "Allow", []string{"p/POST/*"}},
	}
	for arn, want := range map[string]bool{"p/GET/x": true, "p/GET/secret": false, "p/POST/x": false, "q/GET/x": false} {
		if got := iamAllows(stmts, arn); got != want {
			t.Errorf("iamAllows(%s) = %v, want %v", arn, got, want)
		}
	}
}
