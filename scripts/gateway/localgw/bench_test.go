package localgw

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	commonauth "github.com/portcullis-authz/portcullis/shared/authorizer"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// discard is a backend that answers 204, so the benchmarks measure the
// gateway rather than the echo's JSON.
var discard = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

func benchGateway(b *testing.B, ttl string) *Gateway {
	f := loadPolicy(b, ttl, ttl)
	h, err := commonauth.New(config.AuthorizerJWT, scopeAuthenticator{}, f, commonauth.WithAuditWriter(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	g, err := New(planOf(b, f), Options{Functions: map[string]Function{"jwt": h, "apikey": h}, Backend: discard})
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// BenchmarkServeHTTP drives the gateway's handler in process with the real
// common authorizer handler (a trivial authenticator) behind it: "cached"
// answers from the result cache and re-evaluates the cached policy;
// "uncached" (TTL 0) builds the event, invokes the handler and parses its
// policy on every request.
func BenchmarkServeHTTP(b *testing.B) {
	for _, bc := range []struct{ name, ttl string }{{"cached", "300s"}, {"uncached", "0s"}} {
		b.Run(bc.name, func(b *testing.B) {
			g := benchGateway(b, bc.ttl)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", "/orders/42", nil)
					req.Header.Set("Authorization", "Bearer orders:read")
					w := httptest.NewRecorder()
					g.ServeHTTP(w, req)
					if w.Code != http.StatusNoContent {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

func FuzzRouteMatch(f *testing.F) {
	f.Add("GET", "/orders/42")
	f.Add("DELETE", "/admin/a/b/c")
	f.Add("GET", "//orders")
	f.Add("GET", "/orders/%2F")
	fl := loadPolicy(f, "0s", "0s")
	p := planOf(f, fl)
	table, _ := restTable(p.REST, map[string]*authorizer{})
	f.Fuzz(func(t *testing.T, method, path string) {
		rt, params := table.match(method, path)
		if rt == nil {
			return
		}
		if rt.method != method && rt.method != "ANY" {
			t.Fatalf("%s %s matched %s %s", method, path, rt.method, rt.resource)
		}
		for k, v := range params {
			if v == "" {
				t.Fatalf("%s %s: empty path parameter %s", method, path, k)
			}
		}
	})
}

func FuzzParseResult(f *testing.F) {
	f.Add([]byte(`{"principalId":"a","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]},"context":{"a":1,"b":"x","c":true}}`), false)
	f.Add([]byte(`{"isAuthorized":true,"context":{"a":[1]}}`), true)
	f.Fuzz(func(t *testing.T, payload []byte, simple bool) {
		for _, api := range []API{REST, HTTP} {
			res, err := parseResult(api, simple, payload)
			if err != nil {
				if !errors.Is(err, ErrResponse) {
					t.Fatalf("error %v does not wrap ErrResponse", err)
				}
				continue
			}
			if api == REST && res.policy == nil {
				t.Fatal("a REST result without a policy")
			}
			for _, e := range res.context {
				if api == REST && len(e.json) > 0 && (e.json[0] == '{' || e.json[0] == '[' || e.json[0] == 'n') {
					t.Fatalf("REST accepted non-scalar context %s", e.json)
				}
			}
		}
	})
}
