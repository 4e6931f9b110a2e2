package localgw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/scripts/gateway/iam"
)

// API is the kind of API Gateway API emulated.
type API string

// API kinds.
const (
	// REST is a REST API: TOKEN and REQUEST authorizers, IAM policies,
	// gateway responses, usage plans.
	REST API = "rest"
	// HTTP is an HTTP API: Lambda authorizers with payload 2.0, simple or
	// IAM responses, fixed error bodies, no usage plans.
	HTTP API = "http"
)

// Defaults of [Options].
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "123456789012"
	DefaultAPIID     = "portcullis"
	DefaultStage     = "local"
	DefaultStackName = "Portcullis-local"
	// DefaultInvokeTimeout bounds one authorizer invocation, as the
	// authorizer function's timeout does in AWS.
	DefaultInvokeTimeout = 10 * time.Second
	// MaxMethodARN is the longest method ARN API Gateway authorizes; a
	// longer one (long path parameters) is answered 414.
	MaxMethodARN = 1600
)

// Options configure a Gateway. Functions is required.
type Options struct {
	// API is REST (default) or HTTP.
	API API
	// Functions are the authorizer functions by authorizer name ("jwt",
	// "apikey"). Every authorizer the plan deploys needs one.
	Functions map[string]Function
	// UsageKeys resolves usageIdentifierKey values to usage plans. nil:
	// no value is an API key, so methods that require one answer 403.
	UsageKeys UsageKeys
	// Backend is the integration behind every route (default [Echo]). It
	// finds what API Gateway passes on with [IntegrationFrom].
	Backend http.Handler
	// Responses are the gateway responses of a REST API (default
	// [PortcullisResponses] for the stack StackName). An empty, non-nil
	// map gives API Gateway's own defaults.
	Responses map[ResponseType]GatewayResponse
	// StackName names the emulated stack in WWW-Authenticate realms
	// (default DefaultStackName).
	StackName string
	// CORSOrigin is the Access-Control-Allow-Origin of gateway responses
	// (default "*").
	CORSOrigin string
	// Now is the clock of the result cache and usage plans (default time.Now).
	Now func() time.Time
	// AccessLog receives one line per request (nil: none).
	AccessLog io.Writer
	// ErrorLog receives why an authorizer's answer was refused (nil: AccessLog).
	ErrorLog io.Writer
	// InvokeTimeout bounds each authorizer invocation (default DefaultInvokeTimeout).
	InvokeTimeout time.Duration

	Region, AccountID, APIID, Stage string
}

// Gateway is the emulated API: an http.Handler safe for concurrent use.
type Gateway struct {
	api       API
	table     *routeTable
	routes    []*route
	auths     map[string]*authorizer
	usageKeys UsageKeys
	usage     *usage
	backend   http.Handler
	responses map[ResponseType]GatewayResponse
	now       func() time.Time
	timeout   time.Duration

	region, account, apiID, stage string
	arnPrefix                     string

	logMu     sync.Mutex
	accessLog io.Writer
	errorLog  io.Writer

	invocations sync.Map // authorizer name -> *atomic.Int64
}

