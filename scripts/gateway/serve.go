package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/portcullis-authz/portcullis/infra/plan"
	"github.com/portcullis-authz/portcullis/scripts/gateway/devidp"
	"github.com/portcullis-authz/portcullis/scripts/gateway/localgw"
	"github.com/portcullis-authz/portcullis/shared/authorizer"
	"github.com/portcullis-authz/portcullis/shared/config"
	"github.com/portcullis-authz/portcullis/shared/jwtauth"
	"github.com/portcullis-authz/portcullis/shared/secret"
)

// serveFlags are the flags of the serve command.
type serveFlags struct {
	policy, addr, api, seed string
	port                    int
	dynamoEndpoint, table   string
	devIdP, signingKey      string
	devIdPSet               bool
	viaEmulator             bool
	accessLog, audit        bool
	shutdownTimeout         time.Duration
	invokeTimeout           time.Duration
	portSet                 bool
	stackName, corsOrigin   string
}

func (a *app) parseServe(args []string) (*serveFlags, error) {
	fl := &serveFlags{}
	fs := a.flagSet("gateway")
	fs.StringVar(&fl.policy, "policy", "events/policy.yaml", "")
	fs.StringVar(&fl.addr, "addr", "127.0.0.1:4000", "")
	fs.IntVar(&fl.port, "port", -1, "")
	fs.StringVar(&fl.api, "api", string(localgw.REST), "")
	fs.StringVar(&fl.seed, "seed", "", "")
	fs.StringVar(&fl.dynamoEndpoint, "dynamodb-endpoint", "", "")
	fs.StringVar(&fl.table, "table", "", "")
	fs.StringVar(&fl.devIdP, "dev-idp", "dev", "")
	fs.StringVar(&fl.signingKey, "signing-key", "", "")
	fs.BoolVar(&fl.viaEmulator, "via-emulator", false, "")
	fs.BoolVar(&fl.accessLog, "access-log", true, "")
	fs.BoolVar(&fl.audit, "audit", true, "")
	fs.StringVar(&fl.stackName, "stack-name", localgw.DefaultStackName, "")
	fs.StringVar(&fl.corsOrigin, "cors-origin", "*", "")
	fs.DurationVar(&fl.invokeTimeout, "invoke-timeout", localgw.DefaultInvokeTimeout, "")
	fs.DurationVar(&fl.shutdownTimeout, "shutdown-timeout", 5*time.Second, "")
	if err := a.parseFlags(fs, args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "dev-idp":
			fl.devIdPSet = true
		case "port":
			fl.portSet = true
		}
	})
	if fl.api != string(localgw.REST) && fl.api != string(localgw.HTTP) {
		return nil, usageErr("--api must be rest or http, got %q", fl.api)
	}
	if fl.portSet && (fl.port < 0 || fl.port > 65535) {
		return nil, usageErr("--port must be between 0 and 65535, got %d", fl.port)
	}
	if fl.table != "" && fl.dynamoEndpoint == "" {
		return nil, usageErr("--table needs --dynamodb-endpoint")
	}
	if fl.table != "" && !validTableName(fl.table) {
		return nil, usageErr("--table %q is not a DynamoDB table name (3 to 255 of a-z, A-Z, 0-9, _ - .)", fl.table)
	}
	return fl, nil
}

// listenAddr combines --addr and --port.
func (fl *serveFlags) listenAddr() (string, error) {
	host, port, err := net.SplitHostPort(fl.addr)
	if err != nil {
		return "", usageErr("--addr %q is not HOST:PORT", fl.addr)
	}
	if fl.portSet {
		port = strconv.Itoa(fl.port)
	}
	return net.JoinHostPort(host, port), nil
}

