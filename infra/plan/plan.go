// Package plan turns a Portcullis policy file into the deployment that the
// CDK stack renders: which authorizer functions exist and exactly what each
// may read, the REST API's resource tree and the HTTP API's routes, every
// authorizer's identity sources and result-cache TTL, the WAF IP sets and
// rules, and the files bundled beside each function binary.
//
// The package is plain Go (no CDK, no jsii), so every decision the stack
// makes from the policy is unit-tested in milliseconds, and every refusal
// (a cached authorizer whose decisions are per-request, a local-only policy
// in production, routes API Gateway cannot express, a function that was not
// built for arm64) is reported before any construct exists, all problems at
// once.
package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/dynamostore"
)

// Errors wrapped by [New]; one error may wrap several.
var (
	// ErrCacheUnsafe: an authorizer with a result-cache TTL protects a
	// route whose decision depends on the individual request.
	ErrCacheUnsafe = errors.New("cached authorizer with per-request decisions")
	// ErrLocalPolicy: the policy needs something only a developer machine
	// has (a secret from an environment variable or file, a loopback
	// issuer) and the stage does not allow it.
	ErrLocalPolicy = errors.New("local-only policy")
	// ErrRoutes: the routes cannot be expressed in API Gateway.
	ErrRoutes = errors.New("routes cannot be deployed")
	// ErrIdentitySource: an authorizer's credential cannot be a cache key.
	ErrIdentitySource = errors.New("authorizer identity source")
	// ErrBundle: a file the policy names cannot be bundled with the functions.
	ErrBundle = errors.New("cannot bundle policy file")
	// ErrNotBuilt: a function's bootstrap is missing or not a linux/arm64 binary.
	ErrNotBuilt = errors.New("function not built")
)

// Stage is the deployment stage.
type Stage string

// Stages.
const (
	// Dev: tables are destroyed with the stack, logs kept briefly, and a
	// local-only policy may be deployed when explicitly allowed.
	Dev Stage = "dev"
	// Prod: tables have deletion protection and are retained, logs kept
	// longer, and a local-only policy is always refused.
	Prod Stage = "prod"
)

// ParseStage parses "dev" or "prod".
func ParseStage(s string) (Stage, error) {
	switch Stage(s) {
	case Dev, Prod:
		return Stage(s), nil
	}
	return "", fmt.Errorf("stage must be dev or prod, got %q", s)
}

// Kind is an API Gateway REST authorizer type.
type Kind string

// Authorizer kinds.
const (
	// Token: a TOKEN authorizer; the identity source is one header.
	Token Kind = "TOKEN"
	// Request: a REQUEST authorizer; identity sources are several request
	// parameters and context variables.
	Request Kind = "REQUEST"
)

// Options tune [New].
type Options struct {
	// Stage is Dev (the default) or Prod.
	Stage Stage
	// AllowLocalPolicy lets a Dev deployment bundle secrets from files and
	// trust loopback issuers (a development deploy). Never honoured for Prod.
	AllowLocalPolicy bool
	// HTTPAPI adds the HTTP API variant for the JWT authorizer.
	HTTPAPI bool
	// PolicyFor returns the route policy of an authorizer; the default is
	// (*config.File).Policy. Tests replace it to exercise the cache-safety
	// check with requirements the file format cannot yet express.
	PolicyFor func(f *config.File, authorizer string) (*authz.Policy, error)
}

// Plan is the deployment of one policy file.
type Plan struct {
	// File is the validated policy.
	File  *config.File
	Stage Stage
	// Authorizers are the functions to deploy, in a stable order: those
	// configured in the policy that protect at least one deployed route.
	Authorizers []*Authorizer
	// Tables are the DynamoDB tables the deployed authorizers use.
	Tables []dynamostore.Table
	// REST is the REST API's resource tree.
	REST *Resource
	// HTTP lists the HTTP API's routes; nil when the HTTP API is off.
	HTTP []HTTPRoute
	// WAF is the web ACL on the REST stage; nil when the policy disables it.
	WAF *WAF
	// LocalOnly says why the policy can only run locally; when set (Dev
	// without AllowLocalPolicy) the stack synthesizes but refuses to deploy.
	LocalOnly []string
	// Notes explain what was left out (routes with no meaning in one API).
	Notes []string
}

