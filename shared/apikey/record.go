package apikey

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/portcullis-authz/portcullis/shared/authz"
)

// Status is a key's lifecycle state.
type Status string

// Statuses. Active keys authenticate; suspended keys are refused until
// resumed; revoked keys are refused for good.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusRevoked   Status = "revoked"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusActive || s == StatusSuspended || s == StatusRevoked
}

// AllowedFrom returns the statuses a key may move to s from: suspend an
// active key, resume a suspended one, revoke either.
func (s Status) AllowedFrom() []Status {
	switch s {
	case StatusSuspended:
		return []Status{StatusActive}
	case StatusActive:
		return []Status{StatusSuspended}
	case StatusRevoked:
		return []Status{StatusActive, StatusSuspended}
	}
	return nil
}

// Retention is how long a revoked (or rotated-out) key's record is kept
// before DynamoDB's time-to-live deletes it. A deleted record's key is
// unknown, so still refused.
const Retention = 90 * 24 * time.Hour

// Errors of stores and record checks.
var (
	// ErrNotFound: no record has the key id.
	ErrNotFound = errors.New("apikey: key not found")
	// ErrExists: a record with the key id already exists.
	ErrExists = errors.New("apikey: key id already exists")
	// ErrConflict: the record is not in a state that allows the change
	// (e.g. resuming a revoked key, rotating a key twice).
	ErrConflict = errors.New("apikey: key state does not allow the change")
	// ErrInvalidRecord: a record fails validation.
	ErrInvalidRecord = errors.New("apikey: invalid record")
)

// Record is what the store keeps about one key. Records handed out by a
// [Store] or the [Cache] are shared: treat them as read-only.
type Record struct {
	ID         string
	Env        Env
	SecretHash []byte // [Hasher.Hash] of the key; never the secret
	Status     Status
	Created    time.Time
	Updated    time.Time
	Expires    time.Time // zero: never
	Revoked    time.Time // when revoked; zero otherwise
	Owner      string    // the principal's subject
	Tenant     string
	Scopes     []string
	// CIDRs, when not empty, are the only source addresses the key is
	// accepted from.
	CIDRs []netip.Prefix
	// UsageKey is the API Gateway API-key value the authorizer returns as
	// usageIdentifierKey, so usage plans throttle and meter this client.
	UsageKey string
	// UsageKeyID is the API Gateway API key's id (for the console and
	// clean-up).
	UsageKeyID  string
	UsagePlan   string
	Description string
	// RotatedFrom is the key this one replaced.
	RotatedFrom string
	// RotatedTo is the key that replaced this one; this key keeps working
	// until GraceUntil.
	RotatedTo  string
	GraceUntil time.Time
	// PurgeAt is when the record may be deleted (DynamoDB TTL); zero: never.
	PurgeAt time.Time
}

// Clone returns a deep copy of r.
func (r *Record) Clone() *Record {
	c := *r
	c.SecretHash = slices.Clone(r.SecretHash)
	c.Scopes = slices.Clone(r.Scopes)
	c.CIDRs = slices.Clone(r.CIDRs)
	return &c
}

// Check reports whether the key may authenticate at now: "" when it may,
// otherwise the reason and a detail for the audit line.
func (r *Record) Check(now time.Time) (authz.Reason, string) {
	switch {
	case r.Status == StatusRevoked:
		return authz.ReasonKeyRevoked, "key revoked at " + stamp(r.Revoked)
	case r.Status == StatusSuspended:
		return authz.ReasonKeySuspended, "key suspended"
	case r.Status != StatusActive:
		return authz.ReasonKeyRevoked, fmt.Sprintf("unknown status %q", r.Status)
	case !r.Expires.IsZero() && !now.Before(r.Expires):
		return authz.ReasonKeyExpired, "key expired at " + stamp(r.Expires)
	case r.RotatedTo != "" && !now.Before(r.GraceUntil):
		return authz.ReasonKeyRevoked, fmt.Sprintf("key rotated to %s; grace ended at %s", r.RotatedTo, stamp(r.GraceUntil))
	}
	return "", ""
}

