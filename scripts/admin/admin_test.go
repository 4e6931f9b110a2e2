package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	gwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/google/go-cmp/cmp"

	"github.com/portcullis-authz/portcullis/scripts/testenv"
	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
	"github.com/portcullis-authz/portcullis/shared/dynamostore/dynamostoretest"
	"github.com/portcullis-authz/portcullis/shared/secret"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeGateway implements usagePlanAPI in memory and records calls.
type fakeGateway struct {
	plans      map[string]string // name -> id
	attachErr  error
	calls      []string
	keys       map[string]string // id -> value
	attachedTo map[string]string // key id -> plan id
}

func newFakeGateway() *fakeGateway {
	return &fakeGateway{plans: map[string]string{"bronze": "plan-b", "gold": "plan-g"}, keys: map[string]string{}, attachedTo: map[string]string{}}
}

func (g *fakeGateway) GetUsagePlans(_ context.Context, in *apigateway.GetUsagePlansInput, _ ...func(*apigateway.Options)) (*apigateway.GetUsagePlansOutput, error) {
	g.calls = append(g.calls, "GetUsagePlans")
	out := &apigateway.GetUsagePlansOutput{}
	for name, id := range g.plans {
		out.Items = append(out.Items, gwtypes.UsagePlan{Name: aws.String(name), Id: aws.String(id)})
	}
	return out, nil
}

func (g *fakeGateway) CreateApiKey(_ context.Context, in *apigateway.CreateApiKeyInput, _ ...func(*apigateway.Options)) (*apigateway.CreateApiKeyOutput, error) {
	g.calls = append(g.calls, "CreateApiKey")
	id := "gwkey-" + aws.ToString(in.Value)[:6]
	g.keys[id] = aws.ToString(in.Value)
	return &apigateway.CreateApiKeyOutput{Id: aws.String(id), Value: in.Value}, nil
}

func (g *fakeGateway) CreateUsagePlanKey(_ context.Context, in *apigateway.CreateUsagePlanKeyInput, _ ...func(*apigateway.Options)) (*apigateway.CreateUsagePlanKeyOutput, error) {
	g.calls = append(g.calls, "CreateUsagePlanKey")
	if g.attachErr != nil {
		return nil, g.attachErr
	}
	if aws.ToString(in.KeyType) != "API_KEY" {
		return nil, errors.New("fake: key type must be API_KEY")
	}
	g.attachedTo[aws.ToString(in.KeyId)] = aws.ToString(in.UsagePlanId)
	return &apigateway.CreateUsagePlanKeyOutput{}, nil
}

func (g *fakeGateway) DeleteApiKey(_ context.Context, in *apigateway.DeleteApiKeyInput, _ ...func(*apigateway.Options)) (*apigateway.DeleteApiKeyOutput, error) {
	g.calls = append(g.calls, "DeleteApiKey")
	delete(g.keys, aws.ToString(in.ApiKey))
	return &apigateway.DeleteApiKeyOutput{}, nil
}

// cli runs admin commands against one dynalite table with a settable clock.
type cli struct {
	t      *testing.T
	srv    *dynamostoretest.Server
	table  string
	policy string
	now    time.Time
	gw     *fakeGateway
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: dynalite (not with -short)")
	}
	srv := dynamostoretest.Start(t)
	return &cli{t: t, srv: srv, table: srv.CreateTable(t, dynamostore.APIKeys),
		policy: filepath.Join(testenv.ModuleRoot(t), "events", "policy.yaml"), now: t0, gw: newFakeGateway()}
}

// run runs one command; it adds the endpoint, table and policy flags.
func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		now: func() time.Time { return c.now }, apigw: func(aws.Config) usagePlanAPI { return c.gw }}
	args = append(args, "--endpoint", c.srv.Endpoint, "--table", c.table, "--policy", c.policy)
	code = a.run(context.Background(), args)
	return code, out.String(), errb.String()
}

