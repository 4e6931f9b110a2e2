package localgw

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/scripts/gateway/iam"
)

// Function is an authorizer Lambda function as API Gateway invokes it: an
// event in, the response payload or a function error out. The error's
// message is what API Gateway reads: exactly "Unauthorized" means 401.
// *authorizer.Handler implements it in-process; an adapter over the
// Runtime Interface Emulator implements it with the built binary.
type Function interface {
	Invoke(ctx context.Context, event []byte) ([]byte, error)
}

// FunctionFunc adapts a function to [Function].
type FunctionFunc func(ctx context.Context, event []byte) ([]byte, error)

// Invoke implements [Function].
func (f FunctionFunc) Invoke(ctx context.Context, event []byte) ([]byte, error) { return f(ctx, event) }

type sourceKind uint8

const (
	srcHeader sourceKind = iota
	srcQuery
	srcSourceIP
	srcRouteKey
)

// identitySource is one parsed identity source expression.
type identitySource struct {
	kind sourceKind
	name string // header or query parameter name
	expr string // as configured
}

// parseIdentitySource parses a REST ("method.request.header.Authorization",
// "method.request.querystring.key", "context.identity.sourceIp") or HTTP
// API ("$request.header.Authorization", "$request.querystring.key",
// "$context.routeKey", "$context.identity.sourceIp") identity source.
func parseIdentitySource(api API, expr string) (identitySource, error) {
	s := identitySource{expr: expr}
	e := expr
	if api == HTTP {
		rest, ok := strings.CutPrefix(e, "$")
		if !ok {
			return s, fmt.Errorf("HTTP API identity source %q does not start with $", expr)
		}
		e = rest
		if strings.HasPrefix(e, "request.") {
			e = "method." + e
		}
	}
	switch {
	case strings.HasPrefix(e, "method.request.header."):
		s.kind, s.name = srcHeader, strings.TrimPrefix(e, "method.request.header.")
	case strings.HasPrefix(e, "method.request.querystring."):
		s.kind, s.name = srcQuery, strings.TrimPrefix(e, "method.request.querystring.")
	case e == "context.identity.sourceIp":
		s.kind = srcSourceIP
	case e == "context.routeKey" && api == HTTP:
		s.kind = srcRouteKey
	default:
		return s, fmt.Errorf("identity source %q is not emulated (headers, query parameters, the source IP and, on HTTP APIs, the route key are)", expr)
	}
	if (s.kind == srcHeader || s.kind == srcQuery) && s.name == "" {
		return s, fmt.Errorf("identity source %q names no parameter", expr)
	}
	return s, nil
}

// authorizer is one Lambda authorizer of the emulated API.
type authorizer struct {
	name           string
	kind           plan.Kind // TOKEN or REQUEST (REST); HTTP API authorizers send payload 2.0
	sources        []identitySource
	ttl            time.Duration
	simple         bool // HTTP API simple responses
	apiKeyRequired bool
	fn             Function
	cache          resultCache
}

// result is an authorizer's answer as API Gateway keeps it (and caches it).
type result struct {
	principalID string
	policy      *iam.Document  // nil for simple responses
	authorized  bool           // simple responses
	context     []contextEntry // in the order returned
	usageKey    string
}

// contextEntry is one context value: its JSON text and its string form.
type contextEntry struct {
	key  string
	json []byte // as returned
	str  string // stringified as the REST integration sees it
}

func (r *result) contextValue(key string) (string, bool) {
	for _, e := range r.context {
		if e.key == key {
			return e.str, true
		}
	}
	return "", false
}

type cacheEntry struct {
	res     *result
	expires time.Time
}

// resultCache is the authorizer result cache: answers by identity-source
// values, for the TTL. Keys are hashes, so the cache never holds a
// credential.
type resultCache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]cacheEntry
}

// maxCacheEntries bounds the cache; expired entries are swept when full,
// and if that frees nothing the cache starts over.
const maxCacheEntries = 100_000

func cacheKey(values []string) [sha256.Size]byte {
	h := sha256.New()
	for _, v := range values {
		fmt.Fprintf(h, "%d:%s", len(v), v)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

func (c *resultCache) get(k [sha256.Size]byte, now time.Time) *result {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return nil
	}
	if !now.Before(e.expires) {
		delete(c.entries, k)
		return nil
	}
	return e.res
}

func (c *resultCache) put(k [sha256.Size]byte, res *result, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[[sha256.Size]byte]cacheEntry{}
	}
	if len(c.entries) >= maxCacheEntries {
		for key, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= maxCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[k] = cacheEntry{res: res, expires: expires}
}

func (c *resultCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
