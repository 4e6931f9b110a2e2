package authz_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// parsed is what the exported accessors say about a parsed route key.
type parsed struct {
	String, Method, Special, Canonical, ARNPattern string
	Segments                                       []authz.Segment
}

func describeKey(k authz.RouteKey) parsed {
	return parsed{
		String: k.String(), Method: k.Method(), Special: k.Special(),
		Canonical: k.Canonical(), ARNPattern: k.ARNPattern(), Segments: k.Segments(),
	}
}

func TestParseRouteKey(t *testing.T) {
	lit := func(s string) authz.Segment { return authz.Segment{Text: s} }
	param := func(s string) authz.Segment { return authz.Segment{Text: s, Param: true} }
	greedy := func(s string) authz.Segment { return authz.Segment{Text: s, Greedy: true} }
	tests := []struct {
		in   string
		want parsed
	}{
		{"GET /", parsed{"GET /", "GET", "", "GET /", "GET/", []authz.Segment{}}},
		{"ANY /", parsed{"ANY /", "ANY", "", "ANY /", "*/", []authz.Segment{}}},
		{"GET /orders", parsed{"GET /orders", "GET", "", "GET /orders", "GET/orders", []authz.Segment{lit("orders")}}},
		{"GET /orders/{id}", parsed{"GET /orders/{id}", "GET", "", "GET /orders/{}", "GET/orders/*",
			[]authz.Segment{lit("orders"), param("id")}}},
		{"GET /orders/{orderId}/items", parsed{"GET /orders/{orderId}/items", "GET", "", "GET /orders/{}/items", "GET/orders/*/items",
			[]authz.Segment{lit("orders"), param("orderId"), lit("items")}}},
		{"ANY /admin/{proxy+}", parsed{"ANY /admin/{proxy+}", "ANY", "", "ANY /admin/{+}", "*/admin/*",
			[]authz.Segment{lit("admin"), greedy("proxy")}}},
		{"ANY /{proxy+}", parsed{"ANY /{proxy+}", "ANY", "", "ANY /{+}", "*/*", []authz.Segment{greedy("proxy")}}},
		{"POST /orders/{id}/refund", parsed{"POST /orders/{id}/refund", "POST", "", "POST /orders/{}/refund", "POST/orders/*/refund",
			[]authz.Segment{lit("orders"), param("id"), lit("refund")}}},
		{"DELETE /v1.0/{x-y_z.1}", parsed{"DELETE /v1.0/{x-y_z.1}", "DELETE", "", "DELETE /v1.0/{}", "DELETE/v1.0/*",
			[]authz.Segment{lit("v1.0"), param("x-y_z.1")}}},
		{"PUT /a", parsed{"PUT /a", "PUT", "", "PUT /a", "PUT/a", []authz.Segment{lit("a")}}},
		{"PATCH /a", parsed{"PATCH /a", "PATCH", "", "PATCH /a", "PATCH/a", []authz.Segment{lit("a")}}},
		{"HEAD /a", parsed{"HEAD /a", "HEAD", "", "HEAD /a", "HEAD/a", []authz.Segment{lit("a")}}},
		{"OPTIONS /a", parsed{"OPTIONS /a", "OPTIONS", "", "OPTIONS /a", "OPTIONS/a", []authz.Segment{lit("a")}}},
		{"$default", parsed{"$default", "", "$default", "$default", "*", []authz.Segment{}}},
		{"$connect", parsed{"$connect", "", "$connect", "$connect", "$connect", []authz.Segment{}}},
		{"$disconnect", parsed{"$disconnect", "", "$disconnect", "$disconnect", "$disconnect", []authz.Segment{}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			k, err := authz.ParseRouteKey(tt.in)
			if err != nil {
				t.Fatalf("ParseRouteKey(%q) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(describeKey(k), tt.want); diff != "" {
				t.Errorf("ParseRouteKey(%q) (-got +want):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseRouteKeyRejects(t *testing.T) {
	for _, in := range []string{
		"",                     // nothing
		"$",                    // a bare dollar
		"$con nect",            // space in a special key
		"$a/b",                 // slash in a special key
		"${x}",                 // braces in a special key
		"GET",                  // no path
		"/orders",              // no method
		"get /orders",          // methods are upper case
		"TRACE /orders",        // not a method API Gateway routes
		"GET orders",           // path without its leading slash
		"GET  /orders",         // two spaces
		"GET /orders/",         // trailing slash: empty segment
		"GET //orders",         // empty segment
		"GET /a//b",            // empty segment
		"GET /{proxy+}/x",      // greedy parameter not last
		"GET /{}",              // empty parameter name
		"GET /{+}",             // empty greedy name
		"GET /{a b}",           // space in a parameter name
		"GET /{a*}",            // wildcard in a parameter name
		"GET /{{a}}",           // nested braces
		"GET /{a}}",            // unbalanced braces
		"GET /x{id}",           // parameter mixed with text
		"GET /{id}x",           // parameter mixed with text
		"GET /a*",              // IAM wildcard in a literal
		"GET /a?b",             // IAM wildcard in a literal
		"GET /orders/{id}/{+}", // empty greedy name after a parameter
	} {
		t.Run(in, func(t *testing.T) {
			k, err := authz.ParseRouteKey(in)
			if !errors.Is(err, authz.ErrRouteKey) {
				t.Errorf("ParseRouteKey(%q) = %+v, %v; want an error wrapping ErrRouteKey", in, describeKey(k), err)
			}
		})
	}
}

// Routes that differ only in parameter names are one route to API Gateway.
func TestCanonicalErasesParameterNames(t *testing.T) {
	pairs := [][2]string{
		{"GET /orders/{id}", "GET /orders/{orderId}"},
		{"ANY /admin/{proxy+}", "ANY /admin/{rest+}"},
		{"GET /a/{x}/b/{y}", "GET /a/{p}/b/{q}"},
	}
	for _, p := range pairs {
		a, b := mustKey(t, p[0]), mustKey(t, p[1])
		if a.Canonical() != b.Canonical() {
			t.Errorf("Canonical(%q) = %q, Canonical(%q) = %q; want equal", p[0], a.Canonical(), p[1], b.Canonical())
		}
	}
	distinct := [][2]string{
		{"GET /orders/{id}", "ANY /orders/{id}"},
		{"GET /orders/{id}", "GET /orders/{proxy+}"},
		{"GET /orders/{id}", "GET /orders/id"},
		{"GET /", "ANY /"},
		{"$default", "$connect"},
	}
	for _, p := range distinct {
		a, b := mustKey(t, p[0]), mustKey(t, p[1])
		if a.Canonical() == b.Canonical() {
			t.Errorf("Canonical(%q) = Canonical(%q) = %q; want different", p[0], p[1], a.Canonical())
		}
	}
}

// Segments returns a copy: callers cannot change the parsed key.
func TestSegmentsIsACopy(t *testing.T) {
	k := mustKey(t, "GET /orders/{id}")
	s := k.Segments()
	s[0].Text = "changed"
	if got := k.Segments()[0].Text; got != "orders" {
		t.Errorf("after editing the result of Segments, Segments()[0].Text = %q, want %q", got, "orders")
	}
}

func mustKey(t testing.TB, s string) authz.RouteKey {
	t.Helper()
	k, err := authz.ParseRouteKey(s)
	if err != nil {
		t.Fatalf("ParseRouteKey(%q): %v", s, err)
	}
	return k
}
