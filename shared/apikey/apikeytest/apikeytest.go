// Package apikeytest holds test helpers for package apikey and its stores:
// a fixed test pepper, a hasher, and [RunStoreTests], the conformance
// suite every key store (in-memory, DynamoDB) passes so that they behave
// alike.
package apikeytest

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/portcullis-authz/portcullis/shared/apikey"
)

// Pepper is a fixed pepper for tests.
const Pepper = "apikeytest-pepper-0123456789abcdefghijklmnop"

// Hasher returns a hasher keyed with [Pepper].
func Hasher(t testing.TB) *apikey.Hasher {
	t.Helper()
	h, err := apikey.NewHasher([]byte(Pepper))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Issue issues a key for spec at now, failing the test on error. Env
// defaults to Test and Owner to "owner-1".
func Issue(t testing.TB, h *apikey.Hasher, spec apikey.Spec, now time.Time) (apikey.Key, *apikey.Record) {
	t.Helper()
	if spec.Env == "" {
		spec.Env = apikey.Test
	}
	if spec.Owner == "" {
		spec.Owner = "owner-1"
	}
	k, r, err := apikey.Issue(h, spec, now)
	if err != nil {
		t.Fatal(err)
	}
	return k, r
}

// AdminStore is what the admin CLI does with a key store; every store
// implementation provides it.
type AdminStore interface {
	apikey.Store
	Create(ctx context.Context, r *apikey.Record) error
	List(ctx context.Context, tenant string) ([]*apikey.Record, error)
	SetStatus(ctx context.Context, id string, to apikey.Status, at time.Time) (*apikey.Record, error)
	Rotate(ctx context.Context, oldID string, next *apikey.Record, graceUntil time.Time) (*apikey.Record, error)
}

// RecordDiff compares records, treating nil and empty slices alike.
func RecordDiff(got, want any) string {
	return cmp.Diff(got, want, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }))
}

