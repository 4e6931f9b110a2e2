package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/portcullis-authz/portcullis/shared/apikey"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// MaxGrace bounds a rotation's grace period.
const MaxGrace = 30 * 24 * time.Hour

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func (a *app) keysCreate(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("keys create", &c)
	owner := fs.String("owner", "", "owner of the key: the principal's subject (required)")
	tenant := fs.String("tenant", "", "tenant")
	var scopes, cidrs listFlag
	fs.Var(&scopes, "scopes", "granted scopes, comma-separated (from the policy's scopes catalogue)")
	fs.Var(&cidrs, "cidr", "source CIDR allowed to use the key (repeatable, comma-separated)")
	expires := fs.String("expires", "", "expiry: a duration (90d, 720h), a date (2027-01-31) or an RFC 3339 time")
	plan := fs.String("usage-plan", "", "API Gateway usage plan to attach the key to")
	desc := fs.String("description", "", "description")
	envFlag := fs.String("env", "", "key environment, live or test (default: the policy's authorizers.apikey.environment)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("keys create takes no arguments (got %q)", pos)
	}
	e, err := a.open(ctx, &c)
	if err != nil {
		return err
	}
	now := a.now()
	spec := apikey.Spec{Owner: *owner, Tenant: *tenant, Scopes: scopes, UsagePlan: *plan, Description: *desc}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if spec.Owner == "" {
		bad("--owner is required")
	}
	ak := e.policy.Authorizers.APIKey
	switch {
	case *envFlag != "":
		spec.Env = apikey.Env(*envFlag)
	case ak != nil:
		spec.Env = apikey.Env(ak.Environment)
	}
	if !spec.Env.Valid() {
		bad("--env must be live or test, got %q", *envFlag)
	}
	problems = append(problems, checkScopes(e.policy, scopes)...)
	for _, s := range cidrs {
		p, err := config.ParseCIDR(s)
		if err != nil {
			bad("--cidr: %v", err)
			continue
		}
		spec.CIDRs = append(spec.CIDRs, p)
	}
	if *expires != "" {
		t, err := parseExpiry(*expires, now)
		switch {
		case err != nil:
			bad("--expires: %v", err)
		case !t.After(now):
			bad("--expires %s is in the past", t.Format(time.RFC3339))
		default:
			spec.Expires = t
		}
	}
	if *plan != "" && !slices.ContainsFunc(e.policy.UsagePlans, func(p config.UsagePlan) bool { return p.Name == *plan }) {
		bad("--usage-plan: unknown usage plan %q (the policy file lists: %s)", *plan, planNames(e.policy))
	}
	if len(problems) > 0 {
		return usageErr("%s", strings.Join(problems, "\n  "))
	}
	h, err := a.hasher(ctx, e)
	if err != nil {
		return err
	}
	var cleanup func()
	if *plan != "" {
		usage, err := a.createUsageKey(ctx, e, *plan, spec)
		if err != nil {
			return err
		}
		spec.UsageKey, spec.UsageKeyID, cleanup = usage.value, usage.id, usage.delete
	}
	k, rec, err := apikey.Issue(h, spec, now)
	if err == nil {
		err = e.store.Create(ctx, rec)
	}
	if err != nil {
		if cleanup != nil {
			cleanup()
		}
		return err
	}
	return a.printNewKey(c.json, "Created", k, rec, nil)
}

func checkScopes(f *config.File, scopes []string) []string {
	var problems []string
	for _, s := range scopes {
		if _, ok := f.Scopes[s]; !ok {
			known := make([]string, 0, len(f.Scopes))
			for k := range f.Scopes {
				known = append(known, k)
			}
			slices.Sort(known)
			problems = append(problems, fmt.Sprintf("--scopes: unknown scope %q (the policy file's catalogue: %s)", s, strings.Join(known, ", ")))
		}
	}
	return problems
}

