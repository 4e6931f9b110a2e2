package apikey_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/apikey/apikeytest"
	"github.com/portcullis-authz/portcullis/shared/authz"
)

func withSum(body string) string { return body + apikey.Checksum(body) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestRecordCheck(t *testing.T) {
	base := apikey.Record{Status: apikey.StatusActive}
	tests := []struct {
		name   string
		edit   func(*apikey.Record)
		now    time.Time
		reason authz.Reason
	}{
		{"active", nil, t0, ""},
		{"active before expiry", func(r *apikey.Record) { r.Expires = t0.Add(time.Second) }, t0, ""},
		{"expired at the instant", func(r *apikey.Record) { r.Expires = t0 }, t0, authz.ReasonKeyExpired},
		{"expired", func(r *apikey.Record) { r.Expires = t0.Add(-time.Hour) }, t0, authz.ReasonKeyExpired},
		{"suspended", func(r *apikey.Record) { r.Status = apikey.StatusSuspended }, t0, authz.ReasonKeySuspended},
		{"revoked", func(r *apikey.Record) { r.Status = apikey.StatusRevoked; r.Revoked = t0 }, t0, authz.ReasonKeyRevoked},
		{"unknown status", func(r *apikey.Record) { r.Status = "paused" }, t0, authz.ReasonKeyRevoked},
		{"revoked wins over expired", func(r *apikey.Record) { r.Status = apikey.StatusRevoked; r.Expires = t0.Add(-time.Hour) }, t0, authz.ReasonKeyRevoked},
		{"rotated, in grace", func(r *apikey.Record) { r.RotatedTo = "x"; r.GraceUntil = t0.Add(time.Minute) }, t0, ""},
		{"rotated, grace over", func(r *apikey.Record) { r.RotatedTo = "x"; r.GraceUntil = t0 }, t0, authz.ReasonKeyRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			if tt.edit != nil {
				tt.edit(&r)
			}
			got, detail := r.Check(tt.now)
			if got != tt.reason {
				t.Errorf("Check() = %q (%s), want %q", got, detail, tt.reason)
			}
			if (detail == "") != (got == "") {
				t.Errorf("Check() detail %q for reason %q", detail, got)
			}
		})
	}
}

func TestRecordDeadline(t *testing.T) {
	r := apikey.Record{}
	if !r.Deadline().IsZero() {
		t.Errorf("Deadline() of a key without expiry = %v, want zero", r.Deadline())
	}
	r.Expires = t0.Add(2 * time.Hour)
	r.RotatedTo, r.GraceUntil = "x", t0.Add(time.Hour)
	if got := r.Deadline(); !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("Deadline() = %v, want the grace end", got)
	}
	r.GraceUntil = t0.Add(3 * time.Hour)
	if got := r.Deadline(); !got.Equal(r.Expires) {
		t.Errorf("Deadline() = %v, want the expiry", got)
	}
}

func TestAllowsSource(t *testing.T) {
	r := apikey.Record{CIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}}
	for ip, want := range map[string]bool{
		"203.0.113.7":        true,
		"203.0.114.7":        false,
		"::ffff:203.0.113.7": true, // IPv4-mapped IPv6 is the same host
		"2001:db8::1":        true,
		"2001:db9::1":        false,
		"":                   false,
		"not-an-ip":          false,
		"203.0.113.7:443":    false,
	} {
		if got := r.AllowsSource(ip); got != want {
			t.Errorf("AllowsSource(%q) = %v, want %v", ip, got, want)
		}
	}
	if !(&apikey.Record{}).AllowsSource("") {
		t.Error("a key without an allow-list refuses a request")
	}
}

func TestIssueAndValidate(t *testing.T) {
	h := apikeytest.Hasher(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 987654321, time.FixedZone("X", 3600))
	k, r, err := apikey.Issue(h, apikey.Spec{Env: apikey.Live, Owner: "o", Scopes: []string{"a"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != k.ID || r.Status != apikey.StatusActive || !h.Verify(k, r.SecretHash) {
		t.Errorf("Issue() record %+v does not match key %v", r, k)
	}
	if !r.Created.Equal(now.Truncate(time.Second)) || r.Created.Location() != time.UTC {
		t.Errorf("Created = %v, want %v in UTC, whole seconds", r.Created, now.Truncate(time.Second))
	}
	nk, next, err := apikey.Successor(h, r, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if next.RotatedFrom != r.ID || next.ID == r.ID || nk.Reveal() == k.Reveal() || next.Owner != "o" {
		t.Errorf("Successor() = %+v; want a new id linked to %s with the same owner", next, r.ID)
	}

	bad := []struct {
		name string
		spec apikey.Spec
	}{
		{"no owner", apikey.Spec{Env: apikey.Live}},
		{"bad env", apikey.Spec{Env: "prod", Owner: "o"}},
		{"expiry before creation", apikey.Spec{Env: apikey.Live, Owner: "o", Expires: now.Add(-time.Hour)}},
		{"empty scope", apikey.Spec{Env: apikey.Live, Owner: "o", Scopes: []string{""}}},
		{"host bits", apikey.Spec{Env: apikey.Live, Owner: "o", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/8")}}},
	}
	for _, tt := range bad {
		if _, _, err := apikey.Issue(h, tt.spec, now); err == nil {
			t.Errorf("Issue(%s) succeeded, want an error", tt.name)
		} else if tt.spec.Env.Valid() && !errors.Is(err, apikey.ErrInvalidRecord) {
			t.Errorf("Issue(%s) error = %v, want ErrInvalidRecord", tt.name, err)
		}
	}
	r2 := r.Clone()
	r2.ID, r2.SecretHash, r2.Status, r2.Created = "short", nil, "x", time.Time{}
	r2.RotatedTo = "y"
	if err := r2.Validate(); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("Validate(broken) error = %v, want ErrInvalidRecord", err)
	}
}

func TestMemoryStore(t *testing.T) {
	apikeytest.RunStoreTests(t, func(*testing.T) apikeytest.AdminStore { return apikey.NewMemoryStore() })
}
