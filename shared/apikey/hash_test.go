package apikey_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/apikey/apikeytest"
)

func TestHasher(t *testing.T) {
	if _, err := apikey.NewHasher([]byte("short")); !errors.Is(err, apikey.ErrShortPepper) {
		t.Fatalf("NewHasher(short) error = %v, want ErrShortPepper", err)
	}
	h := apikeytest.Hasher(t)
	other, err := apikey.NewHasher([]byte(apikeytest.Pepper + "x"))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := apikey.Generate(apikey.Live)
	k2, _ := apikey.Generate(apikey.Live)
	sum := h.Hash(k)
	if len(sum) != apikey.HashLen || !bytes.Equal(sum, h.Hash(k)) {
		t.Fatalf("Hash is not a stable %d-byte value", apikey.HashLen)
	}
	if bytes.Equal(sum, other.Hash(k)) {
		t.Error("different peppers give the same hash")
	}
	if !h.Verify(k, sum) {
		t.Error("Verify(key, its hash) = false")
	}
	for name, stored := range map[string][]byte{
		"other key's hash":    h.Hash(k2),
		"other pepper's hash": other.Hash(k),
		"unknown id (nil)":    nil,
		"truncated":           sum[:31],
		"empty":               {},
	} {
		if h.Verify(k, stored) {
			t.Errorf("Verify(key, %s) = true", name)
		}
	}
}

// TestHashBindsID: a record's hash does not verify a key with another id
// and the same secret.
func TestHashBindsID(t *testing.T) {
	h := apikeytest.Hasher(t)
	a, err := apikey.Parse(withSum("pcl_test_AAAAAAAAAAAA_0123456789abcdefghijKL"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := apikey.Parse(withSum("pcl_test_BBBBBBBBBBBB_0123456789abcdefghijKL"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Verify(b, h.Hash(a)) {
		t.Error("a hash verifies another key id with the same secret")
	}
}
