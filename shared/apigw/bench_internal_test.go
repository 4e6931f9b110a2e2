package apigw

import (
	"testing"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// benchPolicy is a REST API like the dev policy's jwt routes.
func benchPolicy(b *testing.B) (*authz.Policy, []*authz.Route) {
	var routes []*authz.Route
	for _, k := range []string{"GET /orders", "GET /orders/{id}", "GET /orders/{id}/items", "POST /orders",
		"DELETE /orders/{id}", "POST /orders/{id}/refund", "ANY /admin/{proxy+}", "GET /", "$connect"} {
		routes = append(routes, &authz.Route{Key: mustKey(b, k)})
	}
	p, err := authz.NewPolicy(routes, authz.UnlistedDeny)
	if err != nil {
		b.Fatal(err)
	}
	return p, []*authz.Route{routes[0], routes[1], routes[2], routes[8]} // a reader
}

// BenchmarkCompile measures a cold compile (memo miss: the work done once
// per distinct permission set) and a warm one (memo hit: every request).
func BenchmarkCompile(b *testing.B) {
	p, allowed := benchPolicy(b)
	b.Run("cold", func(b *testing.B) {
		c := NewCompiler(p)
		key := make([]byte, (len(p.Routes)+7)/8)
		for _, rt := range allowed {
			i := c.index[rt]
			key[i/8] |= 1 << (i % 8)
		}
		b.ReportAllocs()
		for b.Loop() {
			if res := c.compile(key); !res.ok {
				b.Fatal("not ok")
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		c := NewCompiler(p)
		c.Compile(allowed)
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := c.Compile(allowed); !ok {
				b.Fatal("not ok")
			}
		}
	})
}
