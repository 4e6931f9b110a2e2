package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis-authz/portcullis/scripts/gateway/devidp"
)

// BenchmarkGatewayHTTP measures the local gateway's throughput over real
// HTTP on loopback, with the real JWT authorizer in process and parallel
// keep-alive clients: "cached" answers from the authorizer result cache
// (the common case with a TTL), "uncached" (cache_ttl 0s) verifies the
// ES256 token, decides and compiles on every request. Logs are off.
//
//	go test -run '^$' -bench GatewayHTTP -benchtime 5s ./scripts/gateway
func BenchmarkGatewayHTTP(b *testing.B) {
	for _, bc := range []struct{ name, ttl string }{{"cached", "300s"}, {"uncached", "0s"}} {
		b.Run(bc.name, func(b *testing.B) {
			policy := devPolicy(b)
			if bc.ttl != "300s" {
				policy = copyPolicyDir(b, func(s string) string {
					return strings.Replace(s, "  jwt:\n    cache_ttl: 300s", "  jwt:\n    cache_ttl: "+bc.ttl, 1)
				})
			}
			g := start(b, nil, "--policy", policy, "--access-log=false", "--audit=false")
			tok, err := g.IdP.Mint(devidp.Claims{Subject: "bench", Scopes: []string{"orders:read"}})
			if err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer client.CloseIdleConnections()
			url := g.URL + "/orders/42"
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", url, nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
