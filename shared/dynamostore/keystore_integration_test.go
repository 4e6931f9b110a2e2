package dynamostore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/apikey/apikeytest"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
	"github.com/portcullis-authz/portcullis/shared/dynamostore/dynamostoretest"
)

// startDynalite starts a dynalite for one top-level test (its subtests
// share it, each with its own tables).
func startDynalite(t *testing.T) *dynamostoretest.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: dynalite (not with -short)")
	}
	return dynamostoretest.Start(t)
}

func TestKeyStoreDynalite(t *testing.T) {
	srv := startDynalite(t)
	apikeytest.RunStoreTests(t, func(t *testing.T) apikeytest.AdminStore {
		return dynamostore.NewKeyStore(srv.Client, srv.CreateTable(t, dynamostore.APIKeys))
	})

	t.Run("authenticator over dynalite", func(t *testing.T) {
		ctx := context.Background()
		store := dynamostore.NewKeyStore(srv.Client, srv.CreateTable(t, dynamostore.APIKeys))
		h := apikeytest.Hasher(t)
		clk := &apikeytest.Clock{T: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		k, rec := apikeytest.Issue(t, h, apikey.Spec{Scopes: []string{"reports:read"}, UsageKey: "uk-1"}, clk.T)
		if err := store.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
		ttl := config.Duration(time.Minute)
		a, err := apikey.NewAuthenticator(&config.APIKeyAuthorizer{Environment: "test", Cache: config.RecordCache{PositiveTTL: &ttl}}, h, store, apikey.WithClock(clk.Now))
		if err != nil {
			t.Fatal(err)
		}
		r := &authz.Request{Kind: authz.KindHTTPv2, Headers: map[string]string{"x-api-key": k.Reveal()}}
		decide := func() authz.Decision {
			d, err := a.Authenticate(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if d := decide(); d.Effect != authz.Allow || d.Principal.UsageKey != "uk-1" {
			t.Fatalf("decision %s %s, principal %+v; want allow with usage key uk-1", d.Effect, d.Reason, d.Principal)
		}
		if _, err := store.SetStatus(ctx, rec.ID, apikey.StatusRevoked, clk.T); err != nil {
			t.Fatal(err)
		}
		if d := decide(); d.Effect != authz.Allow {
			t.Errorf("revoked key refused within the positive TTL: the record should still be cached (%s)", d.Reason)
		}
		clk.Advance(time.Minute)
		if d := decide(); d.Reason != authz.ReasonKeyRevoked {
			t.Errorf("after the positive TTL: %s, want %s", d.Reason, authz.ReasonKeyRevoked)
		}
	})

	t.Run("missing table is a failure, not an unknown key", func(t *testing.T) {
		store := dynamostore.NewKeyStore(srv.Client, "no-such-table")
		_, err := store.Get(context.Background(), "AAAAAAAAAAAA")
		if err == nil || errors.Is(err, apikey.ErrNotFound) {
			t.Fatalf("Get on a missing table: error = %v, want a failure other than ErrNotFound", err)
		}
	})
}

// BenchmarkAuthenticateStoreRead: every decision reads the record from
// dynalite (record cache off).
func BenchmarkAuthenticateStoreRead(b *testing.B) {
	srv := dynamostoretest.Start(b)
	ctx := context.Background()
	store := dynamostore.NewKeyStore(srv.Client, srv.CreateTable(b, dynamostore.APIKeys))
	h := apikeytest.Hasher(b)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	k, rec := apikeytest.Issue(b, h, apikey.Spec{Scopes: []string{"reports:read"}}, now)
	if err := store.Create(ctx, rec); err != nil {
		b.Fatal(err)
	}
	off := config.Duration(0)
	a, err := apikey.NewAuthenticator(&config.APIKeyAuthorizer{Environment: "test",
		Cache: config.RecordCache{PositiveTTL: &off, NegativeTTL: &off}}, h, store,
		apikey.WithClock(func() time.Time { return now }))
	if err != nil {
		b.Fatal(err)
	}
	r := &authz.Request{Kind: authz.KindHTTPv2, Headers: map[string]string{"x-api-key": k.Reveal()}}
	b.ReportAllocs()
	for b.Loop() {
		d, err := a.Authenticate(ctx, r)
		if err != nil || d.Effect != authz.Allow {
			b.Fatalf("%s %v", d.Reason, err)
		}
	}
}