func (c *cli) mustJSON(v any, args ...string) {
	c.t.Helper()
	code, out, errs := c.run(append(args, "--json")...)
	if code != exitOK {
		c.t.Fatalf("admin %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("admin %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

type created struct {
	Key      string      `json:"key"`
	Record   recordJSON  `json:"record"`
	Previous *recordJSON `json:"previous"`
}

// authenticate checks a printed key the way the authorizer does: same
// table, pepper from the policy file.
func (c *cli) authenticate(key, sourceIP string) authz.Decision {
	c.t.Helper()
	f, err := config.Load(c.policy)
	if err != nil {
		c.t.Fatal(err)
	}
	pepper, err := secret.NewLoader(f).Load(context.Background(), f.Authorizers.APIKey.Pepper)
	if err != nil {
		c.t.Fatal(err)
	}
	h, err := apikey.NewHasher(pepper)
	if err != nil {
		c.t.Fatal(err)
	}
	a, err := apikey.NewAuthenticator(f.Authorizers.APIKey, h, dynamostore.NewKeyStore(c.srv.Client, c.table),
		apikey.WithClock(func() time.Time { return c.now }))
	if err != nil {
		c.t.Fatal(err)
	}
	d, err := a.Authenticate(context.Background(), &authz.Request{Kind: authz.KindRESTRequest,
		Headers: map[string]string{"x-api-key": key}, SourceIP: sourceIP})
	if err != nil {
		c.t.Fatal(err)
	}
	return d
}

func (c *cli) count() int {
	c.t.Helper()
	var list []recordJSON
	c.mustJSON(&list, "keys", "list")
	return len(list)
}

func TestKeyLifecycle(t *testing.T) {
	c := newCLI(t)

	// create, printed once, usable by the authorizer
	var k created
	c.mustJSON(&k, "keys", "create", "--owner", "partner-7", "--tenant", "acme", "--scopes", "reports:read,orders:read",
		"--expires", "90d", "--cidr", "203.0.113.0/24", "--cidr", "2001:db8::/32", "--description", "batch job")
	if _, err := apikey.Parse(k.Key); err != nil {
		t.Fatalf("printed key does not parse: %v", err)
	}
	want := recordJSON{
		ID: k.Record.ID, Env: "test", Status: "active", State: "usable", Owner: "partner-7", Tenant: "acme",
		Scopes: []string{"reports:read", "orders:read"}, CIDRs: []string{"203.0.113.0/24", "2001:db8::/32"},
		Created: "2026-03-01T12:00:00Z", Updated: "2026-03-01T12:00:00Z", Expires: "2026-05-30T12:00:00Z", Description: "batch job",
	}
	if diff := cmp.Diff(k.Record, want); diff != "" {
		t.Errorf("created record (-got +want):\n%s", diff)
	}
	if d := c.authenticate(k.Key, "203.0.113.5"); d.Effect != authz.Allow || d.Principal.Subject != "partner-7" {
		t.Fatalf("new key: %s %s, want allow for partner-7", d.Effect, d.Reason)
	}
	if d := c.authenticate(k.Key, "198.51.100.1"); d.Reason != authz.ReasonSourceIPNotAllowed {
		t.Errorf("new key from outside its CIDRs: %s, want %s", d.Reason, authz.ReasonSourceIPNotAllowed)
	}

	// the human create output shows the key once
	code, out, _ := c.run("keys", "create", "--owner", "someone-else")
	if code != exitOK || strings.Count(out, "pcl_test_") != 1 {
		t.Errorf("human create: exit %d, output:\n%s\nwant the key exactly once", code, out)
	}

	// list and show
	var list []recordJSON
	c.mustJSON(&list, "keys", "list", "--tenant", "acme")
	if len(list) != 1 || list[0].ID != k.Record.ID {
		t.Errorf("list --tenant acme = %+v, want only %s", list, k.Record.ID)
	}
	if n := c.count(); n != 2 {
		t.Errorf("list = %d keys, want 2", n)
	}
	code, out, _ = c.run("keys", "list")
	if code != exitOK || !strings.Contains(out, "ID") || !strings.Contains(out, k.Record.ID) || strings.Contains(out, "pcl_") {
		t.Errorf("human list: exit %d:\n%s", code, out)
	}
	var shown recordJSON
	c.mustJSON(&shown, "keys", "show", k.Record.ID)
	if diff := cmp.Diff(shown, want); diff != "" {
		t.Errorf("show (-got +want):\n%s", diff)
	}

	// suspend, resume
	c.now = t0.Add(time.Hour)
	var rec recordJSON
	c.mustJSON(&rec, "keys", "suspend", k.Record.ID)
	if rec.Status != "suspended" {
		t.Errorf("after suspend: status %q", rec.Status)
	}
	if d := c.authenticate(k.Key, "203.0.113.5"); d.Reason != authz.ReasonKeySuspended {
		t.Errorf("suspended key: %s, want %s", d.Reason, authz.ReasonKeySuspended)
	}
	c.mustJSON(&rec, "keys", "resume", k.Record.ID)
	if d := c.authenticate(k.Key, "203.0.113.5"); rec.Status != "active" || d.Effect != authz.Allow {
		t.Errorf("resumed key: status %q, decision %s %s", rec.Status, d.Effect, d.Reason)
	}

	// rotate with grace
	var rot created
	c.mustJSON(&rot, "keys", "rotate", k.Record.ID, "--grace", "2h")
	if rot.Previous == nil || rot.Previous.RotatedTo != rot.Record.ID || rot.Previous.GraceUntil != "2026-03-01T15:00:00Z" ||
		rot.Record.RotatedFrom != k.Record.ID || rot.Record.Owner != "partner-7" || rot.Key == k.Key {
		t.Fatalf("rotate: %+v", rot)
	}
	if diff := cmp.Diff(rot.Record.CIDRs, want.CIDRs); diff != "" {
		t.Errorf("successor CIDRs (-got +want):\n%s", diff)
	}
	if d := c.authenticate(k.Key, "203.0.113.5"); d.Effect != authz.Allow {
		t.Errorf("old key within the grace: %s %s, want allow", d.Effect, d.Reason)
	}
	if d := c.authenticate(rot.Key, "203.0.113.5"); d.Effect != authz.Allow {
		t.Errorf("new key: %s %s, want allow", d.Effect, d.Reason)
	}
	c.now = t0.Add(3 * time.Hour)
	if d := c.authenticate(k.Key, "203.0.113.5"); d.Reason != authz.ReasonKeyRevoked {
		t.Errorf("old key after the grace: %s, want %s", d.Reason, authz.ReasonKeyRevoked)
	}
	if code, _, errs := c.run("keys", "rotate", k.Record.ID); code != exitUsage || !strings.Contains(errs, "already rotated") {
		t.Errorf("second rotation: exit %d, %s", code, errs)
	}

	// revoke
	c.mustJSON(&rec, "keys", "revoke", rot.Record.ID)
	if rec.Status != "revoked" || rec.Revoked != "2026-03-01T15:00:00Z" {
		t.Errorf("after revoke: %+v", rec)
	}
	if d := c.authenticate(rot.Key, "203.0.113.5"); d.Reason != authz.ReasonKeyRevoked {
		t.Errorf("revoked key: %s, want %s", d.Reason, authz.ReasonKeyRevoked)
	}
	for _, verb := range []string{"resume", "suspend", "revoke"} {
		if code, _, errs := c.run("keys", verb, rot.Record.ID); code != exitUsage || !strings.Contains(errs, "is revoked") {
			t.Errorf("%s a revoked key: exit %d, %s", verb, code, errs)
		}
	}
}

// TestBadInputWritesNothing: every refused command leaves the table as it was.
func TestBadInputWritesNothing(t *testing.T) {
	c := newCLI(t)
	var k created
	c.mustJSON(&k, "keys", "create", "--owner", "o")
	var before recordJSON
	c.mustJSON(&before, "keys", "show", k.Record.ID)
	unknown := "AAAAAAAAAAAA"
	tests := []struct {
		name    string
		args    []string
		mention string
	}{
		{"unknown scope", []string{"keys", "create", "--owner", "o", "--scopes", "reports:read,reports:write"}, `unknown scope "reports:write"`},
		{"bad cidr", []string{"keys", "create", "--owner", "o", "--cidr", "10.0.0.300/8"}, "CIDR"},
		{"host bits", []string{"keys", "create", "--owner", "o", "--cidr", "10.1.2.3/8"}, "did you mean 10.0.0.0/8"},
		{"expiry in the past", []string{"keys", "create", "--owner", "o", "--expires", "2025-12-31"}, "in the past"},
		{"bad expiry", []string{"keys", "create", "--owner", "o", "--expires", "soon"}, "not a duration"},
		{"no owner", []string{"keys", "create", "--scopes", "admin"}, "--owner is required"},
		{"bad env", []string{"keys", "create", "--owner", "o", "--env", "prod"}, "--env"},
		{"unknown plan in the policy", []string{"keys", "create", "--owner", "o", "--usage-plan", "platinum"}, `unknown usage plan "platinum"`},
		{"stray argument", []string{"keys", "create", "extra", "--owner", "o"}, "no arguments"},
		{"unknown flag", []string{"keys", "create", "--owner", "o", "--ownr", "x"}, "ownr"},
		{"show unknown id", []string{"keys", "show", unknown}, "unknown key id"},
		{"revoke unknown id", []string{"keys", "revoke", unknown}, "unknown key id"},
		{"suspend unknown id", []string{"keys", "suspend", unknown}, "unknown key id"},
		{"rotate unknown id", []string{"keys", "rotate", unknown}, "unknown key id"},
		{"malformed id", []string{"keys", "revoke", "nope"}, "not a key id"},
		{"whole key instead of an id", []string{"keys", "revoke", k.Key}, "whole key"},
		{"resume an active key", []string{"keys", "resume", k.Record.ID}, "is active"},
		{"negative grace", []string{"keys", "rotate", k.Record.ID, "--grace", "-1h"}, "--grace"},
		{"grace too long", []string{"keys", "rotate", k.Record.ID, "--grace", "1000h"}, "--grace"},
		{"unknown command", []string{"keys", "delete", k.Record.ID}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := c.run(tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitUsage, errs)
			}
			if !strings.Contains(errs, tt.mention) {
				t.Errorf("stderr %q does not mention %q", errs, tt.mention)
			}
			if strings.Contains(out+errs, "pcl_test_") && tt.name != "whole key instead of an id" {
				t.Errorf("a key was printed:\n%s%s", out, errs)
			}
			if n := c.count(); n != 1 {
				t.Errorf("%d keys in the table, want 1", n)
			}
			var after recordJSON
			c.mustJSON(&after, "keys", "show", k.Record.ID)
			if diff := cmp.Diff(after, before); diff != "" {
				t.Errorf("existing key changed (-got +want):\n%s", diff)
			}
		})
	}
	if len(c.gw.calls) != 0 {
		t.Errorf("API Gateway called: %v", c.gw.calls)
	}
}

func TestUsagePlan(t *testing.T) {
	c := newCLI(t)
	var k created
	c.mustJSON(&k, "keys", "create", "--owner", "partner-7", "--usage-plan", "bronze")
	if diff := cmp.Diff(c.gw.calls, []string{"GetUsagePlans", "CreateApiKey", "CreateUsagePlanKey"}); diff != "" {
		t.Errorf("API Gateway calls (-got +want):\n%s", diff)
	}
	if k.Record.UsagePlan != "bronze" || c.gw.attachedTo[k.Record.UsageKeyID] != "plan-b" {
		t.Errorf("record usage plan %q key id %q; attached to %q, want bronze/plan-b", k.Record.UsagePlan, k.Record.UsageKeyID, c.gw.attachedTo[k.Record.UsageKeyID])
	}
	value := c.gw.keys[k.Record.UsageKeyID]
	if len(value) < 20 || strings.Contains(k.Key, value) {
		t.Errorf("API Gateway key value %q: want a fresh random value of 20+ characters, not the Portcullis key", value)
	}
	d := c.authenticate(k.Key, "")
	if d.Effect != authz.Allow || d.Principal.UsageKey != value {
		t.Errorf("decision %s, usage key %q; want allow with the API Gateway key value", d.Effect, d.Principal.UsageKey)
	}
	// The successor keeps metering on the same API Gateway key.
	var rot created
	c.mustJSON(&rot, "keys", "rotate", k.Record.ID)
	if d := c.authenticate(rot.Key, ""); d.Principal == nil || d.Principal.UsageKey != value {
		t.Errorf("successor usage key: %+v, want %q", d.Principal, value)
	}

	t.Run("plan not deployed", func(t *testing.T) {
		c.gw.calls = nil
		delete(c.gw.plans, "gold")
		code, _, errs := c.run("keys", "create", "--owner", "o", "--usage-plan", "gold")
		if code != exitUsage || !strings.Contains(errs, `no usage plan named "gold"`) {
			t.Errorf("exit %d: %s", code, errs)
		}
		if diff := cmp.Diff(c.gw.calls, []string{"GetUsagePlans"}); diff != "" {
			t.Errorf("API Gateway calls (-got +want):\n%s", diff)
		}
		if n := c.count(); n != 2 {
			t.Errorf("%d keys, want 2", n)
		}
	})

	t.Run("attach fails: the API Gateway key is deleted, nothing stored", func(t *testing.T) {
		c.gw.calls = nil
		c.gw.attachErr = errors.New("TooManyRequestsException")
		code, _, errs := c.run("keys", "create", "--owner", "o", "--usage-plan", "bronze")
		if code != exitFail || !strings.Contains(errs, "TooManyRequests") {
			t.Errorf("exit %d: %s", code, errs)
		}
		if diff := cmp.Diff(c.gw.calls, []string{"GetUsagePlans", "CreateApiKey", "CreateUsagePlanKey", "DeleteApiKey"}); diff != "" {
			t.Errorf("API Gateway calls (-got +want):\n%s", diff)
		}
		if n := c.count(); n != 2 {
			t.Errorf("%d keys, want 2", n)
		}
	})
}

func TestTablesCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: dynalite (not with -short)")
	}
	srv := dynamostoretest.Start(t)
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: time.Now}
	args := []string{"tables", "create", "--endpoint", srv.Endpoint, "--table", "keys-local"}
	if code := a.run(context.Background(), args); code != exitOK {
		t.Fatalf("tables create: exit %d: %s", code, errb.String())
	}
	if code := a.run(context.Background(), args); code != exitOK || !strings.Contains(out.String(), "table keys-local exists") {
		t.Fatalf("second tables create: exit %d: %s%s", code, out.String(), errb.String())
	}
	// The table works with the key store.
	store := dynamostore.NewKeyStore(srv.Client, "keys-local")
	if _, err := store.List(context.Background(), "acme"); err != nil {
		t.Errorf("List on the created table (by_tenant index): %v", err)
	}
}

func TestNoTableAgainstAWS(t *testing.T) {
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: time.Now}
	code := a.run(context.Background(), []string{"keys", "list"})
	if code != exitUsage || !strings.Contains(errb.String(), "PORTCULLIS_APIKEYS_TABLE") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	code = a.run(context.Background(), []string{"tables", "create"})
	if code != exitUsage || !strings.Contains(errb.String(), "local endpoint") {
		t.Errorf("tables create without endpoint: exit %d: %s", code, errb.String())
	}
}

func TestParseExpiry(t *testing.T) {
	for in, want := range map[string]time.Time{
		"90d":                  t0.Add(90 * 24 * time.Hour),
		"36h":                  t0.Add(36 * time.Hour),
		"2027-01-31":           time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC),
		"2027-01-31T10:00:00Z": time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC),
	} {
		got, err := parseExpiry(in, t0)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "tomorrow", "31/01/2027"} {
		if _, err := parseExpiry(in, t0); err == nil {
			t.Errorf("parseExpiry(%q) succeeded", in)
		}
	}
}