// RunStoreTests runs the store conformance suite against stores made by
// newStore (each subtest gets a fresh, empty store).
func RunStoreTests(t *testing.T, newStore func(t *testing.T) AdminStore) {
	ctx := context.Background()
	h := Hasher(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	full := apikey.Spec{
		Env: apikey.Live, Owner: "partner-7", Tenant: "acme", Scopes: []string{"reports:read", "orders:read"},
		Expires: now.Add(90 * 24 * time.Hour), CIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")},
		UsageKey: "usagekeyvalue0123456789abcdefghij", UsageKeyID: "abc123", UsagePlan: "bronze", Description: "reporting batch job",
	}

	t.Run("create and get round trip", func(t *testing.T) {
		s := newStore(t)
		_, minimal := Issue(t, h, apikey.Spec{Owner: "o"}, now)
		_, rich := Issue(t, h, full, now)
		for _, r := range []*apikey.Record{minimal, rich} {
			if err := s.Create(ctx, r); err != nil {
				t.Fatalf("Create: %v", err)
			}
			got, err := s.Get(ctx, r.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if diff := RecordDiff(got, r); diff != "" {
				t.Errorf("Get(%s) (-got +want):\n%s", r.ID, diff)
			}
		}
	})

	t.Run("create refuses an existing id", func(t *testing.T) {
		s := newStore(t)
		_, r := Issue(t, h, apikey.Spec{Owner: "first"}, now)
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		clobber := r.Clone()
		clobber.Owner = "second"
		if err := s.Create(ctx, clobber); !errors.Is(err, apikey.ErrExists) {
			t.Fatalf("second Create error = %v, want ErrExists", err)
		}
		got, _ := s.Get(ctx, r.ID)
		if got.Owner != "first" {
			t.Errorf("owner after refused create = %q, want first", got.Owner)
		}
	})

	t.Run("create refuses an invalid record", func(t *testing.T) {
		s := newStore(t)
		_, r := Issue(t, h, apikey.Spec{}, now)
		r.Owner = ""
		if err := s.Create(ctx, r); !errors.Is(err, apikey.ErrInvalidRecord) {
			t.Fatalf("Create error = %v, want ErrInvalidRecord", err)
		}
		if _, err := s.Get(ctx, r.ID); !errors.Is(err, apikey.ErrNotFound) {
			t.Errorf("Get after refused create: error = %v, want ErrNotFound", err)
		}
	})

	t.Run("get unknown id", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Get(ctx, "AAAAAAAAAAAA"); !errors.Is(err, apikey.ErrNotFound) {
			t.Fatalf("Get error = %v, want ErrNotFound", err)
		}
	})

	t.Run("list all and by tenant, newest first", func(t *testing.T) {
		s := newStore(t)
		var ids []string
		for i, tenant := range []string{"acme", "globex", "acme", ""} {
			_, r := Issue(t, h, apikey.Spec{Owner: "o", Tenant: tenant}, now.Add(time.Duration(i)*time.Minute))
			if err := s.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		idsOf := func(rs []*apikey.Record) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		all, err := s.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(idsOf(all), []string{ids[3], ids[2], ids[1], ids[0]}); diff != "" {
			t.Errorf("List(all) (-got +want):\n%s", diff)
		}
		acme, err := s.List(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(idsOf(acme), []string{ids[2], ids[0]}); diff != "" {
			t.Errorf("List(acme) (-got +want):\n%s", diff)
		}
		none, err := s.List(ctx, "nobody")
		if err != nil || len(none) != 0 {
			t.Errorf("List(nobody) = %v, %v; want empty", idsOf(none), err)
		}
	})

	t.Run("status transitions", func(t *testing.T) {
		s := newStore(t)
		_, r := Issue(t, h, apikey.Spec{Owner: "o"}, now)
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Hour)
		steps := []struct {
			to      apikey.Status
			wantErr error
		}{
			{apikey.StatusActive, apikey.ErrConflict}, // resume an active key
			{apikey.StatusSuspended, nil},
			{apikey.StatusSuspended, apikey.ErrConflict},
			{apikey.StatusActive, nil},
			{apikey.StatusRevoked, nil},
			{apikey.StatusActive, apikey.ErrConflict},
			{apikey.StatusSuspended, apikey.ErrConflict},
			{apikey.StatusRevoked, apikey.ErrConflict},
		}
		want := r.Clone()
		for i, st := range steps {
			got, err := s.SetStatus(ctx, r.ID, st.to, at)
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("step %d SetStatus(%s) error = %v, want %v", i, st.to, err, st.wantErr)
			}
			if err == nil {
				apikey.ApplyStatus(want, st.to, at)
				if diff := RecordDiff(got, want); diff != "" {
					t.Errorf("step %d SetStatus(%s) returned (-got +want):\n%s", i, st.to, diff)
				}
			}
			stored, err := s.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := RecordDiff(stored, want); diff != "" {
				t.Errorf("step %d stored (-got +want):\n%s", i, diff)
			}
		}
		if _, err := s.SetStatus(ctx, "AAAAAAAAAAAA", apikey.StatusRevoked, at); !errors.Is(err, apikey.ErrNotFound) {
			t.Errorf("SetStatus(unknown) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("rotate links both records", func(t *testing.T) {
		s := newStore(t)
		_, old := Issue(t, h, full, now)
		if err := s.Create(ctx, old); err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Hour)
		grace := at.Add(24 * time.Hour)
		_, next, err := apikey.Successor(h, old, at)
		if err != nil {
			t.Fatal(err)
		}
		gotOld, err := s.Rotate(ctx, old.ID, next, grace)
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		wantOld := old.Clone()
		apikey.ApplyRotation(wantOld, next.ID, grace, at)
		if diff := RecordDiff(gotOld, wantOld); diff != "" {
			t.Errorf("Rotate returned (-got +want):\n%s", diff)
		}
		storedOld, _ := s.Get(ctx, old.ID)
		if diff := RecordDiff(storedOld, wantOld); diff != "" {
			t.Errorf("stored old (-got +want):\n%s", diff)
		}
		storedNext, err := s.Get(ctx, next.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := RecordDiff(storedNext, next); diff != "" {
			t.Errorf("stored successor (-got +want):\n%s", diff)
		}
		if storedNext.RotatedFrom != old.ID || storedNext.UsageKey != old.UsageKey {
			t.Errorf("successor rotated_from %q usage key %q; want %q and the old usage key", storedNext.RotatedFrom, storedNext.UsageKey, old.ID)
		}

		// Rotating the old key again is refused and writes nothing.
		_, again, _ := apikey.Successor(h, old, at)
		if _, err := s.Rotate(ctx, old.ID, again, grace); !errors.Is(err, apikey.ErrConflict) {
			t.Errorf("second Rotate error = %v, want ErrConflict", err)
		}
		if _, err := s.Get(ctx, again.ID); !errors.Is(err, apikey.ErrNotFound) {
			t.Errorf("refused rotation left successor %s behind (Get error %v)", again.ID, err)
		}
	})

	t.Run("rotate refuses", func(t *testing.T) {
		s := newStore(t)
		_, suspended := Issue(t, h, apikey.Spec{Owner: "o"}, now)
		_, active := Issue(t, h, apikey.Spec{Owner: "o"}, now)
		for _, r := range []*apikey.Record{suspended, active} {
			if err := s.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.SetStatus(ctx, suspended.ID, apikey.StatusSuspended, now); err != nil {
			t.Fatal(err)
		}
		_, next, _ := apikey.Successor(h, suspended, now)
		if _, err := s.Rotate(ctx, suspended.ID, next, now); !errors.Is(err, apikey.ErrConflict) {
			t.Errorf("Rotate(suspended) error = %v, want ErrConflict", err)
		}
		if _, err := s.Get(ctx, next.ID); !errors.Is(err, apikey.ErrNotFound) {
			t.Errorf("refused rotation left successor behind (Get error %v)", err)
		}
		if _, err := s.Rotate(ctx, "AAAAAAAAAAAA", next, now); !errors.Is(err, apikey.ErrNotFound) {
			t.Errorf("Rotate(unknown) error = %v, want ErrNotFound", err)
		}
		// A successor whose id is taken is refused; the old key is untouched.
		taken := suspended.Clone()
		taken.RotatedFrom = active.ID
		if _, err := s.Rotate(ctx, active.ID, taken, now); !errors.Is(err, apikey.ErrExists) {
			t.Errorf("Rotate(taken successor id) error = %v, want ErrExists", err)
		}
		got, _ := s.Get(ctx, active.ID)
		if got.RotatedTo != "" {
			t.Errorf("old key rotated_to = %q after a refused rotation, want empty", got.RotatedTo)
		}
		gotTaken, _ := s.Get(ctx, suspended.ID)
		if gotTaken.RotatedFrom != "" || gotTaken.Status != apikey.StatusSuspended {
			t.Errorf("existing record clobbered by a refused rotation: %+v", gotTaken)
		}
	})
}

// StoreFunc adapts a function to [apikey.Store].
type StoreFunc func(ctx context.Context, id string) (*apikey.Record, error)

// Get implements [apikey.Store].
func (f StoreFunc) Get(ctx context.Context, id string) (*apikey.Record, error) { return f(ctx, id) }

// Clock is a settable clock for tests.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.T = c.T.Add(d) }