// Authorizer is one deployed authorizer function.
type Authorizer struct {
	// Name is the policy's authorizer name: "jwt", "apikey".
	Name string
	// Function is the directory under functions/ and build/.
	Function string
	// Kind is the REST authorizer type.
	Kind Kind
	// CacheTTL is API Gateway's authorizer result-cache TTL (0: off).
	CacheTTL time.Duration
	// RESTIdentitySources are the REST authorizer's identity sources
	// ("method.request.header.Authorization", "context.identity.sourceIp").
	RESTIdentitySources []string
	// HTTPIdentitySources are the HTTP API authorizer's identity sources
	// ("$request.header.Authorization", "$context.routeKey"); nil when the
	// authorizer is not on the HTTP API.
	HTTPIdentitySources []string
	// HTTPSimpleResponses mirrors the policy's http_api_response: the
	// function answers HTTP API events with {"isAuthorized"} when true.
	HTTPSimpleResponses bool
	// APIKeyRequired marks the REST methods it protects as needing an API
	// key, which the function returns as usageIdentifierKey.
	APIKeyRequired bool
	// Secrets are the SSM parameters and Secrets Manager secrets the
	// function reads at cold start.
	Secrets []Secret
	// Tables are the tables it reads and the DynamoDB actions it needs.
	Tables []TableGrant
	// Files are the files beside policy.yaml (relative to it) bundled into
	// the function's asset: JWKS files for every function (the policy is
	// validated in full at cold start), secret files only for their user.
	Files []string
}

// Secret is a secret an authorizer reads from AWS.
type Secret struct {
	// Source is "ssm" or "secretsmanager".
	Source string
	// Name is the parameter name, the secret name, or an ARN.
	Name string
	// Field is where the policy names it ("authorizers.apikey.pepper").
	Field string
}

// TableGrant is a table an authorizer uses and the actions it needs.
type TableGrant struct {
	Table   dynamostore.Table
	Actions []string
}

// spec describes an authorizer the stack knows how to deploy.
//
// This list is the extension point for new authorizers. The risk-based
// authorizer joins as one more entry: Kind Request, its identity sources
// the signals it reads, forcedTTL zero (its decisions are per-request, so
// API Gateway must not cache them), and table grants for the risk-profile
// table (GetItem, UpdateItem) once dynamostore defines it.
type spec struct {
	name     string
	function string
	kind     Kind
	tables   []TableGrant
	// sourceIP adds context.identity.sourceIp to the REST identity
	// sources: the function's decision depends on the caller's address
	// (API-key CIDR allow-lists), so the cache key must include it.
	sourceIP bool
	// httpAPI puts the authorizer on the HTTP API variant.
	httpAPI bool
}

var specs = []spec{
	{name: config.AuthorizerJWT, function: "jwt-authorizer", kind: Token, httpAPI: true},
	{
		name: config.AuthorizerAPIKey, function: "apikey-authorizer", kind: Request, sourceIP: true,
		tables: []TableGrant{{Table: dynamostore.APIKeys, Actions: []string{"dynamodb:GetItem"}}},
	},
}