// Deadline returns when the key stops working if nothing changes: the
// earlier of its expiry and its rotation grace; zero when neither is set.
func (r *Record) Deadline() time.Time {
	d := r.Expires
	if r.RotatedTo != "" && (d.IsZero() || r.GraceUntil.Before(d)) {
		d = r.GraceUntil
	}
	return d
}

// AllowsSource reports whether the key may be used from address ip: true
// when the key has no CIDR allow-list, false for an unparsable address.
func (r *Record) AllowsSource(ip string) bool {
	if len(r.CIDRs) == 0 {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range r.CIDRs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Validate checks the record's own consistency (not its scopes against a
// catalogue: the admin CLI does that against the policy file).
func (r *Record) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !ValidID(r.ID) {
		bad("key id %q is not %d base62 characters", r.ID, IDLen)
	}
	if !r.Env.Valid() {
		bad("environment %q is not live or test", r.Env)
	}
	if len(r.SecretHash) != HashLen {
		bad("secret hash has %d bytes, want %d", len(r.SecretHash), HashLen)
	}
	if !r.Status.Valid() {
		bad("status %q is not active, suspended or revoked", r.Status)
	}
	if r.Owner == "" {
		bad("owner is required")
	}
	if r.Created.IsZero() {
		bad("created time is required")
	}
	if !r.Expires.IsZero() && !r.Expires.After(r.Created) {
		bad("expiry %s is not after creation %s", stamp(r.Expires), stamp(r.Created))
	}
	for _, s := range r.Scopes {
		if s == "" {
			bad("empty scope")
		}
	}
	for _, p := range r.CIDRs {
		if !p.IsValid() || p.Masked() != p {
			bad("CIDR %s is not a network address", p)
		}
	}
	if r.RotatedTo != "" && r.GraceUntil.IsZero() {
		bad("rotated key without a grace deadline")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidRecord, errors.Join(errs...))
	}
	return nil
}

// Spec describes a key to issue.
type Spec struct {
	Env         Env
	Owner       string
	Tenant      string
	Scopes      []string
	Expires     time.Time // zero: never
	CIDRs       []netip.Prefix
	UsageKey    string
	UsageKeyID  string
	UsagePlan   string
	Description string
}

// Issue generates a key for spec and the record to store for it, created
// at now (whole seconds, UTC, as the store keeps times). Show the key to
// its owner once; store the record.
func Issue(h *Hasher, spec Spec, now time.Time) (Key, *Record, error) {
	k, err := Generate(spec.Env)
	if err != nil {
		return Key{}, nil, err
	}
	now = Truncate(now)
	r := &Record{
		ID:          k.ID,
		Env:         k.Env,
		SecretHash:  h.Hash(k),
		Status:      StatusActive,
		Created:     now,
		Updated:     now,
		Expires:     Truncate(spec.Expires),
		Owner:       spec.Owner,
		Tenant:      spec.Tenant,
		Scopes:      slices.Clone(spec.Scopes),
		CIDRs:       slices.Clone(spec.CIDRs),
		UsageKey:    spec.UsageKey,
		UsageKeyID:  spec.UsageKeyID,
		UsagePlan:   spec.UsagePlan,
		Description: spec.Description,
	}
	if err := r.Validate(); err != nil {
		return Key{}, nil, err
	}
	return k, r, nil
}

// Successor generates the key that replaces old in a rotation, and its
// record: same environment, owner, tenant, scopes, CIDRs, expiry and
// usage-plan key (so metering carries on), linked to old by RotatedFrom.
func Successor(h *Hasher, old *Record, now time.Time) (Key, *Record, error) {
	k, r, err := Issue(h, Spec{
		Env: old.Env, Owner: old.Owner, Tenant: old.Tenant, Scopes: old.Scopes,
		Expires: old.Expires, CIDRs: old.CIDRs, UsageKey: old.UsageKey, UsageKeyID: old.UsageKeyID,
		UsagePlan: old.UsagePlan, Description: old.Description,
	}, now)
	if err != nil {
		return Key{}, nil, err
	}
	r.RotatedFrom = old.ID
	return k, r, nil
}

// Truncate returns t in UTC, truncated to whole seconds (the precision
// records keep); the zero time stays zero.
func Truncate(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
