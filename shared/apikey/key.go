package apikey

import (
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// Env is a key's environment: keys of one environment are never accepted
// by an authorizer configured for the other.
type Env string

// Environments.
const (
	Live Env = "live"
	Test Env = "test"
)

// Valid reports whether e is Live or Test.
func (e Env) Valid() bool { return e == Live || e == Test }

// Format constants.
const (
	// Prefix starts every key.
	Prefix = "pcl"
	// IDLen is the length of the public key id.
	IDLen = 12
	// SecretLen is the length of the secret: 22 base62 characters, 130 bits.
	SecretLen = 22
	// ChecksumLen is the length of the checksum.
	ChecksumLen = 6
	// Len is the length of every key.
	Len = len(Prefix) + 1 + 4 + 1 + IDLen + 1 + SecretLen + ChecksumLen
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ErrMalformed is wrapped by every [Parse] error: the text is not a
// well-formed key (length, prefix, environment, characters or checksum).
var ErrMalformed = errors.New("apikey: malformed key")

// Key is a parsed API key. Its String and GoString methods redact the
// secret, so a key that reaches a log line by mistake does not leak; only
// [Key.Reveal] returns the whole key.
type Key struct {
	Env    Env
	ID     string // the public key id
	secret string
}

// Parse parses and checks a key: length, prefix, environment, characters
// and checksum. Errors wrap [ErrMalformed] and never contain the key.
func Parse(s string) (Key, error) {
	if len(s) != Len {
		return Key{}, fmt.Errorf("%w: length %d, want %d", ErrMalformed, len(s), Len)
	}
	if s[:len(Prefix)+1] != Prefix+"_" {
		return Key{}, fmt.Errorf("%w: prefix is not %s_", ErrMalformed, Prefix)
	}
	rest := s[len(Prefix)+1:]
	env := Env(rest[:4])
	if !env.Valid() || rest[4] != '_' {
		return Key{}, fmt.Errorf("%w: environment is not live or test", ErrMalformed)
	}
	rest = rest[5:]
	id, tail := rest[:IDLen], rest[IDLen:]
	if tail[0] != '_' {
		return Key{}, fmt.Errorf("%w: no separator after the key id", ErrMalformed)
	}
	secret, sum := tail[1:1+SecretLen], tail[1+SecretLen:]
	if !isBase62(id) || !isBase62(secret) || !isBase62(sum) {
		return Key{}, fmt.Errorf("%w: characters outside [0-9A-Za-z]", ErrMalformed)
	}
	if checksum(s[:Len-ChecksumLen]) != sum {
		return Key{}, fmt.Errorf("%w: checksum does not match (mistyped or truncated key)", ErrMalformed)
	}
	return Key{Env: env, ID: id, secret: secret}, nil
}

// ValidID reports whether id has the form of a key id.
func ValidID(id string) bool { return len(id) == IDLen && isBase62(id) }

// Generate returns a new key of environment env with a random id and
// secret drawn from crypto/rand.
func Generate(env Env) (Key, error) { return GenerateFrom(rand.Reader, env) }

// GenerateFrom is [Generate] drawing randomness from r.
func GenerateFrom(r io.Reader, env Env) (Key, error) {
	if !env.Valid() {
		return Key{}, fmt.Errorf("apikey: environment %q is not live or test", env)
	}
	id, err := randomBase62(r, IDLen)
	if err != nil {
		return Key{}, err
	}
	secret, err := randomBase62(r, SecretLen)
	if err != nil {
		return Key{}, err
	}
	return Key{Env: env, ID: id, secret: secret}, nil
}

// RandomString returns n random base62 characters from crypto/rand (used
// for values such as API Gateway API-key values).
func RandomString(n int) (string, error) { return randomBase62(rand.Reader, n) }

// Reveal returns the whole key, secret included. Show it to its owner
// once; never log it.
func (k Key) Reveal() string {
	body := k.body()
	return body + checksum(body)
}

// String returns the key with its secret redacted.
func (k Key) String() string {
	return Prefix + "_" + string(k.Env) + "_" + k.ID + "_" + strings.Repeat("*", SecretLen+ChecksumLen)
}

// GoString returns the key with its secret redacted.
func (k Key) GoString() string { return fmt.Sprintf("apikey.Key(%s)", k.String()) }

func (k Key) body() string { return Prefix + "_" + string(k.Env) + "_" + k.ID + "_" + k.secret }

// LooksLikeKey reports whether s starts like a Portcullis key (prefix and
// environment), without checking the rest: a cheap test for a key in the
// wrong place, such as a query string.
func LooksLikeKey(s string) bool {
	return len(s) > len(Prefix)+6 && s[:len(Prefix)+1] == Prefix+"_" &&
		Env(s[len(Prefix)+1:len(Prefix)+5]).Valid() && s[len(Prefix)+5] == '_'
}

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// checksum is the CRC-32 (IEEE) of body in ChecksumLen base62 digits,
// most significant first, zero-padded.
func checksum(body string) string {
	v := uint64(crc32.ChecksumIEEE([]byte(body)))
	var b [ChecksumLen]byte
	for i := ChecksumLen - 1; i >= 0; i-- {
		b[i] = alphabet[v%62]
		v /= 62
	}
	return string(b[:])
}

// randomBase62 draws n uniform base62 characters from r by rejection
// sampling (bytes >= 248 are discarded, so every character has
// probability 1/62).
func randomBase62(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("apikey: random source: %w", err)
		}
		for _, b := range buf {
			if b < 248 && len(out) < n {
				out = append(out, alphabet[b%62])
			}
		}
	}
	return string(out), nil
}