// New builds the gateway for a deployment plan (the routes and
// authorizers the infra would deploy).
func New(p *plan.Plan, opts Options) (*Gateway, error) {
	g := &Gateway{
		api: opts.API, usageKeys: opts.UsageKeys, backend: opts.Backend, responses: opts.Responses,
		now: opts.Now, timeout: opts.InvokeTimeout, accessLog: opts.AccessLog, errorLog: opts.ErrorLog,
		region: or(opts.Region, DefaultRegion), account: or(opts.AccountID, DefaultAccountID),
		apiID: or(opts.APIID, DefaultAPIID), stage: or(opts.Stage, DefaultStage),
		auths: map[string]*authorizer{},
	}
	if g.api == "" {
		g.api = REST
	}
	if g.api != REST && g.api != HTTP {
		return nil, fmt.Errorf("localgw: API %q is not rest or http", g.api)
	}
	if g.backend == nil {
		g.backend = Echo{}
	}
	if g.responses == nil {
		g.responses = PortcullisResponses(p, or(opts.StackName, DefaultStackName), or(opts.CORSOrigin, "*"))
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.timeout <= 0 {
		g.timeout = DefaultInvokeTimeout
	}
	if g.errorLog == nil {
		g.errorLog = g.accessLog
	}
	g.arnPrefix = fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/", g.region, g.account, g.apiID, g.stage)
	g.usage = newUsage(p.File.UsagePlans)
	var errs []error
	for _, pa := range p.Authorizers {
		if g.api == HTTP && pa.HTTPIdentitySources == nil {
			continue // not on the HTTP API
		}
		fn := opts.Functions[pa.Name]
		if fn == nil {
			errs = append(errs, fmt.Errorf("localgw: no function for authorizer %s", pa.Name))
			continue
		}
		a := &authorizer{name: pa.Name, kind: pa.Kind, ttl: pa.CacheTTL, fn: fn}
		exprs := pa.RESTIdentitySources
		if g.api == HTTP {
			exprs, a.simple = pa.HTTPIdentitySources, pa.HTTPSimpleResponses
		} else {
			a.apiKeyRequired = pa.APIKeyRequired
		}
		for _, e := range exprs {
			s, err := parseIdentitySource(g.api, e)
			if err != nil {
				errs = append(errs, fmt.Errorf("localgw: authorizer %s: %w", pa.Name, err))
				continue
			}
			a.sources = append(a.sources, s)
		}
		if g.api == REST && a.kind == plan.Token && (len(a.sources) != 1 || a.sources[0].kind != srcHeader) {
			errs = append(errs, fmt.Errorf("localgw: TOKEN authorizer %s needs exactly one header identity source, has %v", pa.Name, exprs))
		}
		if len(a.sources) == 0 && a.ttl > 0 {
			errs = append(errs, fmt.Errorf("localgw: authorizer %s caches results but has no identity source", pa.Name))
		}
		g.auths[pa.Name] = a
	}
	if g.api == HTTP {
		if p.HTTP == nil {
			return nil, errors.New("localgw: the plan has no HTTP API (plan it with HTTPAPI set)")
		}
		g.table, g.routes = httpTable(p.HTTP, g.auths)
	} else {
		g.table, g.routes = restTable(p.REST, g.auths)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// RouteInfo describes one route of the emulated API.
type RouteInfo struct {
	Key        string // the policy's route key
	Method     string // GET, ..., ANY
	Path       string // resource path
	Authorizer string // "" for a public route
}

// Routes lists the emulated API's routes.
func (g *Gateway) Routes() []RouteInfo {
	out := make([]RouteInfo, 0, len(g.routes))
	for _, rt := range g.routes {
		ri := RouteInfo{Key: rt.key, Method: rt.method, Path: rt.resource}
		if rt.auth != nil {
			ri.Authorizer = rt.auth.name
		}
		out = append(out, ri)
	}
	return out
}

// Invocations returns how often the named authorizer has been invoked.
func (g *Gateway) Invocations(name string) int64 {
	if c, ok := g.invocations.Load(name); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

// FlushCaches empties every authorizer result cache, as redeploying a
// stage does.
func (g *Gateway) FlushCaches() {
	for _, a := range g.auths {
		a.cache.flush()
	}
}

// MethodARN returns the method ARN of a request to method and escaped path.
func (g *Gateway) MethodARN(method, escapedPath string) string {
	return g.arnPrefix + method + escapedPath
}

// exchange is one request's way through the gateway.
type exchange struct {
	r        *http.Request
	w        *statusWriter
	start    time.Time
	id       string
	sourceIP string
	route    *route
	params   map[string]string
	arn      string
	res      *result

	responseType ResponseType
	authNote     string // for the access log: "jwt invoked allow", "jwt cached", ...
}

// ServeHTTP handles one request as API Gateway would.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{r: r, w: &statusWriter{ResponseWriter: w}, start: g.now(), id: requestID(), sourceIP: peerIP(r)}
	if g.api == HTTP {
		w.Header().Set("Apigw-Requestid", x.id)
	} else {
		w.Header().Set("X-Amzn-Requestid", x.id)
	}
	defer g.logAccess(x)
	rt, params := g.table.match(r.Method, r.URL.EscapedPath())
	if rt == nil {
		g.deny(x, MissingAuthenticationToken, "")
		return
	}
	x.route, x.params = rt, params
	x.arn = g.MethodARN(r.Method, r.URL.EscapedPath())
	if len(x.arn) > MaxMethodARN {
		x.w.Header().Set("Content-Type", "application/json")
		x.w.WriteHeader(http.StatusRequestURITooLong)
		_, _ = x.w.Write([]byte(`{"message":"Request-URI Too Long"}`))
		return
	}
	if a := rt.auth; a != nil {
		if !g.authorize(x, a) {
			return
		}
	}
	g.integrate(x)
}

// deny answers with gateway response t on a REST API, or with the fixed
// answer of the same status on an HTTP API (404 where REST says "Missing
// Authentication Token"). message overrides $context.error.message.
func (g *Gateway) deny(x *exchange, t ResponseType, message string) {
	if g.api == HTTP {
		status := builtins[t].status
		if t == MissingAuthenticationToken {
			status = 404
		}
		g.httpResponse(x, status)
		x.responseType = t
		return
	}
	g.restResponse(x, t, message)
}

// authorize runs the route's authorizer (or its cached answer) and checks
// the answer against the request; false when it has answered the request.
func (g *Gateway) authorize(x *exchange, a *authorizer) bool {
	values, ok := g.identity(x, a)
	if !ok {
		x.authNote = a.name + " not invoked (identity source missing)"
		g.deny(x, Unauthorized, "")
		return false
	}
	key := cacheKey(values)
	now := g.now()
	if a.ttl > 0 {
		x.res = a.cache.get(key, now)
	}
	if x.res != nil {
		x.authNote = a.name + " cached"
	} else {
		res, t := g.invoke(x, a, values)
		if t != "" {
			g.deny(x, t, "")
			return false
		}
		x.res = res
		if a.ttl > 0 {
			a.cache.put(key, res, now.Add(a.ttl), now)
		}
	}
	res := x.res
	if res.policy == nil { // HTTP API simple response
		if !res.authorized {
			x.authNote += " isAuthorized=false"
			g.deny(x, AccessDenied, "")
			return false
		}
	} else {
		switch v := res.policy.Evaluate(iam.Action, x.arn); v {
		case iam.ExplicitDeny:
			x.authNote += " policy: explicit deny"
			g.deny(x, AccessDenied, builtins[AccessDenied].message+" with an explicit deny")
			return false
		case iam.ImplicitDeny:
			x.authNote += " policy: implicit deny"
			g.deny(x, AccessDenied, "")
			return false
		}
	}
	if a.apiKeyRequired && g.api == REST {
		return g.meter(x, res.usageKey)
	}
	return true
}

// meter applies the usage plan of the API key the authorizer returned.
func (g *Gateway) meter(x *exchange, usageKey string) bool {
	if usageKey == "" || g.usageKeys == nil {
		x.authNote += " no API key"
		g.deny(x, InvalidAPIKey, "")
		return false
	}
	plan, err := g.usageKeys.Plan(x.r.Context(), usageKey)
	if err != nil {
		if !errors.Is(err, ErrUnknownUsageKey) {
			g.logError(x, "usage plan lookup: %v", err)
		}
		x.authNote += " unknown API key"
		g.deny(x, InvalidAPIKey, "")
		return false
	}
	if t := g.usage.take(plan, usageKey, g.now()); t != "" {
		x.authNote += " plan " + plan
		g.deny(x, t, "")
		return false
	}
	return true
}

// identity returns the identity-source values of x for a, and false when
// one is missing or empty: API Gateway then answers 401 without invoking
// the authorizer. (An authorizer without identity sources — caching off —
// is always invoked.)
func (g *Gateway) identity(x *exchange, a *authorizer) ([]string, bool) {
	values := make([]string, 0, len(a.sources))
	for _, s := range a.sources {
		var v string
		switch s.kind {
		case srcHeader:
			v, _ = headerValues(x.r.Header, s.name)
		case srcQuery:
			v = strings.Join(x.r.URL.Query()[s.name], ",")
		case srcSourceIP:
			v = x.sourceIP
		case srcRouteKey:
			v = x.route.key
		}
		if strings.TrimSpace(v) == "" {
			return nil, false
		}
		values = append(values, v)
	}
	return values, true
}

// invoke calls the authorizer and interprets its answer; on failure it
// returns the gateway response to give.
func (g *Gateway) invoke(x *exchange, a *authorizer, values []string) (*result, ResponseType) {
	event, err := g.event(x, a, values)
	if err != nil {
		g.logError(x, "building the %s event: %v", a.name, err)
		return nil, AuthorizerFailure
	}
	c, _ := g.invocations.LoadOrStore(a.name, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	ctx, cancel := context.WithTimeout(x.r.Context(), g.timeout)
	defer cancel()
	payload, err := safeInvoke(ctx, a.fn, event)
	switch {
	case err != nil && err.Error() == "Unauthorized":
		x.authNote = a.name + " invoked: Unauthorized"
		return nil, Unauthorized
	case errors.Is(err, errPanic) || ctx.Err() != nil:
		x.authNote = a.name + " invoked: failed"
		g.logError(x, "authorizer %s: %v", a.name, err)
		return nil, AuthorizerFailure
	case err != nil:
		x.authNote = a.name + " invoked: error"
		g.logError(x, "authorizer %s returned the error %q", a.name, err.Error())
		return nil, AuthorizerConfigurationError
	}
	res, err := parseResult(g.api, a.simple, payload)
	if err != nil {
		x.authNote = a.name + " invoked: bad response"
		g.logError(x, "authorizer %s: %v", a.name, err)
		return nil, AuthorizerConfigurationError
	}
	x.authNote = a.name + " invoked"
	return res, ""
}

var errPanic = errors.New("authorizer panicked")

// safeInvoke calls fn, turning a panic into an error as the Lambda
// runtime turns a crash into a function error.
func safeInvoke(ctx context.Context, fn Function, event []byte) (payload []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			payload, err = nil, fmt.Errorf("%w: %v", errPanic, p)
		}
	}()
	return fn.Invoke(ctx, event)
}

func (g *Gateway) logError(x *exchange, format string, args ...any) {
	if g.errorLog == nil {
		return
	}
	g.logMu.Lock()
	defer g.logMu.Unlock()
	fmt.Fprintf(g.errorLog, "%s %s %s\n", x.start.UTC().Format(time.RFC3339), x.id, fmt.Sprintf(format, args...))
}

func (g *Gateway) logAccess(x *exchange) {
	if g.accessLog == nil {
		return
	}
	route := "-"
	if x.route != nil {
		route = x.route.key
	}
	note := x.authNote
	if x.responseType != "" {
		note = strings.TrimSpace(note + " -> " + string(x.responseType))
	}
	g.logMu.Lock()
	defer g.logMu.Unlock()
	fmt.Fprintf(g.accessLog, "%s %s %q %d route=%q %s %s req=%s\n",
		x.start.UTC().Format(time.RFC3339), x.sourceIP, x.r.Method+" "+x.r.URL.RequestURI(), x.w.status(),
		route, note, g.now().Sub(x.start).Round(time.Microsecond), x.id)
}

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// peerIP is the address of the TCP peer: what API Gateway reports as
// sourceIp. X-Forwarded-For is never consulted.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
