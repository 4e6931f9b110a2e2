package apikey

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/portcullis-authz/portcullis/shared/config"
)

// Seed is a file of development keys with their secrets in the clear, for
// the local default (an in-memory store): the fixtures in events/apikey
// and the local gateway use it. Never seed a deployed authorizer.
type Seed struct {
	Keys []SeedKey `json:"keys"`
}

// SeedKey is one key of a [Seed]. Times are RFC 3339; Created defaults to
// an hour before Expires when that is in the past, otherwise to the load
// time; Status defaults to active.
type SeedKey struct {
	Key         string    `json:"key"`
	Status      Status    `json:"status,omitempty"`
	Owner       string    `json:"owner"`
	Tenant      string    `json:"tenant,omitempty"`
	Scopes      []string  `json:"scopes,omitempty"`
	Created     time.Time `json:"created,omitzero"`
	Expires     time.Time `json:"expires,omitzero"`
	CIDRs       []string  `json:"cidrs,omitempty"`
	UsageKey    string    `json:"usage_key,omitempty"`
	UsagePlan   string    `json:"usage_plan,omitempty"`
	Description string    `json:"description,omitempty"`
	RotatedTo   string    `json:"rotated_to,omitempty"`
	GraceUntil  time.Time `json:"grace_until,omitzero"`
}

// ErrSeed is wrapped by every [LoadSeed] error.
var ErrSeed = errors.New("apikey: bad seed file")

// LoadSeed reads a seed file (strict JSON: unknown fields are errors) into
// a new memory store, hashing each key with h.
func LoadSeed(path string, h *Hasher, now time.Time) (*MemoryStore, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSeed, err)
	}
	return ParseSeed(data, path, h, now)
}

// ParseSeed is [LoadSeed] on data read from name.
func ParseSeed(data []byte, name string, h *Hasher, now time.Time) (*MemoryStore, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSeed, name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s: data after the JSON object", ErrSeed, name)
	}
	store := NewMemoryStore()
	var errs []error
	for i, sk := range s.Keys {
		r, err := sk.record(h, now)
		if err == nil {
			err = store.Create(context.Background(), r)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("keys[%d]: %w", i, err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s: %w", ErrSeed, name, errors.Join(errs...))
	}
	return store, nil
}

func (sk SeedKey) record(h *Hasher, now time.Time) (*Record, error) {
	k, err := Parse(sk.Key)
	if err != nil {
		return nil, err
	}
	r := &Record{
		ID: k.ID, Env: k.Env, SecretHash: h.Hash(k), Status: sk.Status, Owner: sk.Owner, Tenant: sk.Tenant,
		Scopes: sk.Scopes, Created: Truncate(sk.Created), Expires: Truncate(sk.Expires), UsageKey: sk.UsageKey,
		UsagePlan: sk.UsagePlan, Description: sk.Description, RotatedTo: sk.RotatedTo, GraceUntil: Truncate(sk.GraceUntil),
	}
	if r.Status == "" {
		r.Status = StatusActive
	}
	if r.Created.IsZero() {
		r.Created = Truncate(now)
		if !r.Expires.IsZero() && !r.Expires.After(r.Created) {
			r.Created = r.Expires.Add(-time.Hour)
		}
	}
	r.Updated = r.Created
	if r.Status == StatusRevoked {
		r.Revoked = r.Created
	}
	for _, c := range sk.CIDRs {
		p, err := config.ParseCIDR(c)
		if err != nil {
			return nil, err
		}
		r.CIDRs = append(r.CIDRs, p)
	}
	return r, nil
}
