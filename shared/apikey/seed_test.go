package apikey_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/apikey/apikeytest"
	"github.com/portcullis-authz/portcullis/shared/authz"
)

func TestParseSeed(t *testing.T) {
	h := apikeytest.Hasher(t)
	k1, _ := apikey.Generate(apikey.Test)
	k2, _ := apikey.Generate(apikey.Test)
	data := fmt.Sprintf(`{"keys": [
		{"key": %q, "owner": "partner-7", "tenant": "acme", "scopes": ["reports:read"], "cidrs": ["203.0.113.0/24"], "usage_key": "uk"},
		{"key": %q, "owner": "old", "expires": "2020-01-01T00:00:00Z"}
	]}`, k1.Reveal(), k2.Reveal())
	s, err := apikey.ParseSeed([]byte(data), "seed.json", h, t0)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := s.Get(context.Background(), k1.ID)
	if err != nil || !h.Verify(k1, r1.SecretHash) || r1.Status != apikey.StatusActive || len(r1.CIDRs) != 1 || r1.UsageKey != "uk" {
		t.Errorf("seeded record %+v, %v", r1, err)
	}
	r2, err := s.Get(context.Background(), k2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if reason, _ := r2.Check(t0); reason != authz.ReasonKeyExpired {
		t.Errorf("expired seed key: %q, want %s", reason, authz.ReasonKeyExpired)
	}

	for name, bad := range map[string]string{
		"unknown field": fmt.Sprintf(`{"keys": [{"key": %q, "owner": "o", "ownr": "x"}]}`, k1.Reveal()),
		"bad key":       `{"keys": [{"key": "pcl_test_nope", "owner": "o"}]}`,
		"no owner":      fmt.Sprintf(`{"keys": [{"key": %q}]}`, k1.Reveal()),
		"duplicate":     fmt.Sprintf(`{"keys": [{"key": %q, "owner": "o"}, {"key": %q, "owner": "o"}]}`, k1.Reveal(), k1.Reveal()),
		"bad cidr":      fmt.Sprintf(`{"keys": [{"key": %q, "owner": "o", "cidrs": ["10.0.0.1/8"]}]}`, k1.Reveal()),
		"trailing":      `{"keys": []} {}`,
		"not json":      `keys:`,
	} {
		if _, err := apikey.ParseSeed([]byte(bad), "seed.json", h, t0); !errors.Is(err, apikey.ErrSeed) {
			t.Errorf("%s: error = %v, want ErrSeed", name, err)
		}
	}
	if _, err := apikey.LoadSeed("no-such-seed.json", h, time.Now()); !errors.Is(err, apikey.ErrSeed) {
		t.Errorf("LoadSeed(missing) error = %v, want ErrSeed", err)
	}
}
