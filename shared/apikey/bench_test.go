package apikey_test

import (
	"context"
	"testing"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/apikey/apikeytest"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// BenchmarkAuthenticateCached: a valid key whose record is in the cache.
func BenchmarkAuthenticateCached(b *testing.B) {
	h := apikeytest.Hasher(b)
	store := apikey.NewMemoryStore()
	k, rec := apikeytest.Issue(b, h, apikey.Spec{Scopes: []string{"reports:read"}}, t0)
	if err := store.Create(context.Background(), rec); err != nil {
		b.Fatal(err)
	}
	a, err := apikey.NewAuthenticator(&config.APIKeyAuthorizer{Environment: "test"}, h, store,
		apikey.WithClock((&apikeytest.Clock{T: t0}).Now))
	if err != nil {
		b.Fatal(err)
	}
	r := &authz.Request{Kind: authz.KindRESTRequest, Headers: map[string]string{"x-api-key": k.Reveal()}, SourceIP: "203.0.113.9"}
	ctx := context.Background()
	if d, _ := a.Authenticate(ctx, r); d.Effect != authz.Allow {
		b.Fatalf("warm-up decision %s %s", d.Effect, d.Reason)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := a.Authenticate(ctx, r); d.Effect != authz.Allow {
			b.Fatal(d.Reason)
		}
	}
}

// BenchmarkAuthenticateMalformed: a mistyped key, refused by its checksum
// without a store read.
func BenchmarkAuthenticateMalformed(b *testing.B) {
	h := apikeytest.Hasher(b)
	k, _ := apikey.Generate(apikey.Test)
	a, err := apikey.NewAuthenticator(&config.APIKeyAuthorizer{Environment: "test"}, h,
		apikeytest.StoreFunc(func(context.Context, string) (*apikey.Record, error) {
			b.Fatal("store read")
			return nil, nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	r := &authz.Request{Kind: authz.KindRESTRequest, Headers: map[string]string{"x-api-key": typo(k.Reveal())}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := a.Authenticate(ctx, r); d.Reason != authz.ReasonMalformedKey {
			b.Fatal(d.Reason)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	k, _ := apikey.Generate(apikey.Live)
	s := k.Reveal()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apikey.Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}