func validTableName(s string) bool {
	if len(s) < 3 || len(s) > 255 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// server is the running gateway.
type server struct {
	URL       string // http://127.0.0.1:4000
	Gateway   *localgw.Gateway
	IdP       *devidp.Provider // nil when off
	File      *config.File
	Plan      *plan.Plan
	Keys      *keyInfo // nil without the apikey authorizer
	API       localgw.API
	functions map[string]localgw.Function
	closers   []func()
}

// serve runs the local gateway until ctx ends.
func (a *app) serve(ctx context.Context, args []string) error {
	fl, err := a.parseServe(args)
	if err != nil {
		return err
	}
	f, err := loadPolicy(fl.policy)
	if err != nil {
		return err
	}
	api := localgw.API(fl.api)
	p, err := plan.New(f, plan.Options{HTTPAPI: api == localgw.HTTP})
	if err != nil {
		return usageErr("the stack would refuse this policy, so the local gateway does too:\n%v", err)
	}
	if api == localgw.HTTP && len(p.HTTP) == 0 {
		return usageErr("--api http: the policy has no route for the HTTP API (only JWT and public routes go there)")
	}
	srv := &server{File: f, Plan: p, API: api}
	defer srv.close()

	if fl.devIdP != "none" && fl.devIdP != "" {
		srv.IdP, err = devidp.New(f, fl.devIdP, signingKeyPath(f, fl.signingKey), devidp.WithClock(a.now))
		if err != nil {
			if fl.devIdPSet {
				return usageErr("--dev-idp: %v", err)
			}
			fmt.Fprintf(a.stderr, "gateway: development identity provider off: %v\n", err)
		}
	}
	addr, err := fl.listenAddr()
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(addr)
	if srv.IdP != nil && !isLoopback(host) {
		return usageErr("--addr %s is not a loopback address: the development identity provider mints any token for anyone who can reach it; listen on 127.0.0.1 or pass --dev-idp none", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return usageErr("%s is already in use (another `make run`?): choose another port, e.g. make run ARGS=--port=4001", addr)
		}
		return usageErr("cannot listen on %s: %v", addr, err)
	}
	srv.URL = "http://" + ln.Addr().String()

	// Serve at once: the dev IdP answers while the authorizers start (an
	// issuer may fetch its keys from it), the API answers 503 until then.
	var api503 http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"message":"the local gateway is starting"}`, http.StatusServiceUnavailable)
	})
	var apiHandler atomic.Pointer[http.Handler]
	var controlPlane atomic.Pointer[localgw.APIKeys]
	apiHandler.Store(&api503)
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if srv.IdP != nil && strings.HasPrefix(r.URL.Path, srv.IdP.BasePath()+"/") {
			srv.IdP.Handler().ServeHTTP(w, r)
			return
		}
		if cp := controlPlane.Load(); cp != nil && localgw.IsControlPlane(r) {
			cp.ServeHTTP(w, r)
			return
		}
		(*apiHandler.Load()).ServeHTTP(w, r)
	})
	hs := &http.Server{Handler: root, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 1 << 20}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), fl.shutdownTimeout)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()

	auditW := io.Discard
	if fl.audit {
		auditW = a.stderr
	}
	if err := a.startAuthorizers(ctx, srv, fl, auditW); err != nil {
		return err
	}
	opts := localgw.Options{
		API: api, Functions: srv.functions, Now: a.now, InvokeTimeout: fl.invokeTimeout,
		StackName: fl.stackName, CORSOrigin: fl.corsOrigin, ErrorLog: a.stderr,
	}
	if srv.Keys != nil {
		opts.UsageKeys = srv.Keys.usage
	}
	if fl.accessLog {
		opts.AccessLog = a.stderr
	}
	srv.Gateway, err = localgw.New(p, opts)
	if err != nil {
		return err
	}
	var gh http.Handler = srv.Gateway
	apiHandler.Store(&gh)
	if srv.Keys != nil && api == localgw.REST {
		controlPlane.Store(srv.Keys.usage)
	}
	if err := writeBanner(a.stdout, srv, fl); err != nil {
		return err
	}
	if a.ready != nil {
		a.ready(srv)
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-serveErr:
		return fmt.Errorf("server stopped: %w", err)
	}
}

func (s *server) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// startAuthorizers builds every authorizer the plan deploys, in process
// (as their Lambda mains build them) or under the emulator.
func (a *app) startAuthorizers(ctx context.Context, srv *server, fl *serveFlags, auditW io.Writer) error {
	f := srv.File
	srv.functions = map[string]localgw.Function{}
	secrets := secret.NewLoader(f, secret.WithGetenv(a.getenv))
	for _, pa := range srv.Plan.Authorizers {
		if srv.API == localgw.HTTP && pa.HTTPIdentitySources == nil {
			continue // not on the HTTP API
		}
		if pa.Name == config.AuthorizerAPIKey {
			keys, err := a.openKeys(ctx, f, fl, secrets)
			if err != nil {
				return err
			}
			srv.Keys = keys
		}
		if fl.viaEmulator {
			fn, closer, err := a.emulated(ctx, srv, pa.Function, fl, auditW)
			if err != nil {
				return err
			}
			srv.closers = append(srv.closers, closer)
			srv.functions[pa.Name] = fn
			continue
		}
		var auth authorizer.Authenticator
		switch pa.Name {
		case config.AuthorizerJWT:
			v, err := jwtauth.New(ctx, f, jwtauth.WithSecrets(secrets.Load), jwtauth.WithClock(a.now))
			if err != nil {
				return usageErr("JWT authorizer: %v", err)
			}
			srv.closers = append(srv.closers, v.Close)
			auth = v
		case config.AuthorizerAPIKey:
			auth = srv.Keys.authenticator
		default:
			return fmt.Errorf("the plan deploys authorizer %q, which the local gateway does not know", pa.Name)
		}
		h, err := authorizer.New(pa.Name, auth, f, authorizer.WithAuditWriter(auditW), authorizer.WithClock(a.now))
		if err != nil {
			return usageErr("%s authorizer: %v", pa.Name, err)
		}
		srv.functions[pa.Name] = h
	}
	return nil
}
