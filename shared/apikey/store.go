package apikey

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Store is what the authenticator needs from a key store: the record of
// a key id, or an error wrapping [ErrNotFound]. Any other error is a
// technical failure, and the authorizer fails closed on it.
type Store interface {
	Get(ctx context.Context, id string) (*Record, error)
}

// MemoryStore is an in-memory key store with the same semantics as the
// DynamoDB store (package dynamostore): for unit tests and the local
// default. It is safe for concurrent use.
type MemoryStore struct {
	mu   sync.Mutex
	recs map[string]*Record
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{recs: map[string]*Record{}} }

// Get implements [Store]; it returns a copy.
func (s *MemoryStore) Get(_ context.Context, id string) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return r.Clone(), nil
}

// Create stores a new record; it fails with [ErrExists] when the id is
// taken and with [ErrInvalidRecord] when the record is inconsistent.
func (s *MemoryStore) Create(_ context.Context, r *Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.recs[r.ID]; ok {
		return fmt.Errorf("%w: %s", ErrExists, r.ID)
	}
	s.recs[r.ID] = r.Clone()
	return nil
}

// List returns the records of tenant (every record when tenant is ""),
// newest first.
func (s *MemoryStore) List(_ context.Context, tenant string) ([]*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Record
	for _, r := range s.recs {
		if tenant == "" || r.Tenant == tenant {
			out = append(out, r.Clone())
		}
	}
	SortNewestFirst(out)
	return out, nil
}

// SetStatus moves key id to status to at time at, when its current status
// allows it ([Status.AllowedFrom]); otherwise [ErrConflict]. It returns
// the updated record.
func (s *MemoryStore) SetStatus(_ context.Context, id string, to Status, at time.Time) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if !slices.Contains(to.AllowedFrom(), r.Status) {
		return nil, fmt.Errorf("%w: key %s is %s, cannot become %s", ErrConflict, id, r.Status, to)
	}
	ApplyStatus(r, to, at)
	return r.Clone(), nil
}

// Rotate records that next replaces key oldID, which keeps working until
// graceUntil: oldID must be active and not already rotated
// ([ErrConflict]), next's id must be free ([ErrExists]). Both records
// change together. It returns the updated old record.
func (s *MemoryStore) Rotate(_ context.Context, oldID string, next *Record, graceUntil time.Time) (*Record, error) {
	if err := next.Validate(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.recs[oldID]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, oldID)
	}
	if err := CanRotate(old); err != nil {
		return nil, err
	}
	if _, ok := s.recs[next.ID]; ok {
		return nil, fmt.Errorf("%w: %s", ErrExists, next.ID)
	}
	ApplyRotation(old, next.ID, graceUntil, next.Created)
	s.recs[next.ID] = next.Clone()
	return old.Clone(), nil
}

// CanRotate reports whether r may be rotated: it must be active and not
// already rotated. The error wraps [ErrConflict].
func CanRotate(r *Record) error {
	switch {
	case r.Status != StatusActive:
		return fmt.Errorf("%w: key %s is %s; only active keys rotate", ErrConflict, r.ID, r.Status)
	case r.RotatedTo != "":
		return fmt.Errorf("%w: key %s was already rotated to %s; rotate that key instead", ErrConflict, r.ID, r.RotatedTo)
	}
	return nil
}

// ApplyStatus sets r's status to to at time at, with the timestamps a
// store keeps: Updated, and for revocation Revoked and PurgeAt.
func ApplyStatus(r *Record, to Status, at time.Time) {
	at = Truncate(at)
	r.Status = to
	r.Updated = at
	if to == StatusRevoked {
		r.Revoked = at
		r.PurgeAt = at.Add(Retention)
	}
}

// ApplyRotation links r to its successor next, working until graceUntil.
func ApplyRotation(r *Record, next string, graceUntil, at time.Time) {
	r.RotatedTo = next
	r.GraceUntil = Truncate(graceUntil)
	r.Updated = Truncate(at)
	r.PurgeAt = r.GraceUntil.Add(Retention)
}

// SortNewestFirst orders records by creation time, newest first, then by id.
func SortNewestFirst(rs []*Record) {
	slices.SortFunc(rs, func(a, b *Record) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
