package main

import (
	"strings"
	"testing"

	"github.com/portcullis-authz/portcullis/scripts/gateway/devidp"
	"github.com/portcullis-authz/portcullis/scripts/testenv"
)

// TestViaEmulator runs the gateway with the authorizers' real bootstraps
// under the Lambda Runtime Interface Emulator: the same answers as in
// process, from the built binaries.
func TestViaEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both functions; skipped with -short")
	}
	emu := testenv.RIE(t)
	g := start(t, map[string]string{"PORTCULLIS_RIE": emu}, "--via-emulator")
	if !strings.Contains(g.stdout.String(), "under the Runtime Interface Emulator") {
		t.Errorf("banner does not say the authorizers run under the emulator:\n%s", g.stdout)
	}
	read := g.mint(t, devidp.Claims{Subject: "alice", Scopes: []string{"orders:read"}})
	weak := g.mint(t, devidp.Claims{Subject: "bob", Scopes: []string{"orders:write"}})
	tests := []struct {
		name, method, path string
		header             []string
		status             int
		reason             string
	}{
		{"allow", "GET", "/orders/1", bearer(read), 200, ""},
		{"401 bad token", "GET", "/orders", bearer("x.y.z"), 401, ""},
		{"403 scope", "POST", "/orders", bearer(read), 403, ""}, // from the cached policy: implicit deny
		{"403 step-up", "DELETE", "/orders/1", bearer(weak), 403, "step_up_acr"},
		{"API key", "GET", "/reports/1", []string{"x-api-key", keyBronze}, 200, ""},
		{"revoked API key", "GET", "/reports/1", []string{"x-api-key", keyRevoked}, 401, ""},
		{"API key outside its CIDRs", "GET", "/reports/1", []string{"x-api-key", keyCIDR}, 403, "source_ip_not_allowed"},
	}
	for _, tt := range tests {
		r := do(t, tt.method, g.URL+tt.path, tt.header...)
		if r.status != tt.status || tt.reason != "" && r.json["reason"] != tt.reason {
			t.Errorf("%s: %v, want %d %s", tt.name, r, tt.status, tt.reason)
		}
	}
	if r := do(t, "GET", g.URL+"/orders/1", bearer(read)...); r.status != 200 || r.authorizerCtx()["sub"] != "alice" {
		t.Errorf("allow, context from the bootstrap: %v", r)
	}
}