// New plans the deployment of the validated policy f. Every problem is
// reported, joined; each wraps one of the package's errors.
func New(f *config.File, opts Options) (*Plan, error) {
	if opts.Stage == "" {
		opts.Stage = Dev
	}
	if opts.PolicyFor == nil {
		opts.PolicyFor = (*config.File).Policy
	}
	p := &Plan{File: f, Stage: opts.Stage}
	var errs []error
	fail := func(err error) { errs = append(errs, err) }

	rest, restNotes, err := buildREST(f)
	if err != nil {
		fail(err)
	}
	p.REST = rest
	p.Notes = append(p.Notes, restNotes...)
	if opts.HTTPAPI {
		var notes []string
		p.HTTP, notes = buildHTTP(f)
		p.Notes = append(p.Notes, notes...)
	}

	for _, s := range specs {
		if !configured(f, s.name) {
			continue
		}
		if !protectsAny(p, s.name) {
			p.Notes = append(p.Notes, fmt.Sprintf("authorizer %s protects no deployed route: its function is not deployed", s.name))
			continue
		}
		a, err := p.authorizer(s, opts)
		if err != nil {
			fail(err)
		}
		if a != nil {
			p.Authorizers = append(p.Authorizers, a)
		}
	}
	p.Tables = tablesOf(p.Authorizers)

	local, hard := localOnly(f)
	switch {
	case opts.Stage == Prod && len(local)+len(hard) > 0:
		fail(fmt.Errorf("%w: the prod stage deploys only policies whose secrets come from ssm or secretsmanager and whose issuers are reachable from AWS:\n  %s",
			ErrLocalPolicy, strings.Join(append(local, hard...), "\n  ")))
	case opts.AllowLocalPolicy && len(hard) > 0:
		fail(fmt.Errorf("%w: even a development deploy cannot use:\n  %s", ErrLocalPolicy, strings.Join(hard, "\n  ")))
	case !opts.AllowLocalPolicy:
		p.LocalOnly = append(local, hard...)
	}
	if err := p.bundleFiles(opts); err != nil {
		fail(err)
	}
	p.WAF = buildWAF(f)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Authorizer returns the deployed authorizer named name, or nil.
func (p *Plan) Authorizer(name string) *Authorizer {
	for _, a := range p.Authorizers {
		if a.Name == name {
			return a
		}
	}
	return nil
}

func configured(f *config.File, name string) bool {
	switch name {
	case config.AuthorizerJWT:
		return f.Authorizers.JWT != nil
	case config.AuthorizerAPIKey:
		return f.Authorizers.APIKey != nil
	}
	return false
}

func protectsAny(p *Plan, name string) bool {
	found := false
	p.REST.Walk(func(r *Resource) {
		for _, m := range r.Methods {
			if m.Authorizer == name {
				found = true
			}
		}
	})
	for _, r := range p.HTTP {
		if r.Authorizer == name {
			found = true
		}
	}
	return found
}

func (p *Plan) authorizer(s spec, opts Options) (*Authorizer, error) {
	f := p.File
	a := &Authorizer{Name: s.name, Function: s.function, Kind: s.kind, CacheTTL: f.CacheTTL(s.name)}
	for _, g := range s.tables {
		a.Tables = append(a.Tables, TableGrant{Table: g.Table, Actions: slices.Clone(g.Actions)})
	}
	var errs []error
	switch s.name {
	case config.AuthorizerJWT:
		c := f.Authorizers.JWT
		a.RESTIdentitySources = []string{"method.request.header." + c.Header}
		a.HTTPSimpleResponses = c.HTTPAPIResponse == "simple"
		if s.httpAPI && p.HTTP != nil && slices.ContainsFunc(p.HTTP, func(r HTTPRoute) bool { return r.Authorizer == s.name }) {
			a.HTTPIdentitySources = []string{"$request.header." + c.Header}
			if a.HTTPSimpleResponses && a.CacheTTL > 0 {
				// A simple response ({"isAuthorized": true}) carries no
				// policy, so API Gateway would replay one route's answer on
				// every route for the same token: the route joins the key.
				a.HTTPIdentitySources = append(a.HTTPIdentitySources, "$context.routeKey")
			}
		}
		for i, is := range f.Issuers {
			if is.HMACSecret != nil {
				if sec, ok := awsSecret(is.HMACSecret, fmt.Sprintf("issuers[%d].hmac_secret", i)); ok {
					a.Secrets = append(a.Secrets, sec)
				}
			}
		}
	case config.AuthorizerAPIKey:
		c := f.Authorizers.APIKey
		a.APIKeyRequired = len(f.UsagePlans) > 0
		switch {
		case c.QueryParameter != "" && a.CacheTTL > 0:
			errs = append(errs, fmt.Errorf("%w: authorizers.apikey.query_parameter is set and cache_ttl is %s: API Gateway caches a REQUEST authorizer's answer per identity source and answers 401 without calling the authorizer when any identity source is missing, so a key that may arrive in the header or in the query string cannot be a cache key; set cache_ttl: 0s or drop query_parameter",
				ErrIdentitySource, a.CacheTTL))
		case c.QueryParameter != "":
			// Uncached: the function finds the key itself; the source IP
			// is always present, so API Gateway never answers 401 early.
			a.RESTIdentitySources = []string{"context.identity.sourceIp"}
		default:
			a.RESTIdentitySources = []string{"method.request.header." + c.Header}
		}
		if s.sourceIP && c.QueryParameter == "" {
			a.RESTIdentitySources = append(a.RESTIdentitySources, "context.identity.sourceIp")
		}
		if sec, ok := awsSecret(&c.Pepper, "authorizers.apikey.pepper"); ok {
			a.Secrets = append(a.Secrets, sec)
		}
	}
	if err := checkCacheSafety(f, s.name, a.CacheTTL, opts.PolicyFor); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

// checkCacheSafety refuses a cached authorizer protecting a route whose
// decision depends on the individual request: API Gateway would replay the
// first request's answer to every later request with the same identity
// source for the TTL.
func checkCacheSafety(f *config.File, name string, ttl time.Duration, policyFor func(*config.File, string) (*authz.Policy, error)) error {
	if ttl == 0 {
		return nil
	}
	pol, err := policyFor(f, name)
	if err != nil {
		return fmt.Errorf("%w: authorizer %s: %w", ErrRoutes, name, err)
	}
	var bad []string
	for _, rt := range pol.Routes {
		if rt.PerRequest() {
			bad = append(bad, rt.Key.String())
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: authorizer %s caches decisions for %s but these routes decide on each request's own signals: %s; set authorizers.%s.cache_ttl: 0s",
		ErrCacheUnsafe, name, ttl, strings.Join(bad, ", "), name)
}

func awsSecret(r *config.SecretRef, field string) (Secret, bool) {
	kind, v := r.Source()
	if kind == "ssm" || kind == "secretsmanager" {
		return Secret{Source: kind, Name: v, Field: field}, true
	}
	return Secret{}, false
}

func tablesOf(as []*Authorizer) []dynamostore.Table {
	var out []dynamostore.Table
	for _, t := range dynamostore.Tables {
		for _, a := range as {
			if slices.ContainsFunc(a.Tables, func(g TableGrant) bool { return g.Table.Name == t.Name }) &&
				!slices.ContainsFunc(out, func(o dynamostore.Table) bool { return o.Name == t.Name }) {
				out = append(out, t)
			}
		}
	}
	return out
}

// localOnly lists what ties the policy to a developer machine: soft
// findings a development deploy may accept (secret files, loopback
// issuers), and hard ones no deployment can satisfy (environment-variable
// secrets: the stack would have to write the secret into the template).
func localOnly(f *config.File) (soft, hard []string) {
	check := func(r *config.SecretRef, field string) {
		switch kind, v := r.Source(); kind {
		case "file":
			soft = append(soft, fmt.Sprintf("%s reads the secret from the file %s", field, v))
		case "env":
			hard = append(hard, fmt.Sprintf("%s reads the secret from the environment variable %s, which a deployed function does not have (use ssm or secretsmanager)", field, v))
		}
	}
	for i, is := range f.Issuers {
		if isLoopback(is.Issuer) {
			soft = append(soft, fmt.Sprintf("issuers[%d] (%s) is a local issuer %s", i, is.Name, is.Issuer))
		}
		if isLoopback(is.JWKS.URL) {
			hard = append(hard, fmt.Sprintf("issuers[%d].jwks.url %s is not reachable from AWS", i, is.JWKS.URL))
		}
		if is.JWKS.Discovery && isLoopback(is.Issuer) {
			hard = append(hard, fmt.Sprintf("issuers[%d].jwks.discovery on %s is not reachable from AWS", i, is.Issuer))
		}
		if is.HMACSecret != nil {
			check(is.HMACSecret, fmt.Sprintf("issuers[%d].hmac_secret", i))
		}
	}
	if a := f.Authorizers.APIKey; a != nil {
		check(&a.Pepper, "authorizers.apikey.pepper")
	}
	return soft, hard
}

func isLoopback(u string) bool {
	return strings.HasPrefix(u, "http://")
}
