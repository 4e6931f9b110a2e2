package iam

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

const arnPrefix = "arn:aws:execute-api:us-east-1:000000000000:portcullis/local/"

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"*", "anything/at:all", true},
		{"GET/orders", "GET/orders", true},
		{"GET/orders", "GET/orders/", false},
		{"GET/orders/*", "GET/orders/42", true},
		{"GET/orders/*", "GET/orders/42/items", true}, // "*" crosses "/"
		{"GET/orders/*", "GET/orders/", true},
		{"GET/orders/*", "GET/orders", false},
		{"*/orders/*", "DELETE/orders/42", true},
		{"GET/orders/?", "GET/orders/4", true},
		{"GET/orders/?", "GET/orders/42", false},
		{"GET/orders/??", "GET/orders/42", true},
		{"get/orders", "GET/orders", false}, // case-sensitive
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"a*b", "ab", true},
		{"a*a*a*a*b", strings.Repeat("a", 50), false},
		{"**", "x", true},
		{"?*", "", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// globRegexp is the reference semantics of Match.
func globRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`\A(?s)`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

func FuzzMatch(f *testing.F) {
	f.Add("GET/orders/*", "GET/orders/42")
	f.Add("a*b?c", "aXbYc")
	f.Add("*?*", "")
	f.Add("arn:aws:execute-api:*:*:*/local/*/orders", "arn:aws:execute-api:us-east-1:000000000000:x/local/GET/orders")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		// The reference works on runes; compare on ASCII, where runes are bytes.
		for _, c := range pattern + s {
			if c >= 0x80 {
				return
			}
		}
		if got, want := Match(pattern, s), globRegexp(pattern).MatchString(s); got != want {
			t.Errorf("Match(%q, %q) = %v, want %v", pattern, s, got, want)
		}
	})
}

func TestEvaluate(t *testing.T) {
	doc := func(js string) *Document {
		t.Helper()
		d, err := Parse([]byte(js))
		if err != nil {
			t.Fatalf("Parse(%s): %v", js, err)
		}
		return d
	}
	allowOrders := `{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["` +
		arnPrefix + `GET/orders","` + arnPrefix + `GET/orders/*"]}]}`
	allowAllDenyDelete := `{"Version":"2012-10-17","Statement":[
		{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"` + arnPrefix + `*"},
		{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"` + arnPrefix + `DELETE/*"}]}`
	single := `{"Version":"2012-10-17","Statement":{"Action":"execute-api:*","Effect":"Allow","Resource":"*"}}`
	otherAction := `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}]}`
	denyOnly := `{"Statement":[{"Action":"*","Effect":"Deny","Resource":"` + arnPrefix + `GET/orders"}]}`
	tests := []struct {
		name, doc, action, resource string
		want                        Verdict
	}{
		{"listed", allowOrders, Action, arnPrefix + "GET/orders", Allowed},
		{"wildcard param", allowOrders, Action, arnPrefix + "GET/orders/42", Allowed},
		{"other method", allowOrders, Action, arnPrefix + "POST/orders", ImplicitDeny},
		{"other stage", allowOrders, Action, strings.Replace(arnPrefix, "/local/", "/prod/", 1) + "GET/orders", ImplicitDeny},
		{"deny wins", allowAllDenyDelete, Action, arnPrefix + "DELETE/orders/1", ExplicitDeny},
		{"allow rest", allowAllDenyDelete, Action, arnPrefix + "GET/reports/1", Allowed},
		{"single statement object", single, Action, arnPrefix + "GET/x", Allowed},
		{"action case-insensitive", single, "EXECUTE-API:invoke", arnPrefix + "GET/x", Allowed},
		{"other action", otherAction, Action, arnPrefix + "GET/x", ImplicitDeny},
		{"deny only", denyOnly, Action, arnPrefix + "GET/orders", ExplicitDeny},
		{"deny only, other route", denyOnly, Action, arnPrefix + "GET/reports", ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := doc(tt.doc).Evaluate(tt.action, tt.resource); got != tt.want {
				t.Errorf("Evaluate(%s) = %v, want %v", tt.resource, got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	bad := []string{
		``,
		`[]`,
		`"x"`,
		`{}`,
		`{"Version":"2012-10-17"}`,
		`{"Version":"2012-10-17","Statement":[]}`,
		`{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":[1]}]}`,
		`{"Statement":[{"Effect":"Allow","Action":{"a":1},"Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"*"}]}`,
		`{"Statement":["Allow"]}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}],"Extra":1}`,
	}
	for _, js := range bad {
		if d, err := Parse([]byte(js)); !errors.Is(err, ErrPolicy) {
			t.Errorf("Parse(%s) = %+v, %v; want an error wrapping ErrPolicy", js, d, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}`)
	f.Add(`{"Statement":{"Action":["a","b"],"Effect":"Deny","Resource":["x"]}}`)
	f.Fuzz(func(t *testing.T, js string) {
		d, err := Parse([]byte(js))
		if err != nil {
			if !errors.Is(err, ErrPolicy) {
				t.Fatalf("error %v does not wrap ErrPolicy", err)
			}
			return
		}
		for _, s := range d.Statement {
			if s.Effect != Allow && s.Effect != Deny || len(s.Action) == 0 || len(s.Resource) == 0 {
				t.Fatalf("accepted an incomplete statement %+v", s)
			}
		}
		_ = d.Evaluate(Action, arnPrefix+"GET/")
	})
}

func BenchmarkEvaluate(b *testing.B) {
	d, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["` + arnPrefix + `GET/orders","` + arnPrefix + `GET/orders/*","` + arnPrefix + `*/admin/*"]},
		{"Action":"execute-api:Invoke","Effect":"Deny","Resource":["` + arnPrefix + `DELETE/orders/*"]}]}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d.Evaluate(Action, arnPrefix+"GET/orders/42") != Allowed {
			b.Fatal("not allowed")
		}
	}
}
