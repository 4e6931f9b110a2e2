package apikey

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// MinPepperLen is the shortest pepper [NewHasher] accepts, in bytes.
const MinPepperLen = 32

// HashLen is the length of a stored secret hash.
const HashLen = sha256.Size

// hashDomain separates key hashes from any other use of the pepper.
const hashDomain = "portcullis-apikey-v1"

// ErrShortPepper: the pepper is too short to key the hash.
var ErrShortPepper = errors.New("apikey: pepper too short")

// Hasher computes and checks the keyed hash of key secrets:
// HMAC-SHA256(pepper, "portcullis-apikey-v1" 0 id 0 secret). Binding the
// key id into the hash means a hash copied onto another record does not
// verify there. A Hasher is safe for concurrent use.
type Hasher struct {
	pool  sync.Pool // of hash.Hash keyed with the pepper
	dummy [HashLen]byte
}

// NewHasher returns a hasher keyed with pepper (at least [MinPepperLen]
// bytes; keep it in Secrets Manager or Parameter Store, never beside the
// table).
func NewHasher(pepper []byte) (*Hasher, error) {
	if len(pepper) < MinPepperLen {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d", ErrShortPepper, len(pepper), MinPepperLen)
	}
	key := append([]byte(nil), pepper...)
	h := &Hasher{}
	h.pool.New = func() any { return hmac.New(sha256.New, key) }
	// The dummy hash unknown key ids are compared against: random, so no
	// presented secret matches it.
	if _, err := rand.Read(h.dummy[:]); err != nil {
		return nil, fmt.Errorf("apikey: random source: %w", err)
	}
	return h, nil
}

// Hash returns the stored form of k's secret.
func (h *Hasher) Hash(k Key) []byte {
	var out [HashLen]byte
	h.sum(k, &out)
	return out[:]
}

func (h *Hasher) sum(k Key, out *[HashLen]byte) {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	var buf [len(hashDomain) + 2 + IDLen + SecretLen]byte
	b := append(buf[:0], hashDomain...)
	b = append(b, 0)
	b = append(b, k.ID...)
	b = append(b, 0)
	b = append(b, k.secret...)
	m.Write(b)
	m.Sum(out[:0])
	h.pool.Put(m)
}

// Verify reports whether k's secret matches stored, in constant time.
// With stored == nil (the key id is unknown) it compares against a dummy
// hash, so that an unknown id costs what a wrong secret costs.
func (h *Hasher) Verify(k Key, stored []byte) bool {
	var got [HashLen]byte
	h.sum(k, &got)
	want := stored
	known := 1
	if len(stored) != HashLen {
		want, known = h.dummy[:], 0
	}
	return subtle.ConstantTimeCompare(got[:], want)&known == 1
}