func planNames(f *config.File) string {
	if len(f.UsagePlans) == 0 {
		return "none"
	}
	var names []string
	for _, p := range f.UsagePlans {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// parseExpiry reads "90d", "720h", "2027-01-31" or an RFC 3339 time.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil {
			return now.Add(time.Duration(days) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a duration (90d, 720h), a date (2027-01-31) or an RFC 3339 time", s)
}

type usageKey struct {
	id, value string
	delete    func()
}

// createUsageKey creates the API Gateway API key a Portcullis key is
// metered by and attaches it to the usage plan named plan. Its value is a
// fresh random value, not the Portcullis key: with apiKeySource AUTHORIZER
// clients never send it, the authorizer returns it as usageIdentifierKey.
func (a *app) createUsageKey(ctx context.Context, e *env, plan string, spec apikey.Spec) (*usageKey, error) {
	gw := a.apigw(e.cfg)
	var planID string
	p := apigateway.NewGetUsagePlansPaginator(gw, &apigateway.GetUsagePlansInput{Limit: aws.Int32(500)})
	for p.HasMorePages() && planID == "" {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("API Gateway: list usage plans: %w", err)
		}
		for _, up := range out.Items {
			if aws.ToString(up.Name) == plan {
				planID = aws.ToString(up.Id)
				break
			}
		}
	}
	if planID == "" {
		return nil, usageErr("--usage-plan: API Gateway has no usage plan named %q in this account and region (deploy the stack first)", plan)
	}
	value, err := apikey.RandomString(40)
	if err != nil {
		return nil, err
	}
	desc := "Portcullis API key of " + spec.Owner
	if spec.Tenant != "" {
		desc += " (tenant " + spec.Tenant + ")"
	}
	out, err := gw.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{
		Name:        aws.String("portcullis-" + spec.Owner + "-" + value[:8]),
		Description: aws.String(desc),
		Enabled:     true,
		Value:       aws.String(value),
		Tags:        map[string]string{"portcullis:owner": spec.Owner},
	})
	if err != nil {
		return nil, fmt.Errorf("API Gateway: create API key: %w", err)
	}
	id := aws.ToString(out.Id)
	del := func() {
		if _, err := gw.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: aws.String(id)}); err != nil {
			fmt.Fprintf(a.stderr, "admin: could not delete API Gateway key %s after the failure; delete it by hand: %v\n", id, err)
		}
	}
	if _, err := gw.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
		UsagePlanId: aws.String(planID), KeyId: aws.String(id), KeyType: aws.String("API_KEY"),
	}); err != nil {
		del()
		return nil, fmt.Errorf("API Gateway: attach key to usage plan %s: %w", plan, err)
	}
	return &usageKey{id: id, value: value, delete: del}, nil
}

func (a *app) keysList(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("keys list", &c)
	tenant := fs.String("tenant", "", "only this tenant's keys")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("keys list takes no arguments (got %q)", pos)
	}
	e, err := a.open(ctx, &c)
	if err != nil {
		return err
	}
	recs, err := e.store.List(ctx, *tenant)
	if err != nil {
		return err
	}
	return a.printList(c.json, recs)
}

func (a *app) keysShow(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("keys show", &c)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	id, err := oneID(pos)
	if err != nil {
		return err
	}
	e, err := a.open(ctx, &c)
	if err != nil {
		return err
	}
	rec, err := e.store.Get(ctx, id)
	if err != nil {
		return notFoundIsUsage(err, id)
	}
	return a.printRecord(c.json, rec)
}

func notFoundIsUsage(err error, id string) error {
	if errors.Is(err, apikey.ErrNotFound) {
		return usageErr("unknown key id %s", id)
	}
	return err
}

func (a *app) keysStatus(ctx context.Context, args []string, to apikey.Status) error {
	verb := map[apikey.Status]string{apikey.StatusRevoked: "revoke", apikey.StatusSuspended: "suspend", apikey.StatusActive: "resume"}[to]
	var c common
	fs := a.flags("keys "+verb, &c)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	id, err := oneID(pos)
	if err != nil {
		return err
	}
	e, err := a.open(ctx, &c)
	if err != nil {
		return err
	}
	rec, err := e.store.SetStatus(ctx, id, to, a.now())
	if errors.Is(err, apikey.ErrConflict) {
		return usageErr("%s", strings.TrimPrefix(err.Error(), "apikey: "))
	}
	if err != nil {
		return notFoundIsUsage(err, id)
	}
	if c.json {
		return a.printRecord(true, rec)
	}
	fmt.Fprintf(a.stdout, "Key %s is now %s.\n", rec.ID, rec.Status)
	if e.policy.Authorizers.APIKey != nil {
		ak := e.policy.Authorizers.APIKey
		fmt.Fprintf(a.stdout, "Warm authorizers may answer from their caches for up to %s (result cache %s + record cache %s).\n",
			ak.CacheTTL.D()+ak.Cache.PositiveTTL.D(), ak.CacheTTL.D(), ak.Cache.PositiveTTL.D())
	}
	return nil
}

func (a *app) keysRotate(ctx context.Context, args []string) error {
	var c common
	fs := a.flags("keys rotate", &c)
	grace := fs.Duration("grace", 24*time.Hour, "how long the old key keeps working")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	id, err := oneID(pos)
	if err != nil {
		return err
	}
	if *grace < 0 || *grace > MaxGrace {
		return usageErr("--grace must be between 0 and %s, got %s", MaxGrace, *grace)
	}
	e, err := a.open(ctx, &c)
	if err != nil {
		return err
	}
	old, err := e.store.Get(ctx, id)
	if err != nil {
		return notFoundIsUsage(err, id)
	}
	if err := apikey.CanRotate(old); err != nil {
		return usageErr("%s", strings.TrimPrefix(err.Error(), "apikey: "))
	}
	h, err := a.hasher(ctx, e)
	if err != nil {
		return err
	}
	now := a.now()
	k, next, err := apikey.Successor(h, old, now)
	if err != nil {
		return err
	}
	prev, err := e.store.Rotate(ctx, id, next, now.Add(*grace))
	if errors.Is(err, apikey.ErrConflict) {
		return usageErr("%s", strings.TrimPrefix(err.Error(), "apikey: "))
	}
	if err != nil {
		return notFoundIsUsage(err, id)
	}
	return a.printNewKey(c.json, "Rotated "+prev.ID+" to", k, next, prev)
}

// ipList formats CIDRs.
func ipList(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
