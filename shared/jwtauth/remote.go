package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
)

// maxDocument bounds the size of a fetched JWKS or discovery document.
const maxDocument = 1 << 20

// remote is the lifecycle of a fetched JWKS (jwks.url or jwks.discovery).
//
// At cold start, start resolves the discovery document when configured and
// builds a jwkset HTTP storage over the issuer's keyStore: that fetches the
// JWKS once and then again every RefreshInterval in a goroutine that lives
// until Verifier.Close. A token whose kid is unknown (or any token while
// the issuer has no keys) calls refresh, which fetches again at most once
// per UnknownKidInterval on the injected clock, never blocks a request on
// the rate limit, and shares one fetch among concurrent callers. A failed
// or refused fetch leaves the last good keys in place.
//
// jwkset's own unknown-kid refresh (HTTPClientOptions.RefreshUnknownKID) is
// not used: it makes the request wait on a golang.org/x/time/rate limiter
// (wall clock, up to RateLimitWaitMax) before answering, which on an
// authorizer's hot path turns a flood of unknown kids into queued requests.
type remote struct {
	name    string // issuer name, for logs and details
	issuer  string
	url     string // the JWKS URL; empty until discovery resolves it
	client  *http.Client
	timeout time.Duration // per fetch
	every   time.Duration // periodic refresh
	gap     time.Duration // least time between unknown-kid refreshes
	now     func() time.Time
	store   *keyStore
	log     *slog.Logger
	bg      context.Context // cancelled by Verifier.Close

	mu       sync.Mutex
	running  bool // the periodic refresh goroutine exists
	last     time.Time
	inflight chan struct{}

	errMu   sync.Mutex
	lastErr error
}

// failed records and logs a fetch failure.
func (r *remote) failed(ctx context.Context, err error) {
	r.errMu.Lock()
	r.lastErr = err
	r.errMu.Unlock()
	r.log.ErrorContext(ctx, "jwtauth: JWKS fetch failed; keeping the last good keys", "issuer", r.name, "url", r.url, "error", err)
}

// lastError returns the last recorded fetch failure.
func (r *remote) lastError() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.lastErr
}

// start resolves the JWKS URL and starts the jwkset storage (first fetch now,
// periodic refresh after). It returns why the issuer has no keys yet, or nil.
// Callers serialize it (New before serving, refresh under inflight).
func (r *remote) start(ctx context.Context) error {
	if r.url == "" {
		u, err := discover(ctx, r.client, r.issuer, r.timeout)
		if err != nil {
			r.errMu.Lock()
			r.lastErr = err
			r.errMu.Unlock()
			return err
		}
		r.url = u
	}
	_, err := jwkset.NewStorageFromHTTP(r.url, jwkset.HTTPClientStorageOptions{
		Client:                    r.client,
		Ctx:                       r.bg,
		HTTPTimeout:               r.timeout,
		NoErrorReturnFirstHTTPReq: true,
		RefreshErrorHandler:       func(ctx context.Context, err error) { r.failed(ctx, err) },
		RefreshInterval:           r.every,
		Storage:                   r.store,
	})
	if err != nil {
		return fmt.Errorf("jwtauth: JWKS %s: %w", r.url, err)
	}
	r.mu.Lock()
	r.running = true
	r.mu.Unlock()
	if r.store.snapshot() == nil {
		if err := r.lastError(); err != nil {
			return err
		}
		return errors.New("jwtauth: JWKS fetch failed")
	}
	return nil
}

// refresh fetches the JWKS again on behalf of a request, unless one was
// fetched less than gap ago. It returns a note for the decision's detail.
func (r *remote) refresh(ctx context.Context) string {
	r.mu.Lock()
	if ch := r.inflight; ch != nil {
		r.mu.Unlock()
		select {
		case <-ch:
			return "JWKS refreshed by a concurrent request"
		case <-ctx.Done():
			return "gave up waiting for a concurrent JWKS refresh"
		}
	}
	now := r.now()
	if !r.last.IsZero() && now.Sub(r.last) < r.gap {
		r.mu.Unlock()
		return fmt.Sprintf("JWKS not refreshed: last refresh %s ago, at most one per %s", now.Sub(r.last).Round(time.Millisecond), r.gap)
	}
	r.last = now
	ch := make(chan struct{})
	r.inflight = ch
	running := r.running
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inflight = nil
		r.mu.Unlock()
		close(ch)
	}()

	if !running {
		if err := r.start(ctx); err != nil {
			return "JWKS refresh failed: " + err.Error()
		}
		return "JWKS refreshed"
	}
	_, err := jwkset.NewStorageFromHTTP(r.url, jwkset.HTTPClientStorageOptions{
		Client:      r.client,
		Ctx:         ctx,
		HTTPTimeout: r.timeout,
		Storage:     r.store,
	})
	if err != nil {
		r.failed(ctx, err)
		return "JWKS refresh failed: " + err.Error()
	}
	return "JWKS refreshed"
}

// discover reads the issuer's OpenID Provider configuration (OpenID Connect
// Discovery 1.0 §4) and returns its jwks_uri. The document must name the
// configured issuer exactly (§4.3) and a jwks_uri that is https (or http on
// a loopback host).
func discover(ctx context.Context, client *http.Client, issuer string, timeout time.Duration) (string, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrDiscovery, u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrDiscovery, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: %s answered %s", ErrDiscovery, u, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrDiscovery, u, err)
	}
	ms, err := parseObject(string(body), nil)
	if err != nil {
		return "", fmt.Errorf("%w: %s is not a valid JSON object: %w", ErrDiscovery, u, err)
	}
	iss, _ := lookup(ms, "issuer")
	got, ok := iss.str()
	if !ok || got != issuer {
		return "", fmt.Errorf("%w: %s names issuer %s, the configured issuer is %s", ErrDiscovery, u, quote(got), quote(issuer))
	}
	ju, _ := lookup(ms, "jwks_uri")
	jwks, ok := ju.str()
	if !ok {
		return "", fmt.Errorf("%w: %s has no jwks_uri", ErrDiscovery, u)
	}
	if err := checkFetchURL(jwks); err != nil {
		return "", fmt.Errorf("%w: %s: jwks_uri: %w", ErrDiscovery, u, err)
	}
	return jwks, nil
}

// checkFetchURL accepts absolute https URLs, and http only for loopback
// hosts, as the policy file does for configured URLs.
func checkFetchURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s is not an absolute URL", quote(s))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%s: only https (or http to a loopback host) is allowed", quote(s))
}

// limitedClient returns a copy of c whose responses fail beyond maxDocument
// bytes, so a misbehaving endpoint cannot exhaust the function's memory,
// and which follows at most 5 redirects, each to a URL checkFetchURL
// accepts (unless c has its own redirect policy).
func limitedClient(c *http.Client) *http.Client {
	lc := *c
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	lc.Transport = limitedTransport{base: base}
	if lc.CheckRedirect == nil {
		lc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return checkFetchURL(req.URL.String())
		}
	}
	return &lc
}

type limitedTransport struct{ base http.RoundTripper }

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: maxDocument}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

var errTooLarge = fmt.Errorf("response larger than %d bytes", maxDocument)

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Probe for one more byte to tell "exactly at the limit" from "over".
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
