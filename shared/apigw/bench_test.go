package apigw_test

import (
	"testing"

	"github.com/portcullis-authz/portcullis/shared/apigw"
	"github.com/portcullis-authz/portcullis/shared/authz"
)

func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct{ name, event string }{
		{"rest-token", restTokenEvent},
		{"rest-request", restRequestEvent},
		{"http-1.0", httpV1Event},
		{"http-2.0", httpV2Event},
		{"websocket", webSocketEvent},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ev := []byte(bc.event)
			b.ReportAllocs()
			b.SetBytes(int64(len(ev)))
			for b.Loop() {
				if _, err := apigw.Decode(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeAllow encodes an allow with the compiler's memo warm, as
// in a warm function.
func BenchmarkEncodeAllow(b *testing.B) {
	p := encodePolicy(b, authz.UnlistedDeny)
	for _, bc := range []struct {
		name string
		opts apigw.EncoderOptions
		kind authz.EventKind
	}{
		{"iam", apigw.EncoderOptions{}, authz.KindRESTToken},
		{"simple", apigw.EncoderOptions{SimpleHTTP: true}, authz.KindHTTPv2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			enc := apigw.NewEncoder(p, bc.opts)
			r := encReq(bc.kind, "GET", "/orders/42")
			d, allowed := decide(p, reader, r)
			if _, err := enc.Encode(r, d, allowed); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.Encode(r, d, allowed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBearerToken(b *testing.B) {
	r := &authz.Request{Kind: authz.KindRESTRequest, Headers: map[string]string{"authorization": "Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, reason := apigw.BearerToken(r, "Authorization"); reason != "" {
			b.Fatal(reason)
		}
	}
}
